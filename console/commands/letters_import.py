"""``letters import``: send a whole file of letters (the batch import of the Verzenden page).

The same file as ``letters preflight --bestand``. Rows that pass are queued in one
transaction; refused rows go to a CSV with a column ``reden``. The same file twice is
refused unless ``--opnieuw``. Exit code 0 when letters were queued (some rows may be
refused), 2 when the file is refused entirely (nothing stored).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from console.commands.common import EXIT_OK, EXIT_REFUSED, add_json, emit, paths_from
from console.commands.letters_search import _letters_subparsers

LISTED_ROWS = 50  # rows per outcome in the text output; the rest are counted
POLL_SECONDS = 0.5


def _organisation_id(status: Any, wanted: str | None) -> int | None:
    if not wanted:
        return int(status.organisation_id) if status.organisation_id is not None else None
    for org in status.organisations:
        if wanted in (org.oin, org.name, str(org.id)):
            return int(org.id)
    return None


def _row_json(row: Any) -> dict[str, Any]:
    return {
        "regel": row.number,
        "sleutel": row.key,
        "bsn": row.bsn_masked,
        "berichttype": row.berichttype,
        "onderwerp": row.onderwerp,
        "bijlagen": list(row.attachments),
        "uitkomst": row.outcome.value,
        "punten": [
            {"veld": i.field, "melding": i.message, "blokkeert": i.blocking} for i in row.issues
        ],
    }


def _preview_json(preview: Any) -> dict[str, Any]:
    from console.services.batch_import import RowOutcome

    return {
        "bestand": str(preview.path),
        "vingerafdruk": preview.fingerprint,
        "organisatie": preview.organisation_name,
        "omgeving": preview.environment_label,
        "totaal": preview.total,
        "ok": preview.count(RowOutcome.OK),
        "let_op": preview.count(RowOutcome.WARNING),
        "afgekeurd": preview.count(RowOutcome.REFUSED),
        "algemeen": [
            {"veld": i.field, "melding": i.message, "blokkeert": i.blocking}
            for i in preview.general
        ],
        "regels": [_row_json(r) for r in preview.rows],
    }


def _rows_text(preview: Any) -> list[str]:
    from console.services.batch_import import RowOutcome

    lines = [preview.summary]
    for outcome, title in ((RowOutcome.REFUSED, "Afgekeurd"), (RowOutcome.WARNING, "Let op")):
        rows = [r for r in preview.rows if r.outcome is outcome]
        if not rows:
            continue
        lines.append(f"{title}:")
        for row in rows[:LISTED_ROWS]:
            lines.append(f"  {row.key:<12} {row.bsn_masked:<10} {row.reasons}")
        if len(rows) > LISTED_ROWS:
            lines.append(f"  … en nog {len(rows) - LISTED_ROWS}")
    for issue in preview.general:
        lines.append(f"{'FOUT' if issue.blocking else 'Let op'}: {issue.message}")
    return lines


def _refused(
    args: argparse.Namespace, messages: list[str], preview: Any = None, written: Any = None
) -> int:
    data: dict[str, Any] = {"geimporteerd": False, "redenen": messages}
    if preview is not None:
        data["controle"] = _preview_json(preview)
    data["afgekeurd_bestand"] = str(written) if written else None
    if getattr(args, "json", False):
        emit(args, data, "")
    else:
        if preview is not None:
            print("\n".join(_rows_text(preview)))
        print("Er is niets geïmporteerd:", file=sys.stderr)
        for message in messages:
            print(f"  - {message}", file=sys.stderr)
        if written:
            print(f"De afgekeurde brieven staan in {written}.", file=sys.stderr)
    return EXIT_REFUSED


def _wait_for_engine(services: Any, result: Any, seconds: float) -> int:
    """Give the engine time to hand the letters over until Logius (or the simulator) confirmed
    receipt; returns how many are not confirmed yet (queued, being sent, or sent)."""
    from dataclasses import replace

    from console.domain.lifecycle import LetterStatus

    waiting = (LetterStatus.QUEUED, LetterStatus.SENDING, LetterStatus.SENT)
    query = replace(result.query, statuses=waiting)
    deadline = time.monotonic() + seconds
    left = int(services.letters.count(query))
    while left and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        left = int(services.letters.count(query))
    return left


def cmd_letters_import(args: argparse.Namespace) -> int:
    from console.services.batch_import import AlreadyImported, RowOutcome
    from console.services.bootstrap import open_workspace
    from console.services.errors import ServiceError

    path = Path(args.bestand)
    if not path.is_file():
        return _refused(args, [f"Het bestand {path} bestaat niet."])
    services = open_workspace(paths_from(args), start_engine=args.wachttijd > 0)
    try:
        batch = services.batch_import
        assert batch is not None
        status = services.workspace.status()
        org_id = _organisation_id(status, args.organisatie)
        if org_id is None:
            return _refused(
                args,
                [
                    f"Organisatie {args.organisatie} hoort niet bij koppeling "
                    f"{status.connection_name}."
                    if args.organisatie
                    else "Er is nog geen organisatie ingesteld."
                ],
            )
        try:
            preview = batch.preview(path, org_id)
        except ServiceError as exc:
            return _refused(args, [str(exc)])
        include = bool(args.ook_waarschuwingen)
        rejected = Path(args.afgekeurd) if args.afgekeurd else None
        if preview.to_send(include) == 0:
            written = None
            held = preview.held_rows(include)
            if held:
                try:
                    written = batch.write_rejected(
                        preview, rejected or _default_rejected(path), held
                    )
                except ServiceError as exc:
                    return _refused(args, [str(exc)], preview)
            reason = f"Geen enkele brief in {path.name} kan worden verstuurd."
            if not include and preview.count(RowOutcome.WARNING):
                reason += " Brieven met een waarschuwing gaan alleen mee met --ook-waarschuwingen."
            return _refused(args, [reason], preview, written)
        guard = services.production_guard
        if args.bevestig and guard is not None and guard.needs_confirmation(org_id):
            try:
                guard.confirm(org_id, args.bevestig)
            except ServiceError as exc:
                return _refused(args, [str(exc)], preview)
        try:
            result = batch.import_letters(
                preview,
                include_warnings=include,
                rejected_path=rejected,
                resend=args.opnieuw,
                channel="opdrachtregel",
            )
        except AlreadyImported as exc:
            return _refused(args, [i.message for i in exc.issues], preview)
        except ServiceError as exc:
            issues = getattr(exc, "issues", None)
            messages = [i.message for i in issues if i.blocking] if issues else [str(exc)]
            if any(i.field == "Bevestiging" for i in issues or []):
                messages.append(
                    f'Op de opdrachtregel bevestigt u met --bevestig "{preview.organisation_name}".'
                )
            return _refused(args, messages, preview)
        waiting = _wait_for_engine(services, result, args.wachttijd) if args.wachttijd > 0 else None
        data = {
            "geimporteerd": True,
            "import": result.tag,
            "samenvatting": result.summary,
            "in_wachtrij": result.queued,
            "met_waarschuwing": result.with_warnings,
            "afgekeurd": result.refused,
            "niet_verstuurd_waarschuwing": result.held_back,
            "afgekeurd_bestand": str(result.rejected_path) if result.rejected_path else None,
            "opnieuw": result.resent,
            "nog_niet_bevestigd": waiting,
            "controle": _preview_json(preview),
        }
        lines = _rows_text(preview)
        lines.append("")
        lines.append(result.summary)
        if waiting:
            lines.append(
                f"Van {waiting} brief/brieven heeft Logius de ontvangst nog niet bevestigd; de "
                "console maakt het af zodra hij weer draait (het venster)."
            )
        elif waiting is None:
            lines.append(
                "De brieven staan in de wachtrij; de console verstuurt ze zodra hij draait."
            )
        lines.append(
            f"Deze import terugvinden: berichtenbox-console letters search --zoek {result.tag}"
        )
        emit(args, data, "\n".join(lines))
        return EXIT_OK
    finally:
        services.close()


def _default_rejected(path: Path) -> Path:
    from console.services.batch_import import default_rejected_path

    return default_rejected_path(path)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    lsub = _letters_subparsers(sub)
    p = add_json(
        lsub.add_parser(
            "import",
            help="verstuur een heel bestand met brieven (CSV of JSON)",
            description="Lees een bestand met brieven, controleer elke brief en zet de goede in "
            "één keer in de wachtrij. Afgekeurde brieven komen in een CSV met de kolom 'reden'. "
            "Exitcode 0: er staan brieven in de wachtrij; 2: er is niets geïmporteerd.",
        )
    )
    p.set_defaults(func=cmd_letters_import)
    p.add_argument(
        "bestand",
        metavar="BESTAND",
        help="CSV (kolommen bsn;berichttype;onderwerp;berichttekst;referentie;publicatiedatum;"
        "bijlage;omschrijving) of JSON (lijst van brieven met dezelfde sleutels)",
    )
    p.add_argument("--organisatie", help="OIN, naam of nummer van de organisatie")
    p.add_argument(
        "--ook-waarschuwingen",
        action="store_true",
        help="verstuur ook brieven met een waarschuwing (let op); anders komen ze bij de "
        "afgekeurde",
    )
    p.add_argument(
        "--afgekeurd",
        metavar="PAD",
        help="waar de afgekeurde brieven komen (standaard: naast het bestand, "
        "<naam>-afgekeurd.csv)",
    )
    p.add_argument(
        "--opnieuw",
        action="store_true",
        help="verstuur een bestand dat al eerder is geïmporteerd bewust nog een keer",
    )
    p.add_argument(
        "--bevestig",
        metavar="NAAM",
        help="in PRODUCTIE: de naam van de organisatie, ter bevestiging",
    )
    p.add_argument(
        "--wachttijd",
        type=float,
        default=60.0,
        metavar="SECONDEN",
        help="hoe lang de opdracht wacht tot Logius de ontvangst heeft bevestigd (standaard "
        "60; 0: alleen in de wachtrij zetten, het venster verstuurt ze later)",
    )
