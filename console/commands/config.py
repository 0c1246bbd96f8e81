"""``config export|import`` (the configuration to another workstation) and ``audit list|export``."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from console.commands.common import EXIT_OK, add_json, emit, jsonable
from console.commands.org import ConfigServices, run
from console.services.errors import ServiceError

if TYPE_CHECKING:
    from console.services.config_transfer import ImportPreview


def preview_text(p: ImportPreview) -> str:
    lines = [p.summary]
    if p.exported_by or p.exported_at:
        lines.append(f"Export van {p.exported_by or '?'} ({p.exported_at or '?'}).")
    for c in p.changes:
        if c.kind == "ongewijzigd":
            continue
        lines.append(f"- {c.kind:<10} {c.entity}: {c.key}")
        for f in c.fields:
            if c.kind == "nieuw":
                lines.append(f"      {f.field}: {f.new}")
            else:
                lines.append(f"      {f.field}: {f.old} → {f.new}")
        for note in c.notes:
            lines.append(f"      LET OP: {note}")
    for w in p.warnings:
        lines.append(f"LET OP: {w}")
    return "\n".join(lines)


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(data)
        partial.replace(path)
    except OSError as exc:
        raise ServiceError(
            f"Het bestand {path} kan niet worden geschreven: {exc.strerror}."
        ) from None


def cmd_export(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        data = sv.config_transfer.export()
        path = Path(args.bestand)
        _write(path, data)
        emit(
            args,
            {"file": str(path), "bytes": len(data)},
            f"De configuratie staat in {path} ({len(data):,} bytes, zonder geheimen).".replace(
                f"{len(data):,}", f"{len(data):,}".replace(",", ".")
            ),
        )
        return EXIT_OK

    return run(args, body)


def cmd_import(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        path = Path(args.bestand)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ServiceError(
                f"Het bestand {path} kan niet worden gelezen: {exc.strerror}."
            ) from None
        if args.toepassen:
            result = sv.config_transfer.apply(data)
        else:
            result = sv.config_transfer.preview(data)
        text = preview_text(result)
        if not args.toepassen and result.has_changes:
            text += "\n\nEr is nog niets gewijzigd. Importeer met --toepassen."
        emit(args, jsonable(result), text)
        return EXIT_OK

    # A fresh data dir gets what is in the file, not the demo workspace as well.
    return run(args, body, demo=False)


def cmd_audit_list(args: argparse.Namespace) -> int:
    from console.services.audit import AuditQuery

    def body(sv: ConfigServices) -> int:
        since = datetime.now(UTC) - timedelta(days=args.dagen) if args.dagen else None
        query = AuditQuery(text=args.zoek or "", entity=args.onderdeel, since=since)
        rows = sv.audit.entries(query, limit=args.aantal)
        lines = [
            f"{r.at.astimezone():%d-%m-%Y %H:%M}  {r.actor:<14} {r.entity:<13} {r.summary}"
            for r in rows
        ]
        emit(args, jsonable(rows), "\n".join(lines) or "Het auditlog is leeg.")
        return EXIT_OK

    return run(args, body)


def cmd_audit_export(args: argparse.Namespace) -> int:
    from console.services.audit import AuditQuery

    def body(sv: ConfigServices) -> int:
        data = sv.audit.export(AuditQuery(entity=args.onderdeel), fmt=args.formaat)
        if args.bestand == "-":
            sys.stdout.buffer.write(data)
            return EXIT_OK
        path = Path(args.bestand)
        _write(path, data)
        emit(args, {"file": str(path), "bytes": len(data)}, f"Het auditlog staat in {path}.")
        return EXIT_OK

    return run(args, body)


ENTITIES = [
    "organisatie",
    "koppeling",
    "berichttype",
    "berichtstroom",
    "sjabloon",
    "configuratie",
    "instelling",
    "aansluiten",
]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    config = sub.add_parser("config", help="configuratie exporteren en importeren")
    csub = config.add_subparsers(dest="config_command", metavar="opdracht", required=True)
    export = add_json(
        csub.add_parser("export", help="de hele configuratie naar één bestand (zonder geheimen)")
    )
    export.add_argument("bestand", metavar="BESTAND", help="bijvoorbeeld configuratie.json")
    export.set_defaults(func=cmd_export)
    imp = add_json(
        csub.add_parser(
            "import", help="configuratie inlezen: eerst een overzicht van de wijzigingen"
        )
    )
    imp.add_argument("bestand", metavar="BESTAND")
    imp.add_argument("--toepassen", action="store_true", help="de wijzigingen echt doorvoeren")
    imp.set_defaults(func=cmd_import)

    audit = sub.add_parser("audit", help="het auditlog van configuratiewijzigingen")
    asub = audit.add_subparsers(dest="audit_command", metavar="opdracht", required=True)
    lst = add_json(asub.add_parser("list", help="de laatste wijzigingen: wie, wanneer, wat"))
    lst.add_argument("--zoek", help="zoek in naam, omschrijving of gebruiker")
    lst.add_argument("--onderdeel", choices=ENTITIES)
    lst.add_argument("--dagen", type=int, help="alleen de laatste N dagen")
    lst.add_argument("--aantal", type=int, default=100, help="maximaal aantal regels (100)")
    lst.set_defaults(func=cmd_audit_list)
    exp = add_json(asub.add_parser("export", help="het auditlog als CSV of JSON"))
    exp.add_argument("bestand", metavar="BESTAND", help="bestand, of - voor de uitvoer")
    exp.add_argument("--formaat", choices=["csv", "json"], default="csv")
    exp.add_argument("--onderdeel", choices=ENTITIES)
    exp.set_defaults(func=cmd_audit_export)
