"""Where the console keeps its data, and the user-changeable settings with their defaults."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "berichtenbox-console"


def default_data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


@dataclass(frozen=True, slots=True)
class AppPaths:
    data_dir: Path
    database_url: str | None = None  # None: SQLite in data_dir

    @property
    def sqlite_file(self) -> Path:
        return self.data_dir / "console.sqlite3"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_file}"

    @property
    def backups_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def pki_dir(self) -> Path:
        return self.data_dir / "simulator" / "pki"

    @property
    def simulator_dir(self) -> Path:
        return self.data_dir / "simulator"

    def ensure(self) -> AppPaths:
        for d in (self.data_dir, self.backups_dir, self.logs_dir, self.simulator_dir):
            d.mkdir(parents=True, exist_ok=True)
        return self


def resolve_paths(
    data_dir: Path | None = None, *, temp: bool = False, database_url: str | None = None
) -> AppPaths:
    """``--data-dir`` wins, then ``--temp-data-dir`` (a fresh folder), then the platform default."""
    if data_dir is not None:
        base = data_dir
    elif temp:
        base = Path(tempfile.mkdtemp(prefix="berichtenbox-console-"))
    else:
        base = default_data_dir()
    return AppPaths(base.resolve(), database_url).ensure()


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """Engine tuning; defaults suit a workstation. Persisted in the settings table."""

    tick_seconds: float = 0.5
    max_batch_letters: int = 1000
    max_batch_bytes: int = 100 * 1000 * 1000  # 100 MB inclusief base64
    max_inbound_bytes: int = 150 * 1000 * 1000
    http_timeout_seconds: float = 60.0
    # Messages sent at the same time, each over its own keep-alive TLS connection. Digikoppeling
    # ebMS has no ordering between messages (osb profiles use no MessageOrder).
    parallel_sends: int = 2
    missing_result_hours: int = 24
    inbound_host: str = "127.0.0.1"
    inbound_port: int = 8443  # 0: a free port
    simulator_port: int = 8444  # 0: a free port
