"""``subscriptions check|request|status``: who gets digital post (WUS and AbonnementService)."""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from console.commands.common import (
    EXIT_FAIL,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_TIMEOUT,
    add_json,
    emit,
    paths_from,
)


def _organisation(services: Any, wanted: str | None) -> Any:
    status = services.workspace.status()
    if not wanted:
        return status.organisation_id
    for org in status.organisations:
        if wanted in (org.oin, org.name):
            return org.id
    return -1


def cmd_check(args: argparse.Namespace) -> int:
    from console.services.bootstrap import open_workspace
    from console.services.errors import ServiceError
    from console.services.subscriptions import SubscriptionService

    problems = SubscriptionService.input_problems(args.bsn, args.berichttype)
    if problems:
        print("\n".join(problems))
        return EXIT_REFUSED
    services = open_workspace(paths_from(args), start_engine=True)
    try:
        assert services.subscriptions is not None
        org_id = _organisation(services, args.organisatie)
        if org_id == -1:
            print(f"Organisatie {args.organisatie} hoort niet bij de actieve koppeling.")
            return EXIT_REFUSED
        try:
            result = services.subscriptions.check(args.bsn, args.berichttype, org_id, actor="cli")
        except ServiceError as exc:
            print(str(exc))
            return EXIT_FAIL
        lines = [
            f"Zou deze burger het bericht nu digitaal krijgen? ({result.organisation_name}, "
            f"berichttype {result.berichttype}, gevraagd aan de validatieservice)"
        ]
        for r in result.results:
            lines.append(f"  {r.bsn_masked}  {r.label}")
            if r.snapshot_label:
                lines.append(f"             ({r.snapshot_label})")
        data = [
            {"bsn": r.bsn, "digitaal": r.digital, "uitleg": r.label, "overzicht": r.snapshot_label}
            for r in result.results
        ]
        emit(args, data, "\n".join(lines))
        return EXIT_OK
    finally:
        services.close()


def _read_bsns(path: Path) -> list[str]:
    out = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        value = line.split(";")[0].split(",")[0].strip()
        if value and not value.startswith("#") and value.lower() != "bsn":
            out.append(value)
    return out


def cmd_request(args: argparse.Namespace) -> int:
    from console.services.bootstrap import open_workspace
    from console.services.errors import ServiceError

    bsns: list[str] = []
    since: datetime | None = None
    if args.soort == "lijst":
        if not args.waarde or not Path(args.waarde).is_file():
            print("Geef het bestand met BSN's: subscriptions request lijst BESTAND")
            return EXIT_REFUSED
        bsns = _read_bsns(Path(args.waarde))
    elif args.soort == "mutatie":
        try:
            since = datetime.fromisoformat(args.waarde or "").astimezone()
        except ValueError:
            print("Geef de datum: subscriptions request mutatie 2026-11-01")
            return EXIT_REFUSED
    services = open_workspace(paths_from(args), start_engine=True)
    try:
        assert services.subscriptions is not None
        subs = services.subscriptions
        org_id = _organisation(services, args.organisatie)
        if org_id == -1:
            print(f"Organisatie {args.organisatie} hoort niet bij de actieve koppeling.")
            return EXIT_REFUSED
        try:
            if args.soort == "volledig":
                info = subs.request_volledig(org_id, actor="cli")
            elif args.soort == "lijst":
                info = subs.request_lijst(bsns, org_id, actor="cli")
            else:
                assert since is not None
                info = subs.request_mutatie(since, org_id, actor="cli")
        except ServiceError as exc:
            print(str(exc))
            return EXIT_REFUSED
        deadline = time.monotonic() + (args.timeout if args.wait else 10)
        while time.monotonic() < deadline:
            info = subs.request(info.id)
            if info.status in ("answered", "failed") or (not args.wait and info.status == "sent"):
                break
            time.sleep(0.2)
        text = (
            f"Abonnementsaanvraag ({info.soort_label}), VerzoekId {info.verzoek_id}\n"
            f"  Status: {info.status_label}\n" + (f"  {info.detail}\n" if info.detail else "")
        )
        emit(args, info, text.rstrip())
        if args.wait and info.status not in ("answered", "failed"):
            return EXIT_TIMEOUT
        return EXIT_FAIL if info.status == "failed" else EXIT_OK
    finally:
        services.close()


def cmd_status(args: argparse.Namespace) -> int:
    from console.services.bootstrap import open_workspace

    services = open_workspace(paths_from(args), start_engine=False)
    try:
        assert services.subscriptions is not None
        org_id = _organisation(services, args.organisatie)
        if org_id is None or org_id == -1:
            print("Geen organisatie.")
            return EXIT_REFUSED
        subs = services.subscriptions
        fresh = subs.freshness(org_id)
        snapshots = subs.snapshots(org_id)
        requests = subs.requests(org_id)
        lines = [fresh.message, "", "Abonnementsoverzichten (nieuwste eerst):"]
        lines += [
            f"  {s.peil_datum.astimezone():%Y-%m-%d %H:%M}  {s.soort_label:<9} "
            f"{s.entry_count} BSN's, {s.subscribed_count} geabonneerd"
            + ("  (ouder dan toegestaan)" if s.stale else "")
            + ("" if s.details_kept else "  (vervangen; de BSN's zijn opgeruimd)")
            for s in snapshots
        ] or ["  (nog geen)"]
        lines += ["", "Aanvragen:"]
        lines += [
            f"  {r.created_at.astimezone():%Y-%m-%d %H:%M}  {r.soort_label:<9} {r.status_label}"
            for r in requests
        ] or ["  (nog geen)"]
        lines += [
            "",
            f"Actie van het antwoord (niet bevestigd door Logius): {subs.answer_action()}",
        ]
        emit(
            args,
            {"actueel": fresh, "overzichten": snapshots, "aanvragen": requests},
            "\n".join(lines),
        )
        return EXIT_OK
    finally:
        services.close()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("subscriptions", help="abonnementen: wie krijgt digitale post")
    psub = p.add_subparsers(dest="subscriptions_command", metavar="opdracht", required=True)

    check = add_json(
        psub.add_parser(
            "check",
            help="vraag de validatieservice (WUS) nu, voor 1 tot 250 BSN's",
            description="Zou deze burger het bericht nu digitaal krijgen? Vraagt de "
            "BerichtenboxValidatieService (WUS) van MijnOverheid.",
        )
    )
    check.add_argument("--bsn", action="append", required=True, help="BSN (herhaal voor meer)")
    check.add_argument("--berichttype", required=True)
    check.add_argument("--organisatie", help="OIN of naam van de organisatie")
    check.set_defaults(func=cmd_check)

    req = add_json(
        psub.add_parser(
            "request",
            help="vraag een abonnementsoverzicht aan (AbonnementService, antwoord binnen 4 uur)",
        )
    )
    req.add_argument("soort", choices=("volledig", "lijst", "mutatie"))
    req.add_argument("waarde", nargs="?", help="lijst: bestand met BSN's; mutatie: datum")
    req.add_argument("--wait", action="store_true", help="wacht tot het antwoord is ingelezen")
    req.add_argument("--timeout", type=float, default=300.0, help="maximale wachttijd in seconden")
    req.add_argument("--organisatie", help="OIN of naam van de organisatie")
    req.set_defaults(func=cmd_request)

    status = add_json(psub.add_parser("status", help="overzichten, aanvragen en hun ouderdom"))
    status.add_argument("--organisatie", help="OIN of naam van de organisatie")
    status.set_defaults(func=cmd_status)
