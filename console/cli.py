"""``berichtenbox-console``: no arguments opens the GUI; subcommands do headless work.

Every command accepts ``--json`` for machine-readable output. Exit codes: 0 done,
1 failure, 2 refused input, 3 timed out waiting. The commands live in ``console.commands``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from console.commands import MODULES
from console.commands.common import EXIT_FAIL, paths_from


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="berichtenbox-console",
        description="Lokaal Leveranciersportaal en verzendengine voor de MijnOverheid Berichtenbox. "
        "Zonder opdracht opent het venster.",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="map met de gegevens (standaard: de gebruikersmap)"
    )
    parser.add_argument(
        "--temp-data-dir", action="store_true", help="gebruik een nieuwe, tijdelijke map"
    )
    parser.add_argument(
        "--database-url", help="database-URL (bijvoorbeeld PostgreSQL) in plaats van SQLite"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="uitgebreide logging")
    sub = parser.add_subparsers(dest="command", metavar="opdracht")
    for name in MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from console.app import run_gui

        return run_gui(args)
    from console.logs import setup_logging

    setup_logging(paths_from(args).logs_dir, verbose=args.verbose)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
