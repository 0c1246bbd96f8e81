"""The built-in local preprod: ``simulator serve|citizens|received``."""

from __future__ import annotations

import argparse
from typing import Any

from console.commands.common import EXIT_OK, EXIT_REFUSED, add_json, emit, paths_from


def cmd_simulator_citizens(args: argparse.Namespace) -> int:
    from console.simulator.citizens import TEST_CITIZENS

    rows = [
        {"bsn": c.bsn, "naam": c.name, "toestand": c.state.value, "uitleg": c.state_label}
        for c in TEST_CITIZENS
    ]
    text = (
        "Testburgers van de simulator (alle BSN's zijn geldig volgens de elfproef):\n"
        + "\n".join(f"  {c.bsn}  {c.name:<14} {c.state_label}" for c in TEST_CITIZENS)
    )
    text += "\nEen ander geldig BSN heeft in de simulator geen actieve Berichtenbox."
    emit(args, rows, text)
    return EXIT_OK


def cmd_simulator_received(args: argparse.Namespace) -> int:
    from console.simulator.state import SimulatorStateStore

    paths = paths_from(args)
    store = SimulatorStateStore(paths.simulator_dir / "simulator.sqlite3")
    batches = store.batches()
    if not batches:
        emit(args, [], "De simulator heeft nog geen batches ontvangen.")
        return EXIT_OK
    lines = ["Ontvangen batches (oudste eerst):"]
    for b in batches:
        lines.append(
            f"  {b.received_at:%Y-%m-%d %H:%M:%S}  batch {b.batch_id}  {b.letters} bericht(en)  "
            f"{'geldig' if b.valid else 'ONGELDIG'}  {b.result_summary or ''}\n      {b.path}"
        )
    emit(args, batches, "\n".join(lines))
    return EXIT_OK


def _store(args: argparse.Namespace) -> Any:
    from console.simulator.state import SimulatorStateStore

    return SimulatorStateStore(paths_from(args).simulator_dir / "simulator.sqlite3")


def _oin(args: argparse.Namespace, store: Any) -> str | None:
    if args.oin:
        return str(args.oin)
    known = sorted(store.all_berichttypes())
    return known[0] if len(known) == 1 else None


def cmd_simulator_state(args: argparse.Namespace) -> int:
    """Everything the simulator remembers, as a support person wants to see it."""
    store = _store(args)
    parties = store.parties()
    types = store.all_berichttypes()
    overrides = store.citizen_overrides()
    settings = store.settings()
    batches = store.batches()
    abs_requests = store.abs_requests()
    wus_calls = store.wus_calls()
    pushes = store.pushes_by_status()
    lines = ["Aangesloten partijen (uit de CPA):"]
    lines += [
        f"  {p.party_oin}  CPA {p.cpa_id}  mag versturen voor: {', '.join(p.allowed_oins)}"
        for p in parties
    ] or ["  (nog geen)"]
    lines += ["", "Actieve berichttypes per organisatie (zoals in het Leveranciersportaal):"]
    lines += [f"  {oin}: {', '.join(codes)}" for oin, codes in types.items()] or ["  (geen)"]
    lines += ["", "Burgers met een eigen toestand per organisatie:"]
    lines += [f"  {o.organisation_oin}  {o.bsn}  {o.state}" for o in overrides] or ["  (geen)"]
    result_delay = settings["result_delay_seconds"]
    lines += [
        "",
        "Instellingen:",
        "  vertraging resultaat:   "
        + ("zoals bij het starten" if result_delay < 0 else f"{result_delay:g} s"),
        f"  vertraging abonnementsantwoord: {settings['abs_delay_seconds']:g} s",
        f"  bijlagen samen maximaal: {int(settings['bijlagen_max_bytes'])} bytes",
        "",
        f"Ontvangen batches: {len(batches)}; abonnementsaanvragen: {len(abs_requests)}; "
        f"WUS-controles: {len(wus_calls)}",
        "Uitgaande berichten (resultaten, antwoorden, bevestigingen): "
        + (", ".join(f"{k}: {v}" for k, v in sorted(pushes.items())) or "geen"),
    ]
    data = {
        "partijen": parties,
        "berichttypes": types,
        "burgers": overrides,
        "instellingen": settings,
        "batches": len(batches),
        "abonnementsaanvragen": abs_requests,
        "wus_controles": wus_calls,
        "uitgaand": pushes,
    }
    emit(args, data, "\n".join(lines))
    return EXIT_OK


def cmd_simulator_berichttypes(args: argparse.Namespace) -> int:
    store = _store(args)
    oin = _oin(args, store)
    if oin is None:
        print("Geef --oin: de simulator kent meer dan één (of geen) organisatie.")
        return EXIT_REFUSED
    codes = set(store.berichttypes(oin))
    if args.zet is not None:
        codes = {c.strip() for c in args.zet.split(",") if c.strip()}
    codes |= set(args.actief or [])
    codes -= set(args.inactief or [])
    bad = [c for c in codes if not 1 <= len(c) <= 8]
    if bad:
        print(f"Een berichttype heeft 1 tot en met 8 tekens: {', '.join(bad)}")
        return EXIT_REFUSED
    if args.zet is not None or args.actief or args.inactief:
        store.set_berichttypes(oin, sorted(codes))
    emit(
        args,
        {"oin": oin, "actief": sorted(codes)},
        f"{oin}: actief {', '.join(sorted(codes)) or '(geen)'}",
    )
    return EXIT_OK


def cmd_simulator_citizen(args: argparse.Namespace) -> int:
    from console.domain.bsn import bsn_problem

    store = _store(args)
    oin = _oin(args, store)
    if oin is None:
        print("Geef --oin: de simulator kent meer dan één (of geen) organisatie.")
        return EXIT_REFUSED
    if (problem := bsn_problem(args.bsn)) is not None:
        print(problem)
        return EXIT_REFUSED
    if args.toestand == "standaard":
        store.clear_citizen_state(oin, args.bsn)
    else:
        store.set_citizen_state(oin, args.bsn, args.toestand)
    emit(
        args,
        {"oin": oin, "bsn": args.bsn, "toestand": args.toestand},
        f"{args.bsn} bij {oin}: {args.toestand}",
    )
    return EXIT_OK


def cmd_simulator_settings(args: argparse.Namespace) -> int:
    store = _store(args)
    for key, value in (
        ("result_delay_seconds", args.resultaat_vertraging),
        ("abs_delay_seconds", args.abs_vertraging),
        ("bijlagen_max_bytes", args.bijlagen_max),
    ):
        if value is not None:
            store.set_setting(key, float(value))
    settings = store.settings()
    emit(args, settings, "\n".join(f"{k}: {v:g}" for k, v in settings.items()))
    return EXIT_OK


def cmd_simulator_serve(args: argparse.Namespace) -> int:
    from console.services.bootstrap import serve_simulator_standalone

    return serve_simulator_standalone(paths_from(args), port=args.port)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sim = sub.add_parser("simulator", help="de ingebouwde lokale preprod")
    simsub = sim.add_subparsers(dest="sim_command", metavar="opdracht", required=True)
    serve = add_json(simsub.add_parser("serve", help="draai de simulator op de voorgrond"))
    serve.add_argument("--port", type=int, default=None, help="poort (standaard 8444)")
    serve.set_defaults(func=cmd_simulator_serve)
    add_json(simsub.add_parser("citizens", help="de testburgers en hun toestand")).set_defaults(
        func=cmd_simulator_citizens
    )
    add_json(
        simsub.add_parser("received", help="de ontvangen batches, met het pad van elke payload")
    ).set_defaults(func=cmd_simulator_received)
    add_json(simsub.add_parser("state", help="alles wat de simulator onthoudt")).set_defaults(
        func=cmd_simulator_state
    )
    bt = add_json(
        simsub.add_parser(
            "berichttypes", help="de actieve berichttypes van een organisatie bekijken of wijzigen"
        )
    )
    bt.add_argument("--oin", help="OIN van de organisatie (standaard: de enige)")
    bt.add_argument("--zet", help="vervang de lijst: CODE,CODE,...")
    bt.add_argument("--actief", action="append", metavar="CODE", help="activeer een berichttype")
    bt.add_argument("--inactief", action="append", metavar="CODE", help="zet een berichttype uit")
    bt.set_defaults(func=cmd_simulator_berichttypes)
    burger = add_json(
        simsub.add_parser("burger", help="de toestand van een testburger bij één organisatie")
    )
    burger.add_argument("--oin", help="OIN van de organisatie (standaard: de enige)")
    burger.add_argument("--bsn", required=True)
    burger.add_argument(
        "--toestand",
        required=True,
        choices=("subscribed", "not_subscribed", "no_box", "technical_fault", "standaard"),
        help="subscribed: actief en geabonneerd; not_subscribed: actief, niet op deze "
        "organisatie; no_box: geen actieve Berichtenbox; standaard: terug naar de vaste lijst",
    )
    burger.set_defaults(func=cmd_simulator_citizen)
    inst = add_json(simsub.add_parser("instellingen", help="vertragingen en limieten"))
    inst.add_argument("--resultaat-vertraging", type=float, help="seconden tot het resultaat")
    inst.add_argument("--abs-vertraging", type=float, help="seconden tot het abonnementsantwoord")
    inst.add_argument("--bijlagen-max", type=int, help="bijlagen samen maximaal (bytes)")
    inst.set_defaults(func=cmd_simulator_settings)
