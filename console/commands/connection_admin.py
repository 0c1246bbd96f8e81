"""``connection list|show|add|edit|activate|deactivate|use|delete``: koppelingen beheren.

They hang under the ``connection`` command of :mod:`console.commands.connection` (which also
has ``connection test``) through :func:`add_subcommands`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.commands.common import add_json
from console.commands.org import ConfigServices, run, show_json

if TYPE_CHECKING:
    from console.services.connections import ConnectionDetail, ConnectionInput


def _org_id(sv: ConfigServices, ref: str) -> int:
    return sv.organisations.get(ref).id


def connection_text(c: ConnectionDetail) -> str:
    from console.services.connections import intermediary_lines

    lines = [
        f"{c.name}  (nummer {c.id})" + ("  ← werkkoppeling" if c.is_current else ""),
        f"  Omgeving:       {c.environment.label}",
        f"  Status:         {'actief' if c.active else 'gedeactiveerd'}",
        f"  Eigenaar:       {c.owner.name} ({c.owner.oin})",
        "  Verstuurt voor: "
        + (", ".join(f"{o.name} ({o.oin})" for o in c.organisations) or "alleen de eigenaar"),
        f"  Transport:      {c.transport_label}",
        f"  ebMS-adres:     {c.endpoint_override or c.endpoint_url or '-'}"
        + (" (override)" if c.endpoint_override else ""),
        f"  WUS-adres:      {c.wus_url or '-'}",
        f"  CPA:            {c.cpa_id or 'nog geen CPA'}",
        "  Certificaat:    "
        + (
            f"{c.certificate_label} (OIN {c.certificate_oin or '?'})"
            if c.certificate_id is not None
            else "geen"
        ),
        f"  Berichtstromen: {', '.join(c.flow_names) or '-'}",
        f"  Berichten:      {c.letter_count}",
        "",
        *(f"  {line}" for line in intermediary_lines(c)),
    ]
    return "\n".join(lines)


def _input(args: argparse.Namespace, sv: ConfigServices, base: ConnectionInput | None) -> Any:
    from dataclasses import replace

    from console.services.connections import ConnectionInput

    data = base or ConnectionInput(name="", owner_organisation_id=0, environment="simulator")
    changes: dict[str, Any] = {}
    if args.naam is not None:
        changes["name"] = args.naam
    if args.eigenaar is not None:
        changes["owner_organisation_id"] = _org_id(sv, args.eigenaar)
    if args.omgeving is not None:
        changes["environment"] = args.omgeving
    if args.transport is not None:
        changes["transport"] = args.transport
    if args.ebms_adres is not None:
        changes["endpoint_url"] = args.ebms_adres
    if args.wus_adres is not None:
        changes["wus_url"] = args.wus_adres
    if args.certificaat is not None:
        changes["certificate_id"] = (
            None if args.certificaat in ("", "geen") else int(args.certificaat)
        )
    if args.voor is not None:
        changes["organisation_ids"] = tuple(
            _org_id(sv, ref) for ref in args.voor if ref not in ("", "geen")
        )
    if args.niet_actief:
        changes["active"] = False
    if args.cpa is not None:
        path = Path(args.cpa)
        try:
            changes["cpa_document"] = path.read_bytes()
        except OSError as exc:
            from console.services.errors import ServiceError

            raise ServiceError(
                f"Het CPA-bestand {path} kan niet worden gelezen: {exc.strerror}."
            ) from None
        changes["cpa_filename"] = path.name
    return replace(data, **changes)


def cmd_list(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        items = sv.connections.list_all()
        lines = [
            f"{c.id:>4}  {c.environment.label:<10} {c.name:<34} {c.owner.name}"
            + (f" (+{len(c.organisations)})" if c.organisations else "")
            + ("  ← werkkoppeling" if c.is_current else "")
            + ("" if c.active else "  (gedeactiveerd)")
            for c in items
        ]
        return show_json(args, items, "\n".join(lines) or "Nog geen koppelingen.")

    return run(args, body)


def cmd_show(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        c = sv.connections.get(args.koppeling)
        return show_json(args, c, connection_text(c))

    return run(args, body)


def cmd_add(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        c = sv.connections.create(_input(args, sv, None))
        return show_json(args, c, f"Koppeling {c.name} is aangemaakt.\n\n{connection_text(c)}")

    return run(args, body)


def cmd_edit(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        current = sv.connections.get(args.koppeling)
        c = sv.connections.update(current.id, _input(args, sv, current.input()))
        return show_json(args, c, f"Koppeling {c.name} is opgeslagen.")

    return run(args, body)


def cmd_active(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        current = sv.connections.get(args.koppeling)
        c = sv.connections.set_active(current.id, args.active)
        return show_json(
            args, c, f"Koppeling {c.name} is {'actief' if c.active else 'gedeactiveerd'}."
        )

    return run(args, body)


def cmd_use(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        current = sv.connections.get(args.koppeling)
        result = sv.connections.make_current(current.id)
        return show_json(args, result, result.message)

    return run(args, body)


def cmd_delete(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        current = sv.connections.get(args.koppeling)
        sv.connections.delete(current.id)
        return show_json(
            args, {"deleted": current.name}, f"Koppeling {current.name} is verwijderd."
        )

    return run(args, body)


def _options(p: argparse.ArgumentParser, *, required: bool) -> None:
    p.add_argument("--naam", required=required, help="naam van de koppeling")
    p.add_argument(
        "--eigenaar", required=required, help="organisatie die eigenaar is (OIN, naam of nummer)"
    )
    p.add_argument("--omgeving", required=required, choices=["simulator", "preprod", "productie"])
    p.add_argument("--transport", choices=["internet", "diginetwerk"])
    p.add_argument("--ebms-adres", help="ebMS-adres van Logius (https://...); staat ook in de CPA")
    p.add_argument("--wus-adres", help="adres van de WUS-validatieservice (https://...)")
    p.add_argument(
        "--certificaat", metavar="NUMMER", help="clientcertificaat (zie 'certificates list')"
    )
    p.add_argument("--cpa", metavar="BESTAND", help="CPA-bestand van Logius")
    p.add_argument(
        "--voor",
        nargs="*",
        metavar="ORGANISATIE",
        help="organisaties waarvoor de koppeling als intermediair verstuurt (OIN of naam)",
    )
    p.add_argument("--niet-actief", action="store_true", help="opslaan als niet actief")


def add_subcommands(csub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the management commands to the ``connection`` command's subparsers."""
    add_json(csub.add_parser("list", help="alle koppelingen")).set_defaults(func=cmd_list)
    show = add_json(csub.add_parser("show", help="één koppeling, met de intermediairinrichting"))
    show.add_argument("koppeling", metavar="KOPPELING", help="naam of nummer")
    show.set_defaults(func=cmd_show)
    add = add_json(csub.add_parser("add", help="nieuwe koppeling"))
    _options(add, required=True)
    add.set_defaults(func=cmd_add)
    edit = add_json(csub.add_parser("edit", help="koppeling wijzigen"))
    edit.add_argument("koppeling", metavar="KOPPELING", help="naam of nummer")
    _options(edit, required=False)
    edit.set_defaults(func=cmd_edit)
    for name, active, text in (
        ("activate", True, "koppeling activeren"),
        ("deactivate", False, "koppeling deactiveren (geschiedenis blijft)"),
    ):
        p = add_json(csub.add_parser(name, help=text))
        p.add_argument("koppeling", metavar="KOPPELING", help="naam of nummer")
        p.set_defaults(func=cmd_active, active=active)
    use = add_json(csub.add_parser("use", help="voortaan via deze koppeling versturen"))
    use.add_argument("koppeling", metavar="KOPPELING", help="naam of nummer")
    use.set_defaults(func=cmd_use)
    delete = add_json(
        csub.add_parser("delete", help="koppeling verwijderen (alleen zonder geschiedenis)")
    )
    delete.add_argument("koppeling", metavar="KOPPELING", help="naam of nummer")
    delete.set_defaults(func=cmd_delete)
