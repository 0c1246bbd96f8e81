"""Import of a gzipped AbonnementService answer: time and peak memory, 100,000 and 1,000,000 BSNs.

Target (issue 4): a 1,000,000-BSN answer in under 15 s with flat memory. Each size runs in
its own process on a fresh SQLite file, so the peak resident memory (VmHWM, reset just
before the import) belongs to the import alone. Flat memory shows as about the same peak
for 100,000 and 1,000,000 BSNs.

Run: ``.venv/bin/python -m tests.benchmarks bench_abs_import``
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

SIZES = (100_000, 1_000_000)


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _write_answer(path: Path, count: int) -> None:
    from console.berichtenbox.abonnement import (
        AanvraagSoort,
        AbonnementRegel,
        AbonnementStatus,
        AntwoordKop,
        write_antwoord,
    )
    from console.services.demo import DEMO_OIN

    statuses = (
        AbonnementStatus.SUBSCRIBED,
        AbonnementStatus.NOT_SUBSCRIBED,
        AbonnementStatus.NO_BOX,
    )
    kop = AntwoordKop(DEMO_OIN, f"bench-{count}", AanvraagSoort.BSN_LIJST, datetime.now(UTC))
    with path.open("wb") as out:
        write_antwoord(
            out,
            kop,
            (AbonnementRegel(f"{100_000_000 + n:09d}", statuses[n % 3]) for n in range(count)),
        )


def child(count: int, folder: Path) -> dict[str, float]:
    from console.db import models_subscriptions as ms
    from console.db.database import open_database, upgrade
    from console.engine.subscriptions import SubscriptionImporter
    from console.services.demo import create_demo_workspace

    answer = folder / f"answer-{count}.xml.gz"
    db = open_database(f"sqlite:///{folder / f'bench-{count}.sqlite3'}")
    upgrade(db, backup_dir=None)
    create_demo_workspace(db)
    payload = answer.read_bytes()
    with db.session() as s:
        row = ms.SubscriptionAnswer(message_id="bench", payload=payload, payload_bytes=len(payload))
        s.add(row)
        s.commit()
        answer_id = row.id
    del payload
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = _rss_kib("VmRSS")
    t0 = time.perf_counter()
    outcome = SubscriptionImporter(db).import_answer(answer_id)
    seconds = time.perf_counter() - t0
    peak = _rss_kib("VmHWM")
    assert outcome.imported and outcome.entries == count, outcome
    return {
        "bsns": count,
        "gzip_bytes": answer.stat().st_size,
        "seconds": seconds,
        "rss_before_mib": before / 1024,
        "peak_mib": peak / 1024,
        "growth_mib": (peak - before) / 1024,
    }


def main() -> None:
    print(
        "Import van een abonnementsantwoord (gzip, eigen antwoordformaat), per grootte een eigen proces"
    )
    with tempfile.TemporaryDirectory(prefix="bench-abs-") as tmp:
        folder = Path(tmp)
        for count in SIZES:
            t0 = time.perf_counter()
            _write_answer(folder / f"answer-{count}.xml.gz", count)
            made = time.perf_counter() - t0
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tests.benchmarks.bench_abs_import",
                    "--child",
                    str(count),
                    tmp,
                ],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ},
            )
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            rate = f"{count / r['seconds']:,.0f}".replace(",", ".")
            print(
                f"  {count:>9_} BSN's: antwoord {r['gzip_bytes'] / 1e6:5.1f} MB gzip (gemaakt in "
                f"{made:4.1f} s); import {r['seconds']:5.1f} s ({rate} BSN/s); RSS voor "
                f"{r['rss_before_mib']:5.0f} MiB, piek {r['peak_mib']:5.0f} MiB "
                f"(+{r['growth_mib']:.0f} MiB)".replace("_", ".")
            )
    print(
        "Doel: 1.000.000 BSN's in minder dan 15 s, geheugen vlak (zelfde groei bij 100.000 en 1.000.000)."
    )
    print("Opnieuw: .venv/bin/python -m tests.benchmarks bench_abs_import")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(child(int(sys.argv[2]), Path(sys.argv[3]))))
    else:
        main()
