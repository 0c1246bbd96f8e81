"""``berichttype list|show|add|edit|status|drift|delete``: berichttypes en hun levenscyclus."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from console.commands.common import EXIT_FAIL, EXIT_OK, add_json, emit, jsonable
from console.commands.org import ConfigServices, run, show_json

if TYPE_CHECKING:
    from console.services.berichttypes import BerichtTypeDetail


def berichttype_text(b: BerichtTypeDetail) -> str:
    from console.domain.environment import Environment

    lines = [
        f"{b.code} — {b.name}  (nummer {b.id})",
        f"  Organisatie:   {b.organisation_name} ({b.organisation_oin})",
        f"  Levenscyclus:  {b.stage.label}",
    ]
    for env in Environment:
        change = b.last_change(env)
        when = f"  ({change.at.astimezone():%d-%m-%Y %H:%M} door {change.actor})" if change else ""
        lines.append(f"  {env.label + ':':<14} {b.status_for(env).label.lower()}{when}")
    if b.description:
        lines.append(f"  Omschrijving:  {b.description}")
    lines.append(f"  Berichtstromen: {', '.join(b.used_by_flows) or '-'}")
    lines.append(f"  Berichten:     {b.letter_count}")
    return "\n".join(lines)


def cmd_list(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        org_id = sv.organisations.get(args.organisatie).id if args.organisatie else None
        items = sv.berichttypes.list_all(org_id)
        lines = [
            f"{b.id:>4}  {b.code:<9} {b.stage.label:<20} sim:{b.status_simulator.value:<13} "
            f"pre:{b.status_preprod.value:<13} prod:{b.status_productie.value:<13} "
            f"{b.organisation_name}: {b.name}"
            for b in items
        ]
        return show_json(args, items, "\n".join(lines) or "Nog geen berichttypes.")

    return run(args, body)


def _find(sv: ConfigServices, args: argparse.Namespace) -> BerichtTypeDetail:
    return sv.berichttypes.find(args.organisatie, args.code)


def cmd_show(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        b = _find(sv, args)
        return show_json(args, b, berichttype_text(b))

    return run(args, body)


def cmd_add(args: argparse.Namespace) -> int:
    from console.services.berichttypes import BerichtTypeInput

    def body(sv: ConfigServices) -> int:
        org = sv.organisations.get(args.organisatie)
        b = sv.berichttypes.create(
            BerichtTypeInput(org.id, args.code, args.naam, args.omschrijving or "")
        )
        return show_json(
            args, b, f"Berichttype {b.code} van {b.organisation_name} is aangemaakt (concept)."
        )

    return run(args, body)


def cmd_edit(args: argparse.Namespace) -> int:
    from console.services.berichttypes import BerichtTypeInput

    def body(sv: ConfigServices) -> int:
        b = _find(sv, args)
        data = BerichtTypeInput(
            b.organisation_id,
            args.nieuwe_code if args.nieuwe_code is not None else b.code,
            args.naam if args.naam is not None else b.name,
            args.omschrijving if args.omschrijving is not None else b.description,
        )
        updated = sv.berichttypes.update(b.id, data)
        return show_json(args, updated, f"Berichttype {updated.code} is opgeslagen.")

    return run(args, body)


def cmd_status(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        b = _find(sv, args)
        updated = sv.berichttypes.set_status(b.id, args.omgeving, args.status)
        return show_json(args, updated, berichttype_text(updated))

    return run(args, body)


def cmd_drift(args: argparse.Namespace) -> int:
    from console.domain.environment import Environment

    def body(sv: ConfigServices) -> int:
        env = Environment(args.omgeving) if args.omgeving else None
        items = sv.berichttypes.drift(env)
        emit(
            args,
            jsonable(
                [
                    {
                        "organisation": d.organisation_name,
                        "code": d.code,
                        "environment": d.environment.value,
                        "status": d.status.value if d.status else None,
                        "used_by": d.used_by,
                        "message": d.message,
                    }
                    for d in items
                ]
            ),
            "\n".join(f"- {d.message}" for d in items)
            or "Geen afwijkingen: elk gebruikt berichttype is actief waar het naartoe gaat.",
        )
        return EXIT_FAIL if items else EXIT_OK

    return run(args, body)


def cmd_delete(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        b = _find(sv, args)
        sv.berichttypes.delete(b.id)
        return show_json(args, {"deleted": b.code}, f"Berichttype {b.code} is verwijderd.")

    return run(args, body)


def _which(p: argparse.ArgumentParser) -> None:
    p.add_argument("--organisatie", required=True, help="organisatie (OIN, naam of nummer)")
    p.add_argument("--code", required=True, help="code van het berichttype")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bt = sub.add_parser("berichttype", help="berichttypes en hun status per omgeving")
    bsub = bt.add_subparsers(dest="berichttype_command", metavar="opdracht", required=True)
    lst = add_json(bsub.add_parser("list", help="berichttypes met hun status per omgeving"))
    lst.add_argument("--organisatie", help="alleen van deze organisatie")
    lst.set_defaults(func=cmd_list)
    show = add_json(bsub.add_parser("show", help="één berichttype, met wie wat wanneer wijzigde"))
    _which(show)
    show.set_defaults(func=cmd_show)
    add = add_json(bsub.add_parser("add", help="nieuw berichttype (begint als concept)"))
    _which(add)
    add.add_argument("--naam", required=True)
    add.add_argument("--omschrijving")
    add.set_defaults(func=cmd_add)
    edit = add_json(bsub.add_parser("edit", help="naam, omschrijving of code wijzigen"))
    _which(edit)
    edit.add_argument("--nieuwe-code")
    edit.add_argument("--naam")
    edit.add_argument("--omschrijving")
    edit.set_defaults(func=cmd_edit)
    status = add_json(bsub.add_parser("status", help="status in één omgeving vastleggen"))
    _which(status)
    status.add_argument("--omgeving", required=True, choices=["simulator", "preprod", "productie"])
    status.add_argument("--status", required=True, choices=["concept", "actief", "gedeactiveerd"])
    status.set_defaults(func=cmd_status)
    drift = add_json(
        bsub.add_parser(
            "drift",
            help="gebruikte berichttypes die niet actief zijn waar ze heen gaan (code 1: gevonden)",
        )
    )
    drift.add_argument("--omgeving", choices=["simulator", "preprod", "productie"])
    drift.set_defaults(func=cmd_drift)
    delete = add_json(bsub.add_parser("delete", help="verwijderen (alleen ongebruikt concept)"))
    _which(delete)
    delete.set_defaults(func=cmd_delete)
