"""ebMS commands for support staff: ``ebms ping|status|inspect``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from console.commands.common import EXIT_FAIL, EXIT_OK, EXIT_REFUSED, add_json, emit, paths_from


def cmd_ebms_ping(args: argparse.Namespace) -> int:
    from console.services.bootstrap import open_workspace
    from console.services.errors import ServiceError

    services = open_workspace(paths_from(args), start_engine=True)
    try:
        assert services.ebms is not None
        try:
            result = services.ebms.ping(args.koppeling, timeout=args.timeout)
        except ServiceError as exc:
            emit(args, {"ok": False, "error": str(exc)}, str(exc))
            return EXIT_REFUSED
        text = (
            f"Ping naar {result.url} (koppeling {result.connection})\n"
            f"  MessageId: {result.message_id}\n"
            f"  HTTP:      {result.http_status if result.http_status is not None else '-'}\n"
            f"  {'Gelukt' if result.ok else 'Mislukt'}: {result.detail}"
        )
        emit(args, result, text)
        return EXIT_OK if result.ok else EXIT_FAIL
    finally:
        services.close()


def cmd_ebms_status(args: argparse.Namespace) -> int:
    from console.services.bootstrap import open_workspace
    from console.services.errors import ServiceError

    services = open_workspace(paths_from(args), start_engine=True)
    try:
        assert services.ebms is not None
        try:
            result = services.ebms.status_request(
                args.koppeling, args.message_id, timeout=args.timeout
            )
        except ServiceError as exc:
            emit(args, {"answered": False, "error": str(exc)}, str(exc))
            return EXIT_REFUSED
        emit(args, result, result.detail)
        return EXIT_OK
    finally:
        services.close()


def cmd_ebms_inspect(args: argparse.Namespace) -> int:
    from console.db.database import open_database, upgrade
    from console.services.ebms import EbmsService
    from console.services.errors import ServiceError

    paths = paths_from(args)
    db = open_database(paths.db_url)
    try:
        upgrade(db, backup_dir=paths.backups_dir)
        try:
            report = EbmsService(db, None).inspect_file(Path(args.file), client_oin=args.client_oin)
        except ServiceError as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_FAIL
        if args.json:
            print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
        else:
            lines = []
            if report.message_id:
                lines.append(
                    f"Bericht {report.message_id} (CPA {report.cpa_id}, {report.action}) van "
                    f"{report.from_party} aan {report.to_party}"
                )
            if report.valid:
                lines.append("Geen fouten: de inbound endpoint zou dit bericht aannemen.")
            else:
                lines.append(
                    f"De inbound endpoint zou antwoorden met {len(report.errors)} ebMS-fout(en):"
                )
                for e in report.errors:
                    lines.append(f"  {e.code} ({e.severity}) bij {e.location or '(geen locatie)'}")
                    lines.append(f"    {e.description}")
                    lines.append(f"    Uitleg: {e.explanation}")
                    lines.append(f"    Wat te doen: {e.next_step}")
            lines += [
                f"Opmerking: {n}" for n in report.notes if "zou dit bericht aannemen" not in n
            ]
            print("\n".join(lines))
        return EXIT_OK if report.valid else EXIT_REFUSED
    finally:
        db.dispose()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ebms = sub.add_parser("ebms", help="ebMS: ping, status en berichten controleren")
    esub = ebms.add_subparsers(dest="ebms_command", metavar="opdracht", required=True)
    p = add_json(
        esub.add_parser("ping", help="stuur een ebMS Ping over een koppeling en wacht op de Pong")
    )
    p.add_argument("koppeling", help="naam of nummer van de koppeling")
    p.add_argument("--timeout", type=float, default=30.0, help="wachttijd op de Pong in seconden")
    p.set_defaults(func=cmd_ebms_ping)
    st = add_json(
        esub.add_parser(
            "status",
            help="vraag de status van een bericht op (Logius beantwoordt dit niet op de "
            "berichtenstroom)",
        )
    )
    st.add_argument("koppeling", help="naam of nummer van de koppeling")
    st.add_argument("message_id", metavar="MESSAGEID", help="de ebMS MessageId")
    st.add_argument("--timeout", type=float, default=10.0, help="wachttijd in seconden")
    st.set_defaults(func=cmd_ebms_status)
    ins = esub.add_parser(
        "inspect",
        help="controleer een ruw ebMS-bericht zoals de inbound endpoint dat doet",
        description="Controleer een ruw ebMS-bericht (SOAP-envelope, MIME multipart of een "
        "opgeslagen HTTP-verzoek) tegen de bekende CPA's, precies zoals de inbound endpoint. "
        "Toont de ebMS-fouten die de endpoint zou teruggeven. Exitcode 0: geldig, 2: fouten.",
    )
    ins.add_argument("file", metavar="BESTAND")
    ins.add_argument(
        "--client-oin",
        help="OIN van het clientcertificaat (zonder TLS-verbinding wordt dat anders niet "
        "gecontroleerd)",
    )
    ins.add_argument(
        "--json",
        action="store_true",
        help='uitvoer als JSON: {"valid": bool, "errors": [{"code", "location", "description"}]}',
    )
    ins.set_defaults(func=cmd_ebms_inspect)
