"""``make bench``: run every tests/benchmarks/bench_*.py ``main()`` in turn.

Benchmarks print their figures and the command that reproduces them; the latest figures
are recorded by hand in tests/benchmarks/RESULTS.md. They are not run by CI.
Run one: ``python -m tests.benchmarks bench_ebms``.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if argv:
        names = [n for n in names if n in argv]
    if not names:
        print("Geen benchmarks gevonden.")
        return 1
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        t0 = time.perf_counter()
        module = importlib.import_module(f"tests.benchmarks.{name}")
        module.main()
        print(f"({name}: {time.perf_counter() - t0:.1f} s in totaal)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
