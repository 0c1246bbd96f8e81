"""CPA commands: ``cpa import|list|show|endpoint``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from console.commands.common import EXIT_FAIL, EXIT_OK, EXIT_REFUSED, add_json, emit, paths_from

if TYPE_CHECKING:
    from console.db.database import Database
    from console.services.cpa import CpaDetails, CpaService, PartyView


def _open(args: argparse.Namespace) -> tuple[Database, CpaService]:
    from console.db.database import open_database, upgrade
    from console.services.cpa import CpaService

    paths = paths_from(args)
    db = open_database(paths.db_url)
    upgrade(db, backup_dir=paths.backups_dir)
    return db, CpaService(db)


def _date(value: object) -> str:
    from datetime import datetime

    return value.strftime("%d-%m-%Y %H:%M") if isinstance(value, datetime) else "-"


def _party_text(p: PartyView) -> list[str]:
    lines = [
        f"  {p.name}",
        f"    PartyId:        {', '.join(p.party_ids)}",
        f"    Rol:            {', '.join(p.roles)}",
    ]
    for label, actions in (("Verstuurt", p.sends), ("Ontvangt", p.receives)):
        for a in actions:
            service = f"{a.service} ({a.service_type})" if a.service_type else a.service
            lines.append(f"    {label + ':':<16}{a.action}  [{service}, kanaal {a.channel_id}]")
    for c in p.channels:
        lines.append(f"    Kanaal {c.channel_id}: profiel {c.profile} ({c.profile_label})")
        lines.append(f"      Endpoint:               {c.endpoint or '-'}")
        lines.append(f"      syncReplyMode:          {c.sync_reply_mode}")
        lines.append(f"      ackRequested:           {c.ack_requested}")
        lines.append(f"      duplicateElimination:   {c.duplicate_elimination}")
        lines.append(f"      ackSignatureRequested:  {c.ack_signature_requested}")
        retries = "-" if c.retries is None else str(c.retries)
        lines.append(f"      Retries:                {retries}")
        lines.append(
            f"      RetryInterval:          {c.retry_interval or '-'}"
            + (f" ({c.retry_interval_text})" if c.retry_interval_text else "")
        )
        lines.append(
            f"      PersistDuration:        {c.persist_duration or '-'}"
            + (f" ({c.persist_duration_text})" if c.persist_duration_text else "")
        )
    for cert in p.certificates:
        lines.append(f"    Certificaat {cert.cert_id}")
        lines.append(f"      Onderwerp:    {cert.subject}")
        lines.append(f"      Uitgever:     {cert.issuer}")
        lines.append(f"      Geldig:       {_date(cert.not_before)} tot {_date(cert.not_after)}")
        lines.append(f"      SHA-256:      {cert.fingerprint_sha256 or '-'}")
        if cert.oin:
            lines.append(f"      OIN:          {cert.oin}")
    return lines


def details_text(d: CpaDetails) -> str:
    lines = [
        f"CPA {d.cpa_id}" + (f" (nummer {d.id})" if d.id is not None else ""),
        f"  Status:           {d.status}",
        f"  Geldig:           {_date(d.start)} tot {_date(d.end)}",
        f"  Profiel:          {', '.join(d.profiles)}",
        f"  Versturen:        {'mogelijk' if d.sending_supported else 'GEWEIGERD (profiel)'}",
        f"  Koppeling:        {d.connection_name or '-'}"
        + (" (vervangen door een nieuwere CPA)" if d.replaced else ""),
    ]
    if d.imported_at is not None:
        lines.append(
            f"  Geïmporteerd:     {_date(d.imported_at)} door {d.imported_by or '-'}"
            + (f" uit {d.filename}" if d.filename else "")
        )
    lines.append(f"  SHA-256:          {d.sha256}")
    lines.append("Partijen:")
    for party in d.parties:
        lines += _party_text(party)
    if d.warnings:
        lines.append("Let op:")
        lines += [f"  - {w}" for w in d.warnings]
    return "\n".join(lines)


def cmd_cpa_import(args: argparse.Namespace) -> int:
    from console.services.errors import ServiceError

    db, service = _open(args)
    try:
        connection_id = None
        if args.koppeling:
            connection_id = _connection_id(db, args.koppeling)
            if connection_id is None:
                print(f"Koppeling {args.koppeling} bestaat niet.", file=sys.stderr)
                return EXIT_REFUSED
        try:
            result = service.import_file(Path(args.file), connection_id=connection_id, actor="cli")
        except ServiceError as exc:
            if args.json:
                emit(args, {"imported": False, "error": str(exc)}, "")
            else:
                print(str(exc), file=sys.stderr)
            return EXIT_REFUSED
        emit(
            args,
            {
                "imported": True,
                "already_known": result.already_known,
                "connection": result.connection_name,
                "message": result.message,
                "cpa": result.details,
            },
            result.message + "\n\n" + details_text(result.details),
        )
        return EXIT_OK
    finally:
        db.dispose()


def cmd_cpa_list(args: argparse.Namespace) -> int:
    db, service = _open(args)
    try:
        rows = service.summaries()
        if not rows:
            emit(args, [], "Er zijn nog geen CPA's geïmporteerd. Gebruik 'cpa import BESTAND'.")
            return EXIT_OK
        lines = ["CPA's (nieuwste eerst):"]
        for r in rows:
            where = f"koppeling {r.connection_name}" if r.connection_name else "-"
            if r.replaced:
                where = "vervangen"
            lines.append(
                f"  {r.id:>4}  {r.cpa_id}  {r.status}  {r.profile}  geldig tot {_date(r.end)}  "
                f"{where}\n        {r.parties}"
            )
            lines += [f"        let op: {w}" for w in r.warnings]
        emit(args, rows, "\n".join(lines))
        return EXIT_OK
    finally:
        db.dispose()


def cmd_cpa_show(args: argparse.Namespace) -> int:
    from console.services.errors import ServiceError

    db, service = _open(args)
    try:
        try:
            details = service.show(args.id)
            if args.xml:
                sys.stdout.write(service.document(args.id).decode("utf-8", "replace"))
                return EXIT_OK
        except ServiceError as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_FAIL
        emit(args, details, details_text(details))
        return EXIT_OK
    finally:
        db.dispose()


def cmd_cpa_endpoint(args: argparse.Namespace) -> int:
    from console.services.errors import ServiceError

    db, service = _open(args)
    try:
        connection_id = _connection_id(db, args.koppeling)
        if connection_id is None:
            print(f"Koppeling {args.koppeling} bestaat niet.", file=sys.stderr)
            return EXIT_REFUSED
        try:
            if args.reset:
                service.set_endpoint_override(connection_id, None)
            elif args.url:
                service.set_endpoint_override(connection_id, args.url)
        except ServiceError as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_REFUSED
        from_cpa, override = service.connection_endpoint(connection_id)
        emit(
            args,
            {"connection": args.koppeling, "cpa_endpoint": from_cpa, "override": override},
            f"Endpoint uit de CPA:  {from_cpa}\nAfwijkend endpoint:   {override or '-'}\n"
            f"Er wordt verstuurd naar {override or from_cpa}.",
        )
        return EXIT_OK
    finally:
        db.dispose()


def _connection_id(db: Database, ref: str) -> int | None:
    from sqlalchemy import select

    from console.db import models as m

    with db.session() as s:
        if ref.isdigit():
            conn = s.get(m.Connection, int(ref))
        else:
            conn = s.scalar(select(m.Connection).where(m.Connection.name == ref))
        return conn.id if conn is not None else None


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cpa = sub.add_parser("cpa", help="CPA's: importeren, bekijken, geschiedenis")
    csub = cpa.add_subparsers(dest="cpa_command", metavar="opdracht", required=True)
    imp = add_json(
        csub.add_parser(
            "import",
            help="importeer een CPA (XML) en gebruik haar voor de koppeling waar ze bij hoort",
        )
    )
    imp.add_argument("file", metavar="BESTAND", help="het CPA-bestand (XML)")
    imp.add_argument(
        "--koppeling", help="naam of nummer van de koppeling (standaard: de passende koppeling)"
    )
    imp.set_defaults(func=cmd_cpa_import)
    add_json(csub.add_parser("list", help="alle geïmporteerde CPA's")).set_defaults(
        func=cmd_cpa_list
    )
    show = add_json(csub.add_parser("show", help="alles wat in één CPA staat"))
    show.add_argument("id", type=int, metavar="NUMMER", help="het nummer uit 'cpa list'")
    show.add_argument("--xml", action="store_true", help="toon het CPA-document zelf")
    show.set_defaults(func=cmd_cpa_show)
    ep = add_json(
        csub.add_parser(
            "endpoint", help="toon of wijzig het endpoint van een koppeling (bijv. via een proxy)"
        )
    )
    ep.add_argument("koppeling", help="naam of nummer van de koppeling")
    ep.add_argument("url", nargs="?", help="verstuur naar dit adres in plaats van dat uit de CPA")
    ep.add_argument("--reset", action="store_true", help="gebruik weer het endpoint uit de CPA")
    ep.set_defaults(func=cmd_cpa_endpoint)
