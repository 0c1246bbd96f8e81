"""``flow list|show|add|edit|activate|deactivate|template|render``: berichtstromen."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.commands.common import add_json
from console.commands.org import ConfigServices, run, show_json
from console.services.errors import ServiceError

if TYPE_CHECKING:
    from console.services.flows import FlowDetail, FlowInput, PeakInput


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def flow_text(f: FlowDetail) -> str:
    lines = [
        f"{f.name}  (nummer {f.id})" + ("" if f.active else "  (gedeactiveerd)"),
        f"  Organisatie:    {f.organisation_name} ({f.organisation_oin})",
        f"  Bronsysteem:    {f.source_system or '-'}",
        f"  Berichttype:    {f.default_berichttype or '-'}"
        + "".join(
            f"  [{env.label}: {st.label.lower() if st else 'bestaat niet'}]"
            for env, st in f.berichttype_status
        ),
        f"  Koppeling:      {f.connection_name or '(elke koppeling van de organisatie)'}",
        f"  Cadans:         {f.cadence.label}"
        + (f", ongeveer {_number(f.volume_per_month)} per maand" if f.volume_per_month else ""),
        f"  Post/digitaal:  {f.delivery_policy.label}",
        f"  Portaal:        {f.portal_url or '-'}",
        f"  Betalen:        {f.payment_url or '-'}",
    ]
    for p in f.peaks:
        count = f" ({_number(p.expected_letters)} brieven)" if p.expected_letters else ""
        lines.append(f"  Piekdag:        {p.day:%d-%m-%Y}{count} {p.note}".rstrip())
    for t in f.templates:
        lines.append(f"  Sjabloon {t.name} (berichttype {t.effective_berichttype or '-'}):")
        lines.append(f"    Onderwerp: {t.onderwerp}")
        for line in t.berichttekst.splitlines() or [""]:
            lines.append(f"    | {line}")
        for issue in t.issues:
            lines.append(f"    {'FOUT' if issue.blocking else 'LET OP'}: {issue.message}")
    return "\n".join(lines)


def parse_peak(text: str) -> PeakInput:
    """``2027-02-28=38000:Aanslagen 2027`` (number and note optional)."""
    from console.services.flows import PeakInput

    day_text, _, rest = text.partition("=")
    count_text, _, note = rest.partition(":")
    try:
        day = date.fromisoformat(day_text.strip())
    except ValueError:
        raise ServiceError(f"Piekdag '{text}': schrijf de datum als 2027-02-28.") from None
    count: int | None = None
    if count_text.strip():
        try:
            count = int(count_text.strip().replace(".", ""))
        except ValueError:
            raise ServiceError(
                f"Piekdag '{text}': het aantal '{count_text}' is geen getal."
            ) from None
    return PeakInput(day, count, note.strip())


def _input(args: argparse.Namespace, sv: ConfigServices, base: FlowInput | None) -> Any:
    from dataclasses import replace

    from console.services.flows import FlowInput

    data = base or FlowInput(organisation_id=0, name="")
    changes: dict[str, Any] = {}
    if getattr(args, "organisatie", None) is not None and base is None:
        changes["organisation_id"] = sv.organisations.get(args.organisatie).id
    if args.naam is not None:
        changes["name"] = args.naam
    for arg, key in (
        ("bronsysteem", "source_system"),
        ("cadans", "cadence"),
        ("beleid", "delivery_policy"),
        ("portaal", "portal_url"),
        ("betaal", "payment_url"),
    ):
        if getattr(args, arg) is not None:
            changes[key] = getattr(args, arg)
    if args.berichttype is not None:
        changes["default_berichttype"] = args.berichttype or None
    if args.volume is not None:
        changes["volume_per_month"] = args.volume
    if args.koppeling is not None:
        changes["connection_id"] = (
            sv.connections.get(args.koppeling).id if args.koppeling not in ("", "geen") else None
        )
    if args.piek is not None:
        changes["peaks"] = tuple(parse_peak(p) for p in args.piek)
    return replace(data, **changes)


def _find(sv: ConfigServices, args: argparse.Namespace) -> FlowDetail:
    return sv.flows.find(args.stroom, getattr(args, "organisatie", None))


def cmd_list(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        org_id = sv.organisations.get(args.organisatie).id if args.organisatie else None
        items = sv.flows.list_all(org_id)
        lines = [
            f"{f.id:>4}  {f.organisation_name:<30} {f.name:<38} {f.default_berichttype or '-':<9}"
            f" {f.connection_name or '-'}" + ("" if f.active else "  (gedeactiveerd)")
            for f in items
        ]
        return show_json(args, items, "\n".join(lines) or "Nog geen berichtstromen.")

    return run(args, body)


def cmd_show(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        f = _find(sv, args)
        return show_json(args, f, flow_text(f))

    return run(args, body)


def cmd_add(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        f = sv.flows.create(_input(args, sv, None))
        return show_json(args, f, f"Berichtstroom {f.name} is aangemaakt.\n\n{flow_text(f)}")

    return run(args, body)


def cmd_edit(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        current = _find(sv, args)
        f = sv.flows.update(current.id, _input(args, sv, current.input()))
        return show_json(args, f, f"Berichtstroom {f.name} is opgeslagen.")

    return run(args, body)


def cmd_active(args: argparse.Namespace) -> int:
    def body(sv: ConfigServices) -> int:
        current = _find(sv, args)
        f = sv.flows.set_active(current.id, args.active)
        return show_json(
            args, f, f"Berichtstroom {f.name} is {'actief' if f.active else 'gedeactiveerd'}."
        )

    return run(args, body)


def _text_arg(args: argparse.Namespace) -> str | None:
    if args.tekst_bestand is not None:
        path = Path(args.tekst_bestand)
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ServiceError(f"Het bestand {path} kan niet worden gelezen: {exc}.") from None
    return args.tekst


def cmd_template(args: argparse.Namespace) -> int:
    from console.services.flows import TemplateInput

    def body(sv: ConfigServices) -> int:
        f = _find(sv, args)
        existing = next((t for t in f.templates if t.name.lower() == args.sjabloon.lower()), None)
        if args.verwijderen:
            if existing is None:
                raise ServiceError(f"{f.name} heeft geen sjabloon '{args.sjabloon}'.")
            sv.flows.delete_template(existing.id)
            return show_json(
                args, {"deleted": existing.name}, f"Sjabloon {existing.name} is verwijderd."
            )
        text = _text_arg(args)
        data = TemplateInput(
            name=args.sjabloon,
            onderwerp=args.onderwerp
            if args.onderwerp is not None
            else (existing.onderwerp if existing else ""),
            berichttekst=text if text is not None else (existing.berichttekst if existing else ""),
            berichttype=args.berichttype
            if args.berichttype is not None
            else (existing.berichttype if existing else None),
        )
        t = sv.flows.save_template(f.id, data, template_id=existing.id if existing else None)
        warnings = "".join(f"\nLET OP: {i.message}" for i in t.issues)
        return show_json(args, t, f"Sjabloon {t.name} van {f.name} is opgeslagen.{warnings}")

    return run(args, body)


def cmd_render(args: argparse.Namespace) -> int:
    from console.commands.common import EXIT_REFUSED

    def body(sv: ConfigServices) -> int:
        f = _find(sv, args)
        values: dict[str, str] = {}
        for item in args.veld or []:
            key, sep, value = item.partition("=")
            if not sep:
                raise ServiceError(f"Veld '{item}': schrijf naam=waarde.")
            values[key.strip()] = value
        r = sv.flows.render(f.id, args.sjabloon, values)
        issues = [*r.letter.issues, *r.issues]
        text = "\n".join(
            [
                f"BerichtType: {r.berichttype or '-'}",
                f"Onderwerp:   {r.letter.onderwerp}",
                "BerichtTekst:",
                *(f"  {line}" for line in r.letter.berichttekst.splitlines()),
                *(f"{'FOUT' if i.blocking else 'LET OP'}: {i.message}" for i in issues),
            ]
        )
        show_json(args, r, text)
        return 0 if r.ok else EXIT_REFUSED

    return run(args, body)


def _options(p: argparse.ArgumentParser, *, required: bool) -> None:
    p.add_argument("--naam", required=required, help="naam van de berichtstroom")
    p.add_argument("--bronsysteem", help="het systeem waar de brieven vandaan komen")
    p.add_argument("--berichttype", help="standaardberichttype (code)")
    p.add_argument("--koppeling", help="koppeling (naam); leeg: elke koppeling van de organisatie")
    p.add_argument("--cadans", choices=["continu", "batches"])
    p.add_argument("--volume", type=int, help="verwacht aantal brieven per maand")
    p.add_argument(
        "--beleid",
        choices=["digitaal_anders_papier", "alleen_digitaal", "digitaal_en_papier"],
        help="wat er gebeurt als de burger niet geabonneerd is",
    )
    p.add_argument("--portaal", help="adres van het portaal (https://...) voor {{portaallink}}")
    p.add_argument("--betaal", help="adres van de betaalomgeving (https://...) voor {{betaallink}}")
    p.add_argument(
        "--piek",
        nargs="*",
        metavar="DATUM=AANTAL:OMSCHRIJVING",
        help="bekende piekdagen, bijvoorbeeld 2027-02-28=38000:Aanslagen",
    )


def _which(p: argparse.ArgumentParser) -> None:
    p.add_argument("stroom", metavar="STROOM", help="naam of nummer van de berichtstroom")
    p.add_argument("--organisatie", help="organisatie, als de naam niet uniek is")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    flow = sub.add_parser("flow", help="berichtstromen en hun sjablonen")
    fsub = flow.add_subparsers(dest="flow_command", metavar="opdracht", required=True)
    lst = add_json(fsub.add_parser("list", help="alle berichtstromen"))
    lst.add_argument("--organisatie", help="alleen van deze organisatie")
    lst.set_defaults(func=cmd_list)
    show = add_json(fsub.add_parser("show", help="één berichtstroom met sjablonen"))
    _which(show)
    show.set_defaults(func=cmd_show)
    add = add_json(fsub.add_parser("add", help="nieuwe berichtstroom"))
    add.add_argument("--organisatie", required=True, help="organisatie (OIN, naam of nummer)")
    _options(add, required=True)
    add.set_defaults(func=cmd_add)
    edit = add_json(fsub.add_parser("edit", help="berichtstroom wijzigen"))
    _which(edit)
    _options(edit, required=False)
    edit.set_defaults(func=cmd_edit)
    for name, active, text in (
        ("activate", True, "berichtstroom activeren"),
        ("deactivate", False, "berichtstroom deactiveren"),
    ):
        p = add_json(fsub.add_parser(name, help=text))
        _which(p)
        p.set_defaults(func=cmd_active, active=active)
    tpl = add_json(fsub.add_parser("template", help="briefsjabloon opslaan of verwijderen"))
    _which(tpl)
    tpl.add_argument("--sjabloon", required=True, help="naam van het sjabloon")
    tpl.add_argument("--onderwerp", help="onderwerp, met velden als {{jaar}}")
    tpl.add_argument("--tekst", help="berichttekst, met velden als {{naam}} en {{betaallink}}")
    tpl.add_argument("--tekst-bestand", help="berichttekst uit een UTF-8-bestand")
    tpl.add_argument("--berichttype", help="berichttype (leeg: dat van de berichtstroom)")
    tpl.add_argument("--verwijderen", action="store_true", help="het sjabloon verwijderen")
    tpl.set_defaults(func=cmd_template)
    render = add_json(fsub.add_parser("render", help="een sjabloon invullen en controleren"))
    _which(render)
    render.add_argument("--sjabloon", required=True)
    render.add_argument(
        "--veld", nargs="*", metavar="NAAM=WAARDE", help="bijvoorbeeld bedrag=312,40"
    )
    render.set_defaults(func=cmd_render)
