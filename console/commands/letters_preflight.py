"""``letters preflight``: check letters before sending, from the command line or a file."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import Any

from console.commands.common import EXIT_FAIL, EXIT_OK, EXIT_REFUSED, add_json, emit, paths_from


def _organisation(services: Any, wanted: str | None) -> Any:
    status = services.workspace.status()
    if not wanted:
        return status.organisation_id
    for org in status.organisations:
        if wanted in (org.oin, org.name):
            return org.id
    return -1


def _report_json(report: Any) -> dict[str, Any]:
    return {
        "bericht": report.key,
        "goedgekeurd": report.passed,
        "oordeel": report.verdict,
        "punten": [
            {"veld": i.field, "melding": i.message, "blokkeert": i.blocking} for i in report.issues
        ],
    }


def cmd_letters_preflight(args: argparse.Namespace) -> int:
    from console.domain.letter import AttachmentDraft, LetterDraft
    from console.services.bootstrap import open_workspace
    from console.services.errors import ServiceError
    from console.services.preflight import summarise

    if not args.bestand and not args.bsn:
        print("Geef --bestand of de velden van één bericht (--bsn, --berichttype, --onderwerp).")
        return EXIT_REFUSED
    services = open_workspace(paths_from(args), start_engine=False)
    try:
        assert services.preflight is not None
        org_id = _organisation(services, args.organisatie)
        if org_id == -1:
            print(f"Organisatie {args.organisatie} hoort niet bij de actieve koppeling.")
            return EXIT_REFUSED
        try:
            if args.bestand:
                reports = services.preflight.check_file(Path(args.bestand), org_id)
            else:
                attachments = []
                for n, name in enumerate(args.bijlage or []):
                    path = Path(name)
                    if not path.is_file():
                        print(f"Bijlage {path} bestaat niet.")
                        return EXIT_REFUSED
                    omschrijving = (
                        (args.omschrijving or [])[n] if n < len(args.omschrijving or []) else ""
                    )
                    attachments.append(AttachmentDraft(path.name, path.read_bytes(), omschrijving))
                publicatie = None
                if args.publicatiedatum:
                    try:
                        publicatie = datetime.fromisoformat(args.publicatiedatum).astimezone()
                    except ValueError:
                        print(f"Publicatiedatum {args.publicatiedatum} is geen datum (2026-12-01).")
                        return EXIT_REFUSED
                draft = LetterDraft(
                    bsn=args.bsn,
                    berichttype=args.berichttype or "",
                    onderwerp=args.onderwerp or "",
                    berichttekst=(args.tekst or "").replace("\\n", "\n"),
                    referentie=args.referentie or "",
                    publicatie_datum=publicatie,
                    attachments=tuple(attachments),
                )
                reports = [services.preflight.check_one(draft, org_id)]
        except ServiceError as exc:
            print(str(exc))
            return EXIT_FAIL
        summary = summarise(reports)
        text = "\n".join(r.text() for r in reports) + "\n\n" + summary.text
        emit(
            args,
            {"samenvatting": summary.text, "berichten": [_report_json(r) for r in reports]},
            text,
        )
        return EXIT_OK if summary.refused == 0 else EXIT_REFUSED
    finally:
        services.close()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    letters = sub.add_parser("letters", help="berichten controleren")
    lsub = letters.add_subparsers(dest="letters_command", metavar="opdracht", required=True)
    p = add_json(
        lsub.add_parser(
            "preflight",
            help="controleer berichten vóór het versturen (één rapport per bericht)",
            description="Controleer berichten zoals de console dat vóór het versturen doet. "
            "Exitcode 0: alles mag weg (waarschuwingen kunnen er zijn); 2: iets is afgekeurd.",
        )
    )
    p.set_defaults(func=cmd_letters_preflight)
    p.add_argument(
        "--bestand",
        metavar="BESTAND",
        help="CSV (kolommen bsn;berichttype;onderwerp;berichttekst;referentie;publicatiedatum;"
        "bijlage;omschrijving) of JSON (lijst van berichten met dezelfde sleutels)",
    )
    p.add_argument("--bsn")
    p.add_argument("--berichttype")
    p.add_argument("--onderwerp")
    p.add_argument("--tekst", help="berichttekst; \\n wordt een regelovergang")
    p.add_argument("--referentie")
    p.add_argument("--publicatiedatum", help="ISO-datum, bijvoorbeeld 2026-12-01T09:00+01:00")
    p.add_argument("--bijlage", action="append", metavar="BESTAND.pdf")
    p.add_argument("--omschrijving", action="append", help="omschrijving per bijlage")
    p.add_argument("--organisatie", help="OIN of naam van de organisatie")
