"""What the simulator remembers, in its own SQLite file (it shares nothing with the engine)."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS parties (
    party_oin TEXT PRIMARY KEY,
    cpa_id TEXT NOT NULL,
    role TEXT NOT NULL,
    push_url TEXT NOT NULL,
    sync_reply INTEGER NOT NULL DEFAULT 0,
    allowed_oins TEXT NOT NULL  -- JSON list: BerichtLeverancierIDs this party may send for
);
CREATE TABLE IF NOT EXISTS berichttypes (
    organisation_oin TEXT NOT NULL,
    code TEXT NOT NULL,
    PRIMARY KEY (organisation_oin, code)
);
CREATE TABLE IF NOT EXISTS received_messages (
    message_id TEXT PRIMARY KEY,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    from_party TEXT NOT NULL,
    received_at TEXT NOT NULL,
    letters INTEGER NOT NULL,
    valid INTEGER NOT NULL,
    path TEXT NOT NULL,
    result_summary TEXT
);
CREATE TABLE IF NOT EXISTS bericht_ids (
    bericht_id TEXT PRIMARY KEY,
    batch_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS citizen_states (
    organisation_oin TEXT NOT NULL,
    bsn TEXT NOT NULL,
    state TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    PRIMARY KEY (organisation_oin, bsn)
);
CREATE TABLE IF NOT EXISTS sim_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS abs_requests (
    verzoek_id TEXT NOT NULL,
    organisation_oin TEXT NOT NULL,
    soort TEXT NOT NULL,
    received_at TEXT NOT NULL,
    bsn_count INTEGER NOT NULL,
    answer_entries INTEGER,
    answer_message_id TEXT,
    problem TEXT
);
CREATE TABLE IF NOT EXISTS wus_calls (
    at TEXT NOT NULL,
    organisation_oin TEXT NOT NULL,
    berichttype TEXT NOT NULL,
    bsn_count INTEGER NOT NULL,
    outcome TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pushes (
    message_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    content_type TEXT NOT NULL,
    body BLOB NOT NULL,
    due_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,  -- pending, sent, acknowledged, failed
    last_error TEXT,
    needs_ack INTEGER NOT NULL DEFAULT 0
);
"""


@dataclass(frozen=True, slots=True)
class PartyRegistration:
    party_oin: str
    cpa_id: str
    role: str
    push_url: str
    sync_reply: bool
    allowed_oins: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReceivedBatch:
    batch_id: str
    message_id: str
    from_party: str
    received_at: datetime
    letters: int
    valid: bool
    path: str
    result_summary: str | None


@dataclass(frozen=True, slots=True)
class CitizenOverride:
    organisation_oin: str
    bsn: str
    state: str
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class AbsRequestRecord:
    verzoek_id: str
    organisation_oin: str
    soort: str
    received_at: datetime
    bsn_count: int
    answer_entries: int | None
    answer_message_id: str | None
    problem: str | None


@dataclass(frozen=True, slots=True)
class WusCall:
    at: datetime
    organisation_oin: str
    berichttype: str
    bsn_count: int
    outcome: str


# Simulator settings (changeable while it runs, e.g. from the CLI) and their defaults.
SETTING_DEFAULTS: dict[str, float] = {
    "result_delay_seconds": -1.0,  # -1: the value the simulator was started with
    "abs_delay_seconds": 2.0,
    "bijlagen_max_bytes": 500_000,
}


@dataclass(frozen=True, slots=True)
class Push:
    message_id: str
    kind: str
    url: str
    content_type: str
    body: bytes
    attempts: int


def _now() -> str:
    return datetime.now(UTC).isoformat()


class SimulatorStateStore:
    """Thread-safe store; one connection per call, WAL so a CLI can read while it serves."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._local = threading.local()
        with self._conn() as c:
            c.execute("PRAGMA journal_mode=WAL")
            c.executescript(_SCHEMA)

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, in a transaction (committed when the block ends).

        One connection per thread, kept open: opening one per call (schema read, WAL set-up)
        cost more than the statement. ``synchronous=NORMAL``: a commit survives a crash of
        the simulator; a power cut may lose the last commits, as with the console's database.
        """
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=10)
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        with conn:
            yield conn

    # --- parties (what the CPA says about each sender) ---
    def register_party(self, reg: PartyRegistration) -> None:
        with self._lock, self._conn() as c:
            c.execute(
                "INSERT OR REPLACE INTO parties VALUES (?, ?, ?, ?, ?, ?)",
                (
                    reg.party_oin,
                    reg.cpa_id,
                    reg.role,
                    reg.push_url,
                    int(reg.sync_reply),
                    json.dumps(list(reg.allowed_oins)),
                ),
            )

    def party(self, party_oin: str) -> PartyRegistration | None:
        with self._conn() as c:
            row = c.execute("SELECT * FROM parties WHERE party_oin = ?", (party_oin,)).fetchone()
        if row is None:
            return None
        return PartyRegistration(
            row[0], row[1], row[2], row[3], bool(row[4]), tuple(json.loads(row[5]))
        )

    # --- berichttypes active per organisation (like the Leveranciersportaal) ---
    def set_berichttypes(self, organisation_oin: str, codes: list[str]) -> None:
        with self._lock, self._conn() as c:
            c.execute("DELETE FROM berichttypes WHERE organisation_oin = ?", (organisation_oin,))
            c.executemany(
                "INSERT INTO berichttypes VALUES (?, ?)",
                [(organisation_oin, code) for code in codes],
            )

    def berichttypes(self, organisation_oin: str) -> set[str]:
        with self._conn() as c:
            rows = c.execute(
                "SELECT code FROM berichttypes WHERE organisation_oin = ?", (organisation_oin,)
            ).fetchall()
        return {r[0] for r in rows}

    def all_berichttypes(self) -> dict[str, list[str]]:
        with self._conn() as c:
            rows = c.execute(
                "SELECT organisation_oin, code FROM berichttypes ORDER BY organisation_oin, code"
            ).fetchall()
        out: dict[str, list[str]] = {}
        for oin, code in rows:
            out.setdefault(oin, []).append(code)
        return out

    def parties(self) -> list[PartyRegistration]:
        with self._conn() as c:
            rows = c.execute("SELECT * FROM parties ORDER BY party_oin").fetchall()
        return [
            PartyRegistration(r[0], r[1], r[2], r[3], bool(r[4]), tuple(json.loads(r[5])))
            for r in rows
        ]

    # --- citizens per organisation (overrides of the fixed population) ---
    def set_citizen_state(self, organisation_oin: str, bsn: str, state: str) -> None:
        with self._lock, self._conn() as c:
            c.execute(
                "INSERT OR REPLACE INTO citizen_states VALUES (?, ?, ?, ?)",
                (organisation_oin, bsn, state, _now()),
            )

    def clear_citizen_state(self, organisation_oin: str, bsn: str) -> None:
        with self._lock, self._conn() as c:
            c.execute(
                "DELETE FROM citizen_states WHERE organisation_oin = ? AND bsn = ?",
                (organisation_oin, bsn),
            )

    def citizen_override(self, organisation_oin: str, bsn: str) -> str | None:
        with self._conn() as c:
            row = c.execute(
                "SELECT state FROM citizen_states WHERE organisation_oin = ? AND bsn = ?",
                (organisation_oin, bsn),
            ).fetchone()
        return row[0] if row else None

    def citizen_overrides(self, organisation_oin: str | None = None) -> list[CitizenOverride]:
        query = "SELECT * FROM citizen_states"
        args: tuple[str, ...] = ()
        if organisation_oin is not None:
            query += " WHERE organisation_oin = ?"
            args = (organisation_oin,)
        with self._conn() as c:
            rows = c.execute(query + " ORDER BY organisation_oin, bsn", args).fetchall()
        return [CitizenOverride(r[0], r[1], r[2], datetime.fromisoformat(r[3])) for r in rows]

    # --- settings ---
    def setting(self, key: str) -> float:
        with self._conn() as c:
            row = c.execute("SELECT value FROM sim_settings WHERE key = ?", (key,)).fetchone()
        return float(row[0]) if row else SETTING_DEFAULTS[key]

    def set_setting(self, key: str, value: float) -> None:
        if key not in SETTING_DEFAULTS:
            raise ValueError(f"Onbekende simulatorinstelling {key}.")
        with self._lock, self._conn() as c:
            c.execute("INSERT OR REPLACE INTO sim_settings VALUES (?, ?)", (key, str(value)))

    def settings(self) -> dict[str, float]:
        return {key: self.setting(key) for key in SETTING_DEFAULTS}

    # --- AbonnementService and WUS log ---
    def record_abs_request(self, rec: AbsRequestRecord) -> None:
        with self._lock, self._conn() as c:
            c.execute(
                "INSERT INTO abs_requests VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    rec.verzoek_id,
                    rec.organisation_oin,
                    rec.soort,
                    rec.received_at.isoformat(),
                    rec.bsn_count,
                    rec.answer_entries,
                    rec.answer_message_id,
                    rec.problem,
                ),
            )

    def abs_requests(self) -> list[AbsRequestRecord]:
        with self._conn() as c:
            rows = c.execute("SELECT * FROM abs_requests ORDER BY received_at").fetchall()
        return [
            AbsRequestRecord(r[0], r[1], r[2], datetime.fromisoformat(r[3]), *r[4:]) for r in rows
        ]

    def record_wus_call(self, call: WusCall) -> None:
        with self._lock, self._conn() as c:
            c.execute(
                "INSERT INTO wus_calls VALUES (?, ?, ?, ?, ?)",
                (
                    call.at.isoformat(),
                    call.organisation_oin,
                    call.berichttype,
                    call.bsn_count,
                    call.outcome,
                ),
            )

    def wus_calls(self) -> list[WusCall]:
        with self._conn() as c:
            rows = c.execute("SELECT * FROM wus_calls ORDER BY at").fetchall()
        return [WusCall(datetime.fromisoformat(r[0]), r[1], r[2], r[3], r[4]) for r in rows]

    def pushes_by_status(self) -> dict[str, int]:
        with self._conn() as c:
            rows = c.execute("SELECT status, count(*) FROM pushes GROUP BY status").fetchall()
        return {r[0]: int(r[1]) for r in rows}

    # --- duplicate elimination ---
    def remember_message(self, message_id: str) -> bool:
        """Record an inbound MessageId; False when it was seen before (a duplicate)."""
        with self._lock, self._conn() as c:
            try:
                c.execute("INSERT INTO received_messages VALUES (?, ?)", (message_id, _now()))
            except sqlite3.IntegrityError:
                return False
        return True

    # --- batches and BerichtIDs ---
    def record_batch(self, batch: ReceivedBatch) -> None:
        with self._lock, self._conn() as c:
            c.execute(
                "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    batch.batch_id,
                    batch.message_id,
                    batch.from_party,
                    batch.received_at.isoformat(),
                    batch.letters,
                    int(batch.valid),
                    batch.path,
                    batch.result_summary,
                ),
            )

    def set_batch_result(self, message_id: str, summary: str) -> None:
        with self._lock, self._conn() as c:
            c.execute(
                "UPDATE batches SET result_summary = ? WHERE message_id = ?", (summary, message_id)
            )

    def batches(self) -> list[ReceivedBatch]:
        with self._conn() as c:
            rows = c.execute("SELECT * FROM batches ORDER BY received_at").fetchall()
        return [
            ReceivedBatch(
                r[0], r[1], r[2], datetime.fromisoformat(r[3]), r[4], bool(r[5]), r[6], r[7]
            )
            for r in rows
        ]

    def has_bericht_id(self, bericht_id: str) -> bool:
        """GLOBE already stored a letter with this BerichtID."""
        with self._conn() as c:
            row = c.execute(
                "SELECT 1 FROM bericht_ids WHERE bericht_id = ?", (bericht_id,)
            ).fetchone()
        return row is not None

    def claim_bericht_id(self, bericht_id: str, batch_id: str) -> bool:
        """Store a BerichtID; False when GLOBE already has it (BerichtBestaatAl)."""
        with self._lock, self._conn() as c:
            try:
                c.execute("INSERT INTO bericht_ids VALUES (?, ?)", (bericht_id, batch_id))
            except sqlite3.IntegrityError:
                return False
        return True

    # --- outbound pushes (acks, errors and results to the console) ---
    def add_push(
        self,
        message_id: str,
        kind: str,
        url: str,
        content_type: str,
        body: bytes,
        due_at: datetime,
        *,
        needs_ack: bool,
    ) -> None:
        with self._lock, self._conn() as c:
            c.execute(
                "INSERT OR IGNORE INTO pushes VALUES (?, ?, ?, ?, ?, ?, 0, 'pending', NULL, ?)",
                (message_id, kind, url, content_type, body, due_at.isoformat(), int(needs_ack)),
            )

    def due_pushes(self, now: datetime) -> list[Push]:
        with self._conn() as c:
            rows = c.execute(
                "SELECT message_id, kind, url, content_type, body, attempts FROM pushes "
                "WHERE status = 'pending' AND due_at <= ? ORDER BY due_at",
                (now.isoformat(),),
            ).fetchall()
        return [Push(r[0], r[1], r[2], r[3], bytes(r[4]), r[5]) for r in rows]

    def push_done(self, message_id: str, *, needs_ack: bool) -> None:
        status = "sent" if needs_ack else "acknowledged"
        with self._lock, self._conn() as c:
            c.execute(
                "UPDATE pushes SET status = ?, attempts = attempts + 1, last_error = NULL "
                "WHERE message_id = ?",
                (status, message_id),
            )

    def push_failed(self, message_id: str, error: str, retry_at: datetime | None) -> None:
        with self._lock, self._conn() as c:
            if retry_at is None:
                c.execute(
                    "UPDATE pushes SET status = 'failed', attempts = attempts + 1, last_error = ? "
                    "WHERE message_id = ?",
                    (error, message_id),
                )
            else:
                c.execute(
                    "UPDATE pushes SET attempts = attempts + 1, last_error = ?, due_at = ? "
                    "WHERE message_id = ?",
                    (error, retry_at.isoformat(), message_id),
                )

    def push_acknowledged(self, message_id: str) -> bool:
        with self._lock, self._conn() as c:
            cur = c.execute(
                "UPDATE pushes SET status = 'acknowledged' WHERE message_id = ?", (message_id,)
            )
            return cur.rowcount > 0

    def push_status(self, message_id: str) -> str | None:
        with self._conn() as c:
            row = c.execute(
                "SELECT status FROM pushes WHERE message_id = ?", (message_id,)
            ).fetchone()
        return row[0] if row else None
