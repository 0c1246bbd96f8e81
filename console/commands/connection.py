"""``connection test NAME``: the connection test, step by step, as it happens."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from console.commands.common import EXIT_FAIL, EXIT_OK, EXIT_REFUSED, add_json, emit, paths_from

_MARKS = {
    "ok": "[ OK ]",
    "warning": "[LET OP]",
    "failed": "[FOUT]",
    "skipped": "[ -- ]",
}


def cmd_connection_test(args: argparse.Namespace) -> int:
    from console.services.bootstrap import open_workspace
    from console.services.errors import ServiceError

    paths = paths_from(args)
    # Only the built-in simulator needs the engine running (it starts the simulator); a
    # test of a Logius connection must not start sending queued letters as a side effect.
    services = open_workspace(paths, start_engine=False)
    simulated = any(
        env.value == "simulator" and args.naam in (name, str(cid))
        for cid, name, env in services.connection_test.connections()
    )
    if simulated:
        services.close()
        services = open_workspace(paths, start_engine=True)
    try:
        live = not args.json

        def show(step: Any) -> None:
            if live and step.status.value != "running":
                print(f"{_MARKS[step.status.value]:<9}{step.title}")
                if step.detail:
                    print(f"         {step.detail}")
                sys.stdout.flush()

        if live:
            print(f"Verbindingstest van koppeling {args.naam}:")
        try:
            result = services.connection_test.run(args.naam, on_step=show)
        except ServiceError as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_REFUSED
        if args.json:
            emit(
                args,
                {
                    "connection": result.connection_name,
                    "environment": result.environment.value,
                    "url": result.url,
                    "ok": result.ok,
                    "summary": result.summary,
                    "steps": result.steps,
                },
                "",
            )
        else:
            print(result.summary)
        return EXIT_OK if result.ok else EXIT_FAIL
    finally:
        services.close()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    conn = sub.add_parser("connection", help="koppelingen")
    csub = conn.add_subparsers(dest="connection_command", metavar="opdracht", required=True)
    test = add_json(
        csub.add_parser(
            "test",
            help="test de verbinding stap voor stap: DNS, TCP, TLS, servercertificaat, ebMS Ping",
        )
    )
    test.add_argument("naam", metavar="NAAM", help="naam van de koppeling")
    test.set_defaults(func=cmd_connection_test)
    # list, show, add, edit, activate, deactivate, use, delete (issue 5)
    from console.commands import connection_admin

    connection_admin.add_subcommands(csub)
