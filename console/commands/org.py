"""``org list|show|add|edit|activate|deactivate|delete``: organisaties (afnemers).

Also the helpers the other configuration commands share (``connection``, ``berichttype``,
``flow``, ``config``, ``audit``): opening the configuration services on the database, and
printing a refusal with the problem per field.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from console.commands.common import EXIT_OK, EXIT_REFUSED, add_json, emit, jsonable, paths_from

if TYPE_CHECKING:
    from console.db.database import Database
    from console.services.audit import AuditService
    from console.services.berichttypes import BerichtTypeService
    from console.services.config_transfer import ConfigTransferService
    from console.services.connections import ConnectionService
    from console.services.flows import FlowService
    from console.services.organisations import (
        ContactInput,
        OrganisationDetail,
        OrganisationService,
    )


@dataclass
class ConfigServices:
    db: Database
    organisations: OrganisationService
    connections: ConnectionService
    berichttypes: BerichtTypeService
    flows: FlowService
    audit: AuditService
    config_transfer: ConfigTransferService


@contextmanager
def config_services(args: argparse.Namespace, *, demo: bool = True) -> Iterator[ConfigServices]:
    """The configuration services on the workspace's database (a fresh one gets the demo, as
    in the window, unless *demo* is False: an import into a fresh data dir stays clean).
    No engine, simulator or keyring: these commands only change settings."""
    from console.db.database import open_database, upgrade
    from console.services.audit import AuditService
    from console.services.berichttypes import BerichtTypeService
    from console.services.config_transfer import ConfigTransferService
    from console.services.connections import ConnectionService
    from console.services.cpa import CpaService
    from console.services.demo import create_demo_workspace, needs_demo
    from console.services.flows import FlowService
    from console.services.organisations import OrganisationService

    paths = paths_from(args)
    paths.ensure()
    db = open_database(paths.db_url)
    try:
        upgrade(db, backup_dir=paths.backups_dir)
        if demo and needs_demo(db):
            create_demo_workspace(db)
        cpa = CpaService(db)
        yield ConfigServices(
            db,
            OrganisationService(db),
            ConnectionService(db, cpa),
            BerichtTypeService(db),
            FlowService(db),
            AuditService(db),
            ConfigTransferService(db, cpa),
        )
    finally:
        db.dispose()


def refused(args: argparse.Namespace, exc: Exception) -> int:
    """Print a refusal (ServiceError): the message, and per field in JSON."""
    issues = [
        {"field": i.field, "message": i.message, "blocking": i.blocking}
        for i in getattr(exc, "issues", []) or []
    ]
    if getattr(args, "json", False):
        print(
            json.dumps(
                {"refused": True, "message": str(exc), "issues": issues},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print(str(exc), file=sys.stderr)
    return EXIT_REFUSED


def run(
    args: argparse.Namespace, body: Callable[[ConfigServices], int], *, demo: bool = True
) -> int:
    """Open the services, run *body*; a known problem becomes a refusal (exit code 2)."""
    from console.services.errors import ServiceError

    try:
        with config_services(args, demo=demo) as services:
            return body(services)
    except ServiceError as exc:
        return refused(args, exc)


def _plain(value: Any) -> Any:
    """What :func:`jsonable` leaves as a date becomes ISO text (peak days)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def show_json(args: argparse.Namespace, data: Any, text: str) -> int:
    emit(args, _plain(jsonable(data)), text)
    return EXIT_OK


# --- organisations --------------------------------------------------------------------------


def _contacts(args: argparse.Namespace) -> tuple[ContactInput, ...] | None:
    from console.services.organisations import ContactInput

    given = {
        "algemeen": args.contact_algemeen,
        "technisch": args.contact_technisch,
        "communicatie": args.contact_communicatie,
    }
    if all(v is None for v in given.values()):
        return None
    out = []
    for role, value in given.items():
        if value is None:
            continue
        parts = [p.strip() for p in value.split(";")] + ["", "", ""]
        out.append(ContactInput(role, parts[0], parts[1], parts[2]))
    return tuple(out)


def _org_text(o: OrganisationDetail) -> str:
    lines = [
        f"{o.name}  (nummer {o.id})",
        f"  OIN:            {o.oin}" + ("  (test-OIN)" if o.is_test_oin else ""),
        f"  Soort:          {o.kind_label}",
        f"  Status:         {'actief' if o.active else 'gedeactiveerd'}",
        f"  Eigen koppeling: {', '.join(o.owns_connections) or '-'}",
        f"  Via intermediair: {', '.join(o.sent_for_by) or '-'}",
        f"  Berichttypes:   {o.berichttype_count}   Berichtstromen: {o.flow_count}   "
        f"Berichten: {o.letter_count}",
    ]
    p = o.profile
    if any((p.display_name, p.description, p.website_url, p.contact_url, p.contact_phone)):
        lines.append("  Organisatieprofiel (wat burgers zien):")
        for label, value in (
            ("Weergavenaam", p.display_name),
            ("Omschrijving", p.description),
            ("Website", p.website_url),
            ("Contactpagina", p.contact_url),
            ("Telefoon", p.contact_phone),
        ):
            if value:
                lines.append(f"    {label + ':':<15}{value}")
    for c in o.contacts:
        if not c.empty:
            details = ", ".join(v for v in (c.email, c.phone) if v)
            lines.append(f"  Contact {c.role}: {c.name}" + (f" ({details})" if details else ""))
    return "\n".join(lines)


def cmd_org_list(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        orgs = sv.organisations.list_all()
        lines = [
            f"{o.id:>4}  {o.oin}  {o.kind_label:<22} {o.name}"
            + ("" if o.active else "  (gedeactiveerd)")
            for o in orgs
        ]
        return show_json(args, orgs, "\n".join(lines) or "Nog geen organisaties.")

    return run(args, body)


def cmd_org_show(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        o = sv.organisations.get(args.organisatie)
        return show_json(args, o, _org_text(o))

    return run(args, body)


def _org_input(args: argparse.Namespace, base: Any = None) -> Any:
    from dataclasses import replace

    from console.services.organisations import OrganisationInput, ProfileInput

    data = base or OrganisationInput(name="", oin="")
    profile = data.profile
    changes = {
        k: v
        for k, v in {
            "display_name": args.weergavenaam,
            "description": args.omschrijving,
            "website_url": args.website,
            "contact_url": args.contactpagina,
            "contact_phone": args.telefoon,
        }.items()
        if v is not None
    }
    profile = replace(profile, **changes) if changes else profile or ProfileInput()
    contacts = _contacts(args)
    if contacts is not None:
        kept = {c.role: c for c in data.contacts}
        kept.update({c.role: c for c in contacts})
        contacts = tuple(kept.values())
    return replace(
        data,
        name=args.naam if args.naam is not None else data.name,
        oin=args.oin if args.oin is not None else data.oin,
        kind=args.soort if args.soort is not None else data.kind,
        profile=profile,
        contacts=contacts if contacts is not None else data.contacts,
    )


def cmd_org_add(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        o = sv.organisations.create(_org_input(args))
        return show_json(args, o, f"Organisatie {o.name} ({o.oin}) is aangemaakt.")

    return run(args, body)


def cmd_org_edit(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        current = sv.organisations.get(args.organisatie)
        o = sv.organisations.update(current.id, _org_input(args, current.input()))
        return show_json(args, o, f"Organisatie {o.name} is opgeslagen.")

    return run(args, body)


def cmd_org_active(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        current = sv.organisations.get(args.organisatie)
        o = sv.organisations.set_active(current.id, args.active)
        word = "actief" if o.active else "gedeactiveerd; de geschiedenis blijft bewaard"
        return show_json(args, o, f"Organisatie {o.name} is {word}.")

    return run(args, body)


def cmd_org_delete(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        current = sv.organisations.get(args.organisatie)
        sv.organisations.delete(current.id)
        return show_json(
            args, {"deleted": current.oin}, f"Organisatie {current.name} is verwijderd."
        )

    return run(args, body)


def _org_options(p: argparse.ArgumentParser, *, required: bool) -> None:
    p.add_argument("--naam", required=required, help="naam van de organisatie")
    p.add_argument("--oin", required=required, help="OIN (20 cijfers)")
    p.add_argument(
        "--soort",
        choices=[
            "gemeente",
            "waterschap",
            "belastingsamenwerking",
            "pensioenfonds",
            "pensioenuitvoerder",
            "leverancier",
            "overig",
        ],
        help="soort organisatie (standaard gemeente)",
    )
    p.add_argument("--weergavenaam", help="naam in MijnOverheid (organisatieprofiel)")
    p.add_argument("--omschrijving", help="omschrijving voor burgers (organisatieprofiel)")
    p.add_argument("--website", help="website (https://...)")
    p.add_argument("--contactpagina", help="contactpagina voor burgers (https://...)")
    p.add_argument("--telefoon", help="telefoonnummer voor burgers")
    for role in ("algemeen", "technisch", "communicatie"):
        p.add_argument(
            f"--contact-{role}",
            metavar="NAAM;E-MAIL;TELEFOON",
            help=f"contactpersoon {role} (leeg: verwijderen)",
        )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    org = sub.add_parser("org", help="organisaties (afnemers)")
    osub = org.add_subparsers(dest="org_command", metavar="opdracht", required=True)
    add_json(osub.add_parser("list", help="alle organisaties")).set_defaults(func=cmd_org_list)
    show = add_json(osub.add_parser("show", help="één organisatie met profiel en contacten"))
    show.add_argument("organisatie", metavar="ORGANISATIE", help="nummer, OIN of naam")
    show.set_defaults(func=cmd_org_show)
    add = add_json(osub.add_parser("add", help="nieuwe organisatie"))
    _org_options(add, required=True)
    add.set_defaults(func=cmd_org_add)
    edit = add_json(osub.add_parser("edit", help="organisatie wijzigen"))
    edit.add_argument("organisatie", metavar="ORGANISATIE", help="nummer, OIN of naam")
    _org_options(edit, required=False)
    edit.set_defaults(func=cmd_org_edit)
    for name, active, text in (
        ("activate", True, "organisatie weer activeren"),
        ("deactivate", False, "organisatie deactiveren (geschiedenis blijft)"),
    ):
        p = add_json(osub.add_parser(name, help=text))
        p.add_argument("organisatie", metavar="ORGANISATIE", help="nummer, OIN of naam")
        p.set_defaults(func=cmd_org_active, active=active)
    delete = add_json(
        osub.add_parser("delete", help="organisatie verwijderen (alleen zonder geschiedenis)")
    )
    delete.add_argument("organisatie", metavar="ORGANISATIE", help="nummer, OIN of naam")
    delete.set_defaults(func=cmd_org_delete)
