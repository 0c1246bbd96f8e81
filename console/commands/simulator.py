"""The built-in local preprod: ``simulator serve|citizens|received``."""

from __future__ import annotations

import argparse

from console.commands.common import EXIT_OK, add_json, emit, paths_from


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
