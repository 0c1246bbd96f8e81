"""``self-test``: check this installation (schemas, migrations, keyring, a test letter)."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from console.commands.common import EXIT_FAIL, EXIT_OK, EXIT_REFUSED, emit

EXIT_CODES_HELP = "Exitcode 0: alles in orde; 1: een controle is mislukt; 2: de map is geweigerd."


def cmd_self_test(args: argparse.Namespace) -> int:
    from console import __version__
    from console.services.self_test import (
        CheckResult,
        data_dir_refusal,
        format_check,
        run_self_test,
    )

    as_json = bool(args.json)
    if args.database_url:
        print(
            "De self-test gebruikt altijd een eigen, nieuwe SQLite-database; laat "
            "--database-url weg.",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    temporary = args.data_dir is None
    if temporary:
        data_dir = Path(tempfile.mkdtemp(prefix="berichtenbox-self-test-"))
    else:
        data_dir = Path(args.data_dir).resolve()
        refusal = data_dir_refusal(data_dir)
        if refusal is not None:
            print(refusal, file=sys.stderr)
            return EXIT_REFUSED
    if not as_json:
        print(f"Self-test van de Berichtenbox console {__version__} (testmap: {data_dir})")

    def show(result: CheckResult) -> None:
        if not as_json:
            print(format_check(result), flush=True)

    report = run_self_test(data_dir, letter_timeout=args.timeout, on_check=show)
    failed = [c for c in report.checks if not c.ok]
    kept = not (temporary and report.ok)
    if not kept:
        shutil.rmtree(data_dir, ignore_errors=True)
    if failed:
        summary = (
            f"{len(failed)} van de {len(report.checks)} controles mislukt. "
            f"De testgegevens staan in {data_dir}."
        )
    else:
        summary = f"Alle {len(report.checks)} controles zijn in orde."
        if kept:
            summary += f" De testgegevens staan in {data_dir}."
    data = {
        "ok": report.ok,
        "data_dir": data_dir,
        "data_dir_kept": kept,
        "checks": list(report.checks),
    }
    emit(args, data, summary)
    return EXIT_OK if report.ok else EXIT_FAIL


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "self-test",
        help="controleer deze installatie (schema's, database, sleutelbos, testbericht)",
        description="Controleer deze installatie: de XML-schema's, de databasemigraties, de "
        "sleutelbos en één testbericht via de ingebouwde simulator over tweezijdig TLS. De "
        "test gebruikt een nieuwe, tijdelijke map (of --data-dir, vóór self-test, als die "
        "map nieuw is) en raakt uw gegevens en koppelingen niet aan. " + EXIT_CODES_HELP,
    )
    p.add_argument("--json", action="store_true", help="uitvoer als JSON")
    p.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="maximale wachttijd op het resultaat van het testbericht, in seconden",
    )
    p.set_defaults(func=cmd_self_test)
