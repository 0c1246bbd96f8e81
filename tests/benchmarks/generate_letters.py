"""Fill a console database with N letters with realistic distributions, fast.

    .venv/bin/python -m tests.benchmarks.generate_letters /tmp/bench/letters.sqlite3 5000000

The schema comes from the real migrations (``upgrade``). The letters are written with the
driver's ``executemany`` in big transactions, with the letters' indexes dropped during the
load and built again afterwards (a sort per index instead of millions of random B-tree
inserts), then ``ANALYZE`` gives the query planner its statistics.

What the data looks like:

- a tax cooperation (belastingsamenwerking) sending over one connection for four
  municipalities and a water board, plus one municipality of its own: six organisations,
  their volumes skewed (the big city sends most);
- per organisation a few berichttypes with weights (assessments dominate, reminders follow);
- dates over the last ``days`` days (default 400): working days busier than weekends, a
  yearly assessment peak at the end of February (ten times a normal day), batches at night;
- outcomes: about 88 % Verwerkt, 9 % NietActiefOfGeabonneerd (half of them later per post),
  the rest spread over rejections, transport failures, expiries and duplicates; letters of
  the last day are still queued, in transit or waiting for their result, and some older ones
  never got a result (the missing-result detector has work);
- BSNs from a pool of citizens (all pass the elfproef), so a citizen has several letters;
- unique Referenties per organisation and year; letters grouped in batches of at most 1000.

No timeline entries or raw exchanges are generated (the benchmark searches and pages the log).
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import random
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

CHUNK = 100_000
BSN_POOL = 1_500_000
_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)


@dataclass(frozen=True, slots=True)
class OrganisationSpec:
    name: str
    oin: str
    kind: str
    weight: float
    prefix: str
    berichttypes: tuple[tuple[str, str, str, float], ...]  # code, name, onderwerp, weight


ORGANISATIONS = (
    OrganisationSpec(
        "Belastingsamenwerking Voorbeeldland",
        "00000099100000000001",
        "belastingsamenwerking",
        0.02,
        "BSV",
        (("INFO", "Informatiebrief", "Informatie over uw belastingen", 1.0),),
    ),
    OrganisationSpec(
        "Gemeente Grootstad",
        "00000099100000000002",
        "gemeente",
        0.45,
        "GRS",
        (
            (
                "BELAST",
                "Aanslag gemeentelijke belastingen",
                "Uw aanslag gemeentelijke belastingen",
                0.45,
            ),
            ("WOZ", "WOZ-beschikking", "Uw WOZ-beschikking", 0.25),
            ("HERINN", "Herinnering betaling", "Herinnering: betaal uw aanslag", 0.15),
            ("AANMAN", "Aanmaning", "Aanmaning gemeentelijke belastingen", 0.05),
            ("KWIJT", "Kwijtschelding", "Besluit op uw verzoek om kwijtschelding", 0.10),
        ),
    ),
    OrganisationSpec(
        "Gemeente Middeldorp",
        "00000099100000000003",
        "gemeente",
        0.18,
        "MDD",
        (
            (
                "BELAST",
                "Aanslag gemeentelijke belastingen",
                "Uw aanslag gemeentelijke belastingen",
                0.5,
            ),
            ("WOZ", "WOZ-beschikking", "Uw WOZ-beschikking", 0.3),
            ("HERINN", "Herinnering betaling", "Herinnering: betaal uw aanslag", 0.2),
        ),
    ),
    OrganisationSpec(
        "Gemeente Kleinhuizen",
        "00000099100000000004",
        "gemeente",
        0.07,
        "KLH",
        (
            (
                "BELAST",
                "Aanslag gemeentelijke belastingen",
                "Uw aanslag gemeentelijke belastingen",
                0.6,
            ),
            ("WOZ", "WOZ-beschikking", "Uw WOZ-beschikking", 0.4),
        ),
    ),
    OrganisationSpec(
        "Waterschap De Polder",
        "00000099100000000005",
        "waterschap",
        0.20,
        "WSP",
        (
            ("WSBEL", "Aanslag waterschapsbelasting", "Uw aanslag waterschapsbelasting", 0.8),
            ("WSHER", "Herinnering waterschap", "Herinnering: betaal uw waterschapsbelasting", 0.2),
        ),
    ),
    OrganisationSpec(
        "Gemeente Voorbeeld",
        "00000099100000000006",
        "gemeente",
        0.08,
        "GVB",
        (
            (
                "REISDOC",
                "Uw reisdocument verloopt",
                "Uw paspoort of identiteitskaart verloopt",
                0.5,
            ),
            ("PARKEER", "Parkeervergunning", "Uw parkeervergunning", 0.3),
            ("AFVAL", "Afvalpas", "Uw nieuwe afvalpas", 0.2),
        ),
    ),
)

# (status, verwerkings_code, stadium, weight) for letters older than a day.
OUTCOMES: tuple[tuple[str, str | None, str | None, float], ...] = (
    ("delivered", "Verwerkt", "NA", 0.878),
    ("not_subscribed", "NietActiefOfGeabonneerd", "ValidatieGebruiker", 0.045),
    ("paper", "NietActiefOfGeabonneerd", "ValidatieGebruiker", 0.045),
    ("rejected", "BerichtTypeNietOndersteund", "ValidatieBerichtType", 0.006),
    ("rejected", "BijlageTeGroot", "NA", 0.003),
    ("rejected", "TechnischProbleem", "StoreMessage", 0.004),
    ("rejected", "PublicatieDatumLigtTeVerInDeToekomst", "NA", 0.002),
    ("duplicate", "BerichtBestaatAl", "NA", 0.004),
    ("failed", None, None, 0.006),
    ("expired", None, None, 0.002),
    ("acknowledged", None, None, 0.005),  # never got a result
)
# Letters of the last day.
RECENT_OUTCOMES: tuple[tuple[str, str | None, str | None, float], ...] = (
    ("delivered", "Verwerkt", "NA", 0.6),
    ("not_subscribed", "NietActiefOfGeabonneerd", "ValidatieGebruiker", 0.06),
    ("acknowledged", None, None, 0.2),
    ("sent", None, None, 0.04),
    ("queued", None, None, 0.1),
)


@dataclass(frozen=True, slots=True)
class GenerationReport:
    path: Path
    letters: int
    batches: int
    seconds_rows: float
    seconds_indexes: float
    seconds_analyze: float
    size_bytes: int

    @property
    def seconds(self) -> float:
        return self.seconds_rows + self.seconds_indexes + self.seconds_analyze

    def text(self) -> str:
        def n(value: float) -> str:
            return f"{value:,.0f}".replace(",", ".")

        rate = self.letters / max(self.seconds, 1e-9)
        return (
            f"{n(self.letters)} brieven in {n(self.batches)} batches: rijen "
            f"{self.seconds_rows:.0f} s, indexen {self.seconds_indexes:.0f} s, ANALYZE "
            f"{self.seconds_analyze:.0f} s (totaal {self.seconds:.0f} s, {n(rate)} brieven/s); "
            f"bestand {n(self.size_bytes / 1_000_000)} MB"
        )


def bsn_pool(rng: random.Random, size: int) -> list[str]:
    """*size* distinct nine-digit numbers that pass the elfproef (not starting with 0)."""
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < size:
        first8 = rng.randrange(10_000_000, 100_000_000)
        digits = str(first8)
        total = sum(int(d) * w for d, w in zip(digits, _WEIGHTS, strict=True))
        check = total % 11
        if check == 10:
            continue
        bsn = digits + str(check)
        if bsn not in seen:
            seen.add(bsn)
            out.append(bsn)
    return out


def _sqlite_ts(moment: datetime) -> str:
    """How SQLAlchemy's DateTime stores a (naive UTC) moment in SQLite."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _day_weights(days: int, end: datetime) -> list[float]:
    weights = []
    for n in range(days):
        day = end - timedelta(days=days - n)
        w = 1.0 if day.weekday() < 5 else 0.15
        if day.month == 2 and day.day >= 24:  # the yearly assessment peak
            w *= 10
        elif day.month == 3 and day.day <= 10:  # reminders after it
            w *= 3
        weights.append(w)
    return weights


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def _pick(rng: random.Random, cumulative: Sequence[float]) -> int:
    return bisect.bisect_right(cumulative, rng.random() * cumulative[-1])


def _setup_workspace(db_path: Path) -> tuple[list[int], int]:
    """The schema (real migrations), organisations, one connection and the berichttypes."""
    from console.db import models as m
    from console.db.database import database_url_for, open_database, upgrade
    from console.domain.environment import Environment

    db = open_database("sqlite:///" + db_path.resolve().as_posix())
    _ = database_url_for  # the same URL shape the console uses
    try:
        upgrade(db, backup_dir=db_path.parent / "backups")
        now = datetime.now(UTC)
        with db.session() as s:
            orgs = [
                m.Organisation(name=o.name, oin=o.oin, kind=m.OrganisationKind(o.kind))
                for o in ORGANISATIONS
            ]
            s.add_all(orgs)
            s.flush()
            conn = m.Connection(
                name="Belastingsamenwerking preprod",
                owner_organisation_id=orgs[0].id,
                environment=Environment.PREPROD,
                cpa_id="bench-cpa",
                from_party_id=ORGANISATIONS[0].oin,
                from_role="SR",
                to_party_id="00000004003214345001",
                to_role="SP",
                service="urn:osb:services:MIJNOVERHEID.ebMS.BB.2.0",
                endpoint_url="https://127.0.0.1:9/ebms",
            )
            conn.organisations = orgs
            s.add(conn)
            for org, spec in zip(orgs, ORGANISATIONS, strict=True):
                for code, name, _subject, _w in spec.berichttypes:
                    s.add(
                        m.BerichtType(
                            organisation_id=org.id,
                            code=code,
                            name=name,
                            status_simulator=m.BerichtTypeStatus.ACTIEF,
                            status_preprod=m.BerichtTypeStatus.ACTIEF,
                            updated_at=now,
                        )
                    )
            s.flush()
            for key, value in (
                ("workspace.active_connection_id", conn.id),
                ("workspace.active_organisation_id", orgs[1].id),
            ):
                s.merge(m.Setting(key=key, value=str(value)))
            s.commit()
            return [o.id for o in orgs], conn.id
    finally:
        db.dispose()


def _rows(
    n: int,
    org_ids: Sequence[int],
    connection_id: int,
    *,
    seed: int,
    days: int,
    end: datetime,
    batch_sink: Callable[[tuple[object, ...]], None],
) -> Iterator[tuple[object, ...]]:
    """The letters, in creation order, grouped into batches per organisation and day."""
    rng = random.Random(seed)
    pool = bsn_pool(rng, min(BSN_POOL, max(1000, n // 3)))
    org_cum = _cumulative([o.weight for o in ORGANISATIONS])
    bt_cums = [_cumulative([b[3] for b in o.berichttypes]) for o in ORGANISATIONS]
    outcome_cum = _cumulative([o[3] for o in OUTCOMES])
    recent_cum = _cumulative([o[3] for o in RECENT_OUTCOMES])
    day_weights = _day_weights(days, end)
    total = sum(day_weights)
    per_day = [max(0, round(n * w / total)) for w in day_weights]
    per_day[-1] += n - sum(per_day)  # exactly n
    while per_day[-1] < 0:  # rounding took too many: take them back from the busiest days
        busiest = max(range(days - 1), key=per_day.__getitem__)
        per_day[busiest] -= 1
        per_day[-1] += 1
    serial = itertools.count(1)
    start = end - timedelta(days=days)
    random_ = rng.random
    getrandbits = rng.getrandbits
    pool_size = len(pool)
    for day_index, count in enumerate(per_day):
        if not count:
            continue
        day_start = start + timedelta(days=day_index)
        day_prefix = day_start.strftime("%Y-%m-%d ")
        year = day_start.year
        recent = (end - day_start) <= timedelta(days=1)
        outcomes, cumulative = (RECENT_OUTCOMES, recent_cum) if recent else (OUTCOMES, outcome_cum)
        # Per organisation: its letters of the day, in batches of at most 1000, sent at night.
        by_org: dict[int, int] = {}
        for _ in range(count):
            o = _pick(rng, org_cum)
            by_org[o] = by_org.get(o, 0) + 1
        for o, org_count in sorted(by_org.items()):
            spec = ORGANISATIONS[o]
            org_id = org_ids[o]
            subjects = [f"{b[2]} {year}" for b in spec.berichttypes]
            us = int((1 + random_() * 3) * 3_600_000_000)  # microseconds into the day
            batch_id = None
            in_batch = 0
            for _ in range(org_count):
                if batch_id is None or in_batch >= 1000:
                    batch_id = _guid(getrandbits(128))
                    in_batch = 0
                    batch_sink(
                        (
                            batch_id,
                            connection_id,
                            spec.oin,
                            _ts(day_prefix, us),
                            "acknowledged" if recent else "result",
                        )
                    )
                in_batch += 1
                us += 20_000 + int(random_() * 40_000)
                bt = _pick(rng, bt_cums[o])
                status, code, stadium, _w = outcomes[_pick(rng, cumulative)]
                created = _ts(day_prefix, us)
                sent = status != "queued"
                acked = status not in ("queued", "sent", "failed", "expired")
                ack_at = _ts(day_prefix, us + 120_000_000) if acked else None
                result_at = _ts(day_prefix, us + 2_400_000_000) if code else None
                seq = next(serial)
                yield (
                    seq,
                    org_id,
                    connection_id,
                    spec.berichttypes[bt][0],
                    pool[int(pool_size * random_() ** 1.3)],  # some citizens get more
                    subjects[bt],
                    f"{spec.prefix}-{year}-{seq:08d}",
                    _guid(getrandbits(128)),
                    batch_id if sent else None,
                    status,
                    code,
                    stadium,
                    _FAILED_DETAIL if status == "failed" else None,
                    created,
                    "import" if random_() < 0.97 else "gebruiker",
                    result_at or ack_at or created,
                    result_at,
                    ack_at,
                )


_TEXT = "Geachte heer/mevrouw,\\r\\n\\r\\nIn de bijlage vindt u ons besluit."
_FAILED_DETAIL = "Verzending mislukt: de verbinding werd geweigerd."


def _guid(bits: int) -> str:
    """A version-4 GUID from 128 random bits (what uuid.uuid4() makes, without os.urandom)."""
    bits = (bits & ~(0xF000 << 64)) | (0x4000 << 64)  # version 4
    bits = (bits & ~(0xC000 << 48)) | (0x8000 << 48)  # RFC 4122 variant
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _ts(day_prefix: str, us: int) -> str:
    """``YYYY-MM-DD HH:MM:SS.ffffff`` (SQLAlchemy's SQLite DateTime) for *us* into the day."""
    seconds, micro = divmod(us, 1_000_000)
    minutes, sec = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    if hours >= 24:  # a result the next day: rare; take the slow, exact way
        moment = datetime.strptime(day_prefix.strip(), "%Y-%m-%d") + timedelta(microseconds=us)
        return _sqlite_ts(moment)
    return f"{day_prefix}{hours:02d}:{minute:02d}:{sec:02d}.{micro:06d}"


_LETTER_COLUMNS = (
    "id, organisation_id, connection_id, berichttype, bsn, onderwerp, referentie, "
    "bericht_id, batch_id, status, verwerkings_code, stadium, status_detail, created_at, "
    "created_by, updated_at, result_at, acknowledged_at"
)


def generate(
    db_path: Path,
    n: int,
    *,
    seed: int = 20261128,
    days: int = 400,
    end: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> GenerationReport:
    """Create *db_path* (must not exist) with *n* letters; returns what it took."""
    if db_path.exists():
        raise FileExistsError(f"{db_path} bestaat al")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _text: None)
    end = (end or datetime.now(UTC)).replace(tzinfo=None)
    org_ids, connection_id = _setup_workspace(db_path)

    t0 = time.perf_counter()
    con = sqlite3.connect(db_path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA cache_size=-1000000")  # 1 GB page cache
        con.execute("PRAGMA temp_store=MEMORY")
        index_sql = [
            (name, sql)
            for name, sql in con.execute(
                "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name='letters' "
                "AND sql IS NOT NULL"
            )
        ]
        for name, _sql in index_sql:
            con.execute(f'DROP INDEX "{name}"')
        batches: list[tuple[object, ...]] = []
        placeholders = ", ".join("?" * len(_LETTER_COLUMNS.split(",")))
        insert = f"INSERT INTO letters ({_LETTER_COLUMNS}) VALUES ({placeholders})"
        rows = _rows(
            n,
            org_ids,
            connection_id,
            seed=seed,
            days=days,
            end=end,
            batch_sink=batches.append,
        )
        done = 0
        while chunk := list(itertools.islice(rows, CHUNK)):
            con.execute("BEGIN")
            con.executemany(insert, chunk)
            # Every letter has the same text; it lives in letter_texts (migration 0008).
            con.executemany(
                "INSERT INTO letter_texts (letter_id, berichttekst) VALUES (?, ?)",
                ((row[0], _TEXT) for row in chunk),
            )
            con.execute("COMMIT")
            done += len(chunk)
            if done % 1_000_000 < CHUNK:
                say(f"{done:,} brieven ({time.perf_counter() - t0:.0f} s)".replace(",", "."))
        con.execute("BEGIN")
        con.executemany(
            "INSERT INTO batches (batch_id, connection_id, bericht_leverancier_id, aanmaak_datum, "
            "status, letter_count, payload_bytes, created_at) VALUES (?, ?, ?, ?, ?, 0, 0, ?)",
            [(b[0], b[1], b[2], b[3], b[4], b[3]) for b in batches],
        )
        con.execute("COMMIT")
        t_rows = time.perf_counter() - t0

        t1 = time.perf_counter()
        for name, sql in index_sql:
            con.execute(sql)
            say(f"index {name} ({time.perf_counter() - t1:.0f} s)")
        t_indexes = time.perf_counter() - t1

        t2 = time.perf_counter()
        con.execute("ANALYZE")
        t_analyze = time.perf_counter() - t2
        con.execute("PRAGMA journal_mode=WAL")
    finally:
        con.close()
    return GenerationReport(
        db_path,
        n,
        len(batches),
        t_rows,
        t_indexes,
        t_analyze,
        db_path.stat().st_size,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="nieuw SQLite-bestand")
    parser.add_argument("letters", type=int, nargs="?", default=5_000_000)
    parser.add_argument("--dagen", type=int, default=400)
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args(argv)
    report = generate(args.path, args.letters, seed=args.seed, days=args.dagen, progress=print)
    print(report.text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
