"""``onboarding status|answer|tick|report``: aansluiten op de Berichtenbox (impactanalyse,
schatting en checklist), the same as the Aansluiten page.

``answer`` changes only what is given and keeps the rest; ``--brief`` (repeatable) replaces
the whole list of letters. Amounts accept a comma or a point (``0,85``); an empty value
(``--kosten-per-brief ""``) clears one.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from console.commands.common import EXIT_OK, EXIT_REFUSED, add_json, emit, paths_from


@contextmanager
def _services(args: argparse.Namespace) -> Iterator[Any]:
    from console.services.bootstrap import open_workspace

    services = open_workspace(paths_from(args), start_engine=False)
    try:
        yield services
    finally:
        services.close()


def _refused(args: argparse.Namespace, exc: Exception) -> int:
    from console.commands.org import refused

    return refused(args, exc)


def _organisation_id(services: Any, ref: str | None) -> int:
    onboarding = services.onboarding
    if ref is None:
        active = services.workspace.status().organisation_id
        if active is not None:
            return int(active)
    return int(onboarding.find_organisation(ref).id)


def cmd_status(args: argparse.Namespace) -> int:
    from console.services.errors import ServiceError
    from console.services.onboarding import overview_json

    with _services(args) as services:
        try:
            org_id = _organisation_id(services, args.organisatie)
            if args.json:
                emit(args, overview_json(services.onboarding.overview(org_id)), "")
            else:
                print(services.onboarding.report_text(org_id), end="")
        except ServiceError as exc:
            return _refused(args, exc)
    return EXIT_OK


def _parse_into(args: argparse.Namespace, answers: Any) -> tuple[Any, list[str]]:
    """The answers with what the options change; the problems with the options' values."""
    from console.domain.onboarding import (
        F_INTERMEDIAIR,
        F_JAARLIJKS,
        F_KOSTEN,
        MAX_COST_PER_LETTER,
        ONE_OFF_KEYS,
        ConnectionVariant,
        DigidStatus,
        LetterKind,
        OrganisationType,
        Sender,
        one_off_item,
        parse_amount,
        parse_count,
        parse_percent,
    )

    problems: list[str] = []
    changes: dict[str, Any] = {}
    if args.soort is not None:
        changes["organisation_type"] = OrganisationType(args.soort)
    if args.variant is not None:
        changes["variant"] = ConnectionVariant(args.variant)
    if args.verzender is not None:
        changes["sender"] = Sender(args.verzender)
    if args.digid is not None:
        changes["digid"] = DigidStatus(args.digid)
    if args.brief:
        kinds = []
        for item in args.brief:
            name, sep, count_text = item.rpartition("=")
            if not sep:
                problems.append(
                    f"--brief '{item}': schrijf NAAM=AANTAL, bijvoorbeeld "
                    '"Aanslag gemeentelijke belastingen=40000".'
                )
                continue
            count = parse_count(count_text, f"Brieven per jaar ({name.strip()})")
            if isinstance(count, str):
                problems.append(count)
            else:
                kinds.append(LetterKind(name.strip(), count))
        changes["letter_kinds"] = tuple(kinds)
    if args.aandeel is not None:
        share = parse_percent(args.aandeel)
        if isinstance(share, str):
            problems.append(share)
        else:
            changes["digital_share_percent"] = share if share is not None else Decimal(25)
    for option, attr, name, maximum in (
        ("kosten_per_brief", "cost_per_letter", F_KOSTEN, MAX_COST_PER_LETTER),
        (
            "intermediair_per_bericht",
            "intermediary_cost_per_letter",
            F_INTERMEDIAIR,
            MAX_COST_PER_LETTER,
        ),
        ("jaarlijkse_kosten", "yearly_costs", F_JAARLIJKS, None),
    ):
        text = getattr(args, option)
        if text is None:
            continue
        value = (
            parse_amount(text, name, maximum=maximum)
            if maximum is not None
            else parse_amount(text, name)
        )
        if isinstance(value, str):
            problems.append(value)
        else:
            changes[attr] = value
    if args.eenmalig:
        one_off = dict(answers.one_off_costs)
        for item in args.eenmalig:
            key, sep, amount_text = item.partition("=")
            key = key.strip()
            if not sep or key not in ONE_OFF_KEYS:
                problems.append(
                    f"--eenmalig '{item}': schrijf POST=BEDRAG met POST een van "
                    f"{', '.join(sorted(ONE_OFF_KEYS))}."
                )
                continue
            value = parse_amount(amount_text, one_off_item(key).title)
            if isinstance(value, str):
                problems.append(value)
            elif value is None:
                one_off.pop(key, None)
            else:
                one_off[key] = value
        changes["one_off_costs"] = tuple(one_off.items())
    return replace(answers, **changes), problems


def cmd_answer(args: argparse.Namespace) -> int:
    from console.services.errors import ServiceError
    from console.services.onboarding import overview_json

    with _services(args) as services:
        try:
            org_id = _organisation_id(services, args.organisatie)
            current = services.onboarding.answers(org_id).answers
            answers, problems = _parse_into(args, current)
            if problems:
                return _refuse_messages(args, problems)
            services.onboarding.save_answers(org_id, answers)
            ov = services.onboarding.overview(org_id)
        except ServiceError as exc:
            return _refused(args, exc)
        e = ov.estimate
        from console.domain.onboarding import format_count, format_euro

        saving = (
            format_euro(e.net_saving_per_year) if e.net_saving_per_year is not None else "onbekend"
        )
        emit(
            args,
            overview_json(ov),
            f"De impactanalyse van {ov.organisation.name} is opgeslagen.\n"
            f"Naar de Berichtenbox: {format_count(e.digital_per_year)} van "
            f"{format_count(e.letters_per_year)} brieven per jaar; netto besparing per jaar: "
            f"{saving}.\n" + "".join(f"Nog in te vullen: {m}\n" for m in e.missing),
        )
    return EXIT_OK


def _refuse_messages(args: argparse.Namespace, messages: list[str]) -> int:
    if args.json:
        import json

        print(
            json.dumps(
                {
                    "refused": True,
                    "message": "De impactanalyse is niet opgeslagen.",
                    "issues": [{"field": "", "message": m, "blocking": True} for m in messages],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print("De impactanalyse is niet opgeslagen:", file=sys.stderr)
        for message in messages:
            print(f"- {message}", file=sys.stderr)
    return EXIT_REFUSED


def cmd_tick(args: argparse.Namespace) -> int:
    from console.services.errors import ServiceError
    from console.services.onboarding import checklist_json

    with _services(args) as services:
        try:
            org_id = _organisation_id(services, args.organisatie)
            checklist = services.onboarding.set_manual(
                org_id, args.stap, not args.ongedaan, note=args.notitie or ""
            )
        except ServiceError as exc:
            return _refused(args, exc)
        step = checklist.step(args.stap)
        text = (
            f"Stap '{step.title}' is afgevinkt ({checklist.done} van {checklist.total} gedaan)."
            if not args.ongedaan
            else f"Stap '{step.title}' is niet meer afgevinkt; nu: {step.state.label.lower()}."
        )
        emit(args, checklist_json(checklist), text)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from console.services.errors import ServiceError

    with _services(args) as services:
        try:
            org_id = _organisation_id(services, args.organisatie)
            path = services.onboarding.export_report(org_id, Path(args.bestand))
        except ServiceError as exc:
            return _refused(args, exc)
        emit(args, {"path": str(path)}, f"Verslag opgeslagen in {path}.")
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from console.domain.onboarding import (
        ONE_OFF_KEYS,
        STEP_KEYS,
        ConnectionVariant,
        DigidStatus,
        OrganisationType,
        Sender,
    )

    onboarding = sub.add_parser(
        "onboarding", help="aansluiten: impactanalyse, schatting van kosten en baten, checklist"
    )
    osub = onboarding.add_subparsers(dest="onboarding_command", metavar="opdracht", required=True)

    def organisation(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--organisatie",
            metavar="ORG",
            help="nummer, OIN of naam (standaard: de organisatie van de werkruimte)",
        )
        return p

    status = organisation(
        add_json(osub.add_parser("status", help="antwoorden, schatting en checklist met bewijs"))
    )
    status.set_defaults(func=cmd_status)

    answer = organisation(
        add_json(osub.add_parser("answer", help="de impactanalyse invullen of aanpassen"))
    )
    answer.add_argument("--soort", choices=[t.value for t in OrganisationType])
    answer.add_argument(
        "--brief",
        action="append",
        metavar="NAAM=AANTAL",
        help="soort brief met het aantal per jaar; herhaalbaar, vervangt de hele lijst",
    )
    answer.add_argument("--aandeel", metavar="PROCENT", help="aandeel digitaal, 0 tot 100")
    answer.add_argument("--kosten-per-brief", metavar="BEDRAG", help="porto en drukwerk, in euro")
    answer.add_argument("--variant", choices=[v.value for v in ConnectionVariant])
    answer.add_argument("--verzender", choices=[s.value for s in Sender])
    answer.add_argument("--digid", choices=[d.value for d in DigidStatus])
    answer.add_argument("--intermediair-per-bericht", metavar="BEDRAG")
    answer.add_argument("--jaarlijkse-kosten", metavar="BEDRAG")
    answer.add_argument(
        "--eenmalig",
        action="append",
        metavar="POST=BEDRAG",
        help=f"eenmalige kosten; POST is een van {', '.join(sorted(ONE_OFF_KEYS))}",
    )
    answer.set_defaults(func=cmd_answer)

    tick = organisation(
        add_json(osub.add_parser("tick", help="een stap afvinken die buiten de console gebeurt"))
    )
    tick.add_argument("stap", metavar="STAP", choices=STEP_KEYS, help=", ".join(STEP_KEYS))
    tick.add_argument("--ongedaan", action="store_true", help="het afvinken ongedaan maken")
    tick.add_argument("--notitie", help="korte toelichting (bijvoorbeeld een kenmerk)")
    tick.set_defaults(func=cmd_tick)

    report = organisation(
        add_json(osub.add_parser("report", help="verslag als PDF (.pdf) of tekst (.txt)"))
    )
    report.add_argument("--bestand", required=True, metavar="PAD")
    report.set_defaults(func=cmd_report)
