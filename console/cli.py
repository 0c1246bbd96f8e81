"""``berichtenbox-console``: no arguments opens the GUI; subcommands do headless work.

Every command accepts ``--json`` for machine-readable output. Exit codes: 0 done,
1 failure, 2 refused input, 3 timed out waiting.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from console.settings import AppPaths, resolve_paths

EXIT_OK, EXIT_FAIL, EXIT_REFUSED, EXIT_TIMEOUT = 0, 1, 2, 3


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(_jsonable(data), ensure_ascii=False, indent=2))
    else:
        print(text)


def _paths(args: argparse.Namespace) -> AppPaths:
    return resolve_paths(args.data_dir, temp=args.temp_data_dir, database_url=args.database_url)


# --- commands ---
def cmd_send_test(args: argparse.Namespace) -> int:
    from console.domain.letter import AttachmentDraft, LetterDraft
    from console.services.bootstrap import open_workspace
    from console.services.errors import ServiceError

    attachments: list[AttachmentDraft] = []
    for path in args.bijlage or []:
        p = Path(path)
        if not p.is_file():
            return _refuse(args, [f"Bijlage {p} bestaat niet."])
        attachments.append(AttachmentDraft(p.name, p.read_bytes()))
    draft = LetterDraft(
        bsn=args.bsn,
        berichttype=args.berichttype,
        onderwerp=args.onderwerp,
        berichttekst=(args.tekst or "").replace("\\n", "\n"),
        referentie=args.referentie or "",
        attachments=tuple(attachments),
    )
    services = open_workspace(_paths(args), start_engine=True)
    try:
        status = services.workspace.status()
        org_id = status.organisation_id
        if args.organisatie:
            match = [o for o in status.organisations if args.organisatie in (o.oin, o.name)]
            if not match:
                return _refuse(
                    args,
                    [
                        f"Organisatie {args.organisatie} hoort niet bij koppeling {status.connection_name}."
                    ],
                )
            org_id = match[0].id
        if org_id is None:
            return _refuse(args, ["Er is geen organisatie ingesteld."])
        try:
            submitted = services.letters.submit(draft, org_id, actor="cli")
        except ServiceError as exc:
            issues = getattr(exc, "issues", None)
            return _refuse(
                args, [i.message for i in issues if i.blocking] if issues else [str(exc)]
            )
        detail = services.letters.detail(submitted.letter_id)
        if args.wait:
            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline:
                detail = services.letters.detail(submitted.letter_id)
                if detail.row.status.value in _FINAL:
                    break
                time.sleep(0.2)
            else:
                _emit(
                    args,
                    _letter_json(detail, timed_out=True),
                    _letter_text(detail) + "\nNog geen resultaat binnen de wachttijd.",
                )
                return EXIT_TIMEOUT
        else:
            # Give the engine a moment to hand the batch over; the outbox keeps it otherwise.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and detail.row.status.value == "queued":
                time.sleep(0.2)
                detail = services.letters.detail(submitted.letter_id)
        _emit(args, _letter_json(detail), _letter_text(detail))
        return EXIT_OK
    finally:
        services.close()


_FINAL = {"delivered", "not_subscribed", "rejected", "duplicate", "failed", "expired", "paper"}


def _letter_json(detail: Any, *, timed_out: bool = False) -> dict[str, Any]:
    r = detail.row
    return {
        "letter_id": r.id,
        "batch_id": r.batch_id,
        "bericht_id": r.bericht_id,
        "status": r.status.value,
        "status_label": r.status_label,
        "verwerkings_code": r.verwerkings_code,
        "explanation": r.explanation,
        "next_step": detail.next_step,
        "timed_out": timed_out,
    }


def _letter_text(detail: Any) -> str:
    r = detail.row
    lines = [
        f"Bericht {r.id}",
        f"  BerichtID:        {r.bericht_id}",
        f"  BatchID:          {r.batch_id or '-'}",
        f"  Status:           {r.status_label}",
        f"  Verwerkingscode:  {r.verwerkings_code or '-'}",
        f"  Uitleg:           {r.explanation}",
    ]
    if detail.next_step:
        lines.append(f"  Volgende stap:    {detail.next_step}")
    return "\n".join(lines)


def _refuse(args: argparse.Namespace, messages: Sequence[str]) -> int:
    if getattr(args, "json", False):
        print(json.dumps({"refused": True, "issues": list(messages)}, ensure_ascii=False, indent=2))
    else:
        print("Het bericht is niet verstuurd:", file=sys.stderr)
        for msg in messages:
            print(f"  - {msg}", file=sys.stderr)
    return EXIT_REFUSED


def cmd_simulator_citizens(args: argparse.Namespace) -> int:
    from console.simulator.citizens import TEST_CITIZENS

    rows = [
        {"bsn": c.bsn, "naam": c.name, "toestand": c.state.value, "uitleg": c.state_label}
        for c in TEST_CITIZENS
    ]
    text = (
        "Testburgers van de simulator (alle BSN's zijn geldig volgens de elfproef):\n"
        + "\n".join(f"  {c.bsn}  {c.name:<14} {c.state_label}" for c in TEST_CITIZENS)
    )
    text += "\nEen ander geldig BSN heeft in de simulator geen actieve Berichtenbox."
    _emit(args, rows, text)
    return EXIT_OK


def cmd_simulator_received(args: argparse.Namespace) -> int:
    from console.simulator.state import SimulatorStateStore

    paths = _paths(args)
    store = SimulatorStateStore(paths.simulator_dir / "simulator.sqlite3")
    batches = store.batches()
    if not batches:
        _emit(args, [], "De simulator heeft nog geen batches ontvangen.")
        return EXIT_OK
    lines = ["Ontvangen batches (oudste eerst):"]
    for b in batches:
        lines.append(
            f"  {b.received_at:%Y-%m-%d %H:%M:%S}  batch {b.batch_id}  {b.letters} bericht(en)  "
            f"{'geldig' if b.valid else 'ONGELDIG'}  {b.result_summary or ''}\n      {b.path}"
        )
    _emit(args, batches, "\n".join(lines))
    return EXIT_OK


def cmd_simulator_serve(args: argparse.Namespace) -> int:
    from console.services.bootstrap import serve_simulator_standalone

    return serve_simulator_standalone(_paths(args), port=args.port)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from console.db.database import open_database, upgrade

    paths = _paths(args)
    db = open_database(paths.db_url)
    try:
        report = upgrade(db, backup_dir=paths.backups_dir)
    finally:
        db.dispose()
    _emit(args, report, f"Database bijgewerkt: {report}")
    return EXIT_OK


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

    def add(
        name: str, help_text: str, func: Callable[[argparse.Namespace], int]
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--json", action="store_true", help="uitvoer als JSON")
        p.set_defaults(func=func)
        return p

    p = add("send-test", "verstuur één testbericht via de actieve koppeling", cmd_send_test)
    p.add_argument("--bsn", required=True)
    p.add_argument("--berichttype", required=True)
    p.add_argument("--onderwerp", required=True)
    p.add_argument("--tekst", help="berichttekst; \\n wordt een regelovergang")
    p.add_argument("--referentie")
    p.add_argument(
        "--bijlage", action="append", metavar="BESTAND.pdf", help="PDF-bijlage (maximaal 2)"
    )
    p.add_argument("--organisatie", help="OIN of naam van de organisatie (bij een intermediair)")
    p.add_argument("--wait", action="store_true", help="wacht op het resultaat van MijnOverheid")
    p.add_argument("--timeout", type=float, default=120.0, help="maximale wachttijd in seconden")

    sim = sub.add_parser("simulator", help="de ingebouwde lokale preprod")
    simsub = sim.add_subparsers(dest="sim_command", metavar="opdracht", required=True)
    for name, help_text, func in (
        ("serve", "draai de simulator op de voorgrond", cmd_simulator_serve),
        ("citizens", "de testburgers en hun toestand", cmd_simulator_citizens),
        (
            "received",
            "de ontvangen batches, met het pad van elke opgeslagen payload",
            cmd_simulator_received,
        ),
    ):
        sp = simsub.add_parser(name, help=help_text, description=help_text)
        sp.add_argument("--json", action="store_true", help="uitvoer als JSON")
        sp.set_defaults(func=func)
        if name == "serve":
            sp.add_argument("--port", type=int, default=None, help="poort (standaard 8444)")

    db = sub.add_parser("db", help="database")
    dbsub = db.add_subparsers(dest="db_command", metavar="opdracht", required=True)
    up = dbsub.add_parser("upgrade", help="werk de database bij (met reservekopie)")
    up.add_argument("--json", action="store_true")
    up.set_defaults(func=cmd_db_upgrade)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from console.app import run_gui

        return run_gui(args)
    from console.logs import setup_logging

    setup_logging(_paths(args).logs_dir, verbose=args.verbose)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
