"""The message log at scale: search, first paint and scrolling over millions of letters.

    .venv/bin/python -m tests.benchmarks bench_message_log          # 5.000.000 letters
    BENCH_LETTERS=1000000 .venv/bin/python -m tests.benchmarks bench_message_log
    BENCH_LETTERS_DB=/tmp/x/letters.sqlite3 ...   # reuse a database made by generate_letters

Without ``BENCH_LETTERS_DB`` a database with ``BENCH_LETTERS`` letters (default 5.000.000) is
generated in a temporary folder under /tmp (tests/benchmarks/generate_letters.py) and deleted
afterwards (``BENCH_KEEP_DB=1`` keeps it and prints where).

Measured, through the same service calls the GUI makes:

- **search** by BSN (the search box with nine digits), by Referentie (exact) and by
  VerwerkingsCode plus a date range (a week), each for 100 random values: ``first_ids``
  (exact count plus the first screen of ids: what the log shows first) and ``ids`` (the full id
  list). Targets: p95 under 50 ms.
- **GUI** in a child process (offscreen Qt, the real ``LetterLogView``): first paint of the log
  with the full set (window shown until the first row's data is on screen), the full id list in
  memory, the time to show a block scrolled to (row taken at random, after the list is
  complete), and the process's peak memory (target under 400 MB).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPRO = ".venv/bin/python -m tests.benchmarks bench_message_log"
SAMPLES = 100
CODES = (
    "NietActiefOfGeabonneerd",
    "BerichtTypeNietOndersteund",
    "TechnischProbleem",
    "BijlageTeGroot",
    "BerichtBestaatAl",
)


def _ms(values: Sequence[float]) -> str:
    ordered = sorted(values)
    p50 = statistics.median(ordered)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms"


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def measure_searches(db_path: Path) -> list[str]:
    from console.db.database import open_database
    from console.services.dto import LetterQuery
    from console.services.letters import LetterService
    from console.services.workspace import WorkspaceService

    rng = random.Random(6)
    with sqlite3.connect(db_path) as con:
        top = con.execute("SELECT max(id) FROM letters").fetchone()[0]
        picks = [
            con.execute(
                "SELECT bsn, referentie, created_at FROM letters WHERE id >= ? LIMIT 1",
                (rng.randrange(1, top),),
            ).fetchone()
            for _ in range(SAMPLES)
        ]
        first_day, last_day = con.execute(
            "SELECT min(created_at), max(created_at) FROM letters"
        ).fetchone()
    db = open_database("sqlite:///" + db_path.resolve().as_posix())
    letters = LetterService(db, WorkspaceService(db))
    start = datetime.fromisoformat(first_day).replace(tzinfo=UTC)
    end = datetime.fromisoformat(last_day).replace(tzinfo=UTC)
    span = max(1, int((end - start).total_seconds() // 86400) - 7)

    def week(n: int) -> tuple[datetime, datetime]:
        begin = start + timedelta(days=rng.randrange(span))
        return begin, begin + timedelta(days=7)

    cases: dict[str, list[LetterQuery]] = {
        "BSN (zoekveld, 9 cijfers)": [LetterQuery(search=p[0]) for p in picks],
        "Referentie (exact)": [LetterQuery(referentie=p[1]) for p in picks],
        "Referentie (zoekveld, begin)": [LetterQuery(search=p[1][:-2]) for p in picks],
        "Verwerkingscode + week": [
            LetterQuery(verwerkings_code=CODES[n % len(CODES)], created_from=a, created_to=b)
            for n, (a, b) in enumerate(week(n) for n in range(SAMPLES))
        ],
    }
    lines = []
    try:
        letters.first_ids(LetterQuery(search="000000000"))  # warm up the connection
        for name, queries in cases.items():
            first, full, hits = [], [], []
            for q in queries:
                t1, (count, _ids) = _timed(lambda q=q: letters.first_ids(q))
                t2, ids = _timed(lambda q=q: letters.ids(q))
                first.append(t1)
                full.append(t2)
                hits.append(count)
                assert len(ids) == count
            lines.append(
                f"{name}: eerste scherm {_ms(first)}; volledige lijst {_ms(full)} "
                f"(treffers: mediaan {statistics.median(hits):.0f}, max {max(hits)})"
            )
    finally:
        db.dispose()
    return lines


def _memory_mb(field: str) -> float:
    """VmHWM (peak) or VmRSS of this process, from /proc (reset by exec, unlike getrusage)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def gui_child(db_path: Path) -> dict[str, float]:
    """Runs in its own process: the real log view over the database, offscreen."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from types import SimpleNamespace

    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from console.db.database import open_database
    from console.services.letters import LetterService
    from console.services.workspace import WorkspaceService
    from console.ui.letter_log_view import LetterLogView
    from console.ui.letter_table_model import LetterRole
    from console.ui.tasks import TaskRunner
    from console.ui.theme import apply_application_style

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    apply_application_style(app)
    db = open_database("sqlite:///" + db_path.resolve().as_posix())
    services = SimpleNamespace(
        letters=LetterService(db, WorkspaceService(db)), workspace=WorkspaceService(db)
    )
    runner = TaskRunner()
    base_rss = _memory_mb("VmRSS")

    def wait(condition: Callable[[], bool], timeout: float = 300) -> float:
        start = time.perf_counter()
        while not condition():
            QCoreApplication.processEvents()
            if time.perf_counter() - start > timeout:
                raise TimeoutError("wachten duurde te lang")
            time.sleep(0.001)
        return time.perf_counter() - start

    view = LetterLogView(services, runner)
    view.auto_refresh_timer.stop()
    view.resize(1280, 800)
    model = view.model
    start = time.perf_counter()
    view.show()
    wait(lambda: model.rowCount() > 0 and bool(model.data(model.index(0, 0), LetterRole.LOADED)))
    view.table.viewport().repaint()
    first_paint = time.perf_counter() - start
    rows = model.rowCount()
    wait(lambda: model.complete and not model.loading)
    full_list = time.perf_counter() - start

    rng = random.Random(8)
    blocks = []
    for _ in range(10):
        row = rng.randrange(rows)
        index = model.index(row, 0)
        t0 = time.perf_counter()
        view.table.scrollTo(index)
        view.table.viewport().repaint()
        wait(lambda index=index: bool(model.data(index, LetterRole.LOADED)))
        view.table.viewport().repaint()
        blocks.append(time.perf_counter() - t0)
    peak = _memory_mb("VmHWM")
    runner.shutdown(wait=True)
    db.dispose()
    return {
        "rows": rows,
        "first_paint_s": first_paint,
        "full_list_s": full_list,
        "block_p50_s": statistics.median(blocks),
        "block_max_s": max(blocks),
        "base_rss_mb": base_rss,
        "peak_rss_mb": peak,
    }


def measure_gui(db_path: Path) -> list[str]:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    out = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_message_log", "--gui", str(db_path)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    n = f"{int(figures['rows']):,}".replace(",", ".")
    return [
        f"Berichtenlijst met alle {n} berichten: eerste scherm na {figures['first_paint_s'] * 1000:.0f} ms "
        f"(aantal exact), volledige id-lijst na {figures['full_list_s']:.1f} s",
        f"Naar een willekeurige plek scrollen (lijst compleet): blok zichtbaar na "
        f"p50 {figures['block_p50_s'] * 1000:.0f} ms, max {figures['block_max_s'] * 1000:.0f} ms",
        f"Geheugen van het GUI-proces: piek {figures['peak_rss_mb']:.0f} MB "
        f"(bij de start {figures['base_rss_mb']:.0f} MB)",
    ]


def main() -> None:
    from tests.benchmarks.generate_letters import generate

    given = os.environ.get("BENCH_LETTERS_DB")
    keep = os.environ.get("BENCH_KEEP_DB") == "1"
    tmp: Path | None = None
    if given:
        db_path = Path(given)
        print(f"Database: {db_path} (gegeven)")
    else:
        n = int(os.environ.get("BENCH_LETTERS", "5000000"))
        tmp = Path(tempfile.mkdtemp(prefix="bench-letters-", dir="/tmp"))
        db_path = tmp / "letters.sqlite3"
        print(f"{n:,} brieven genereren in {db_path} …".replace(",", "."), flush=True)
        report = generate(db_path, n, progress=lambda line: print("  " + line, flush=True))
        print(report.text(), flush=True)
    try:
        for line in measure_searches(db_path):
            print(line, flush=True)
        for line in measure_gui(db_path):
            print(line, flush=True)
    finally:
        if tmp is not None and not keep:
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp is not None:
            print(f"Database bewaard: {db_path}")
    print(f"Opnieuw meten: {REPRO}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--gui":
        print(json.dumps(gui_child(Path(sys.argv[2]))))
    else:
        main()
