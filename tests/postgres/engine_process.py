"""``tests.engine_headless`` on a database URL, for the crash test on PostgreSQL.

    python -m tests.postgres.engine_process --database-url URL <arguments of engine_headless>

The same headless engine (killed with SIGKILL by the test), with its database at URL instead
of the SQLite file in ``--data-dir``.
"""

from __future__ import annotations

import sys
from functools import partial

from console.settings import resolve_paths
from tests import engine_headless


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "--database-url":
        raise SystemExit("gebruik: --database-url URL <argumenten van tests.engine_headless>")
    engine_headless.resolve_paths = partial(resolve_paths, database_url=argv[1])
    return engine_headless.main(argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
