"""``settings list|set|reset``: the settings of the Instellingen page, from the command line.

Every change goes through :class:`~console.services.settings.SettingsService`: validated
(exit code 2 with the Dutch message when a value is not allowed), stored, and audited.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from console.commands.common import EXIT_OK, add_json, emit, paths_from
from console.commands.org import refused

if TYPE_CHECKING:
    from console.services.settings import SaveResult, SettingsService, SettingValue


@contextmanager
def settings_service(args: argparse.Namespace) -> Iterator[SettingsService]:
    """The settings service on the workspace's database (no engine, simulator or keyring)."""
    from console.db.database import open_database, upgrade
    from console.services.demo import create_demo_workspace, needs_demo
    from console.services.settings import SettingsService

    paths = paths_from(args)
    paths.ensure()
    db = open_database(paths.db_url)
    try:
        upgrade(db, backup_dir=paths.backups_dir)
        if needs_demo(db):  # as the window does on a fresh data dir
            create_demo_workspace(db)
        yield SettingsService(db, paths=paths)
    finally:
        db.dispose()


def _run(args: argparse.Namespace, body: Callable[[SettingsService], int]) -> int:
    from console.services.errors import ServiceError

    try:
        with settings_service(args) as service:
            return body(service)
    except ServiceError as exc:
        return refused(args, exc)


def setting_json(v: SettingValue) -> dict[str, Any]:
    d = v.definition
    return {
        "key": d.key,
        "group": d.group,
        "label": d.label,
        "help": d.help,
        "value": list(v.value) if isinstance(v.value, tuple) else v.value,
        "text": v.text,
        "default": list(d.default) if isinstance(d.default, tuple) else d.default,
        "default_text": d.format(d.default),
        "stored": v.stored,
        "allowed": d.allowed,
        "minimum": d.minimum,
        "maximum": d.maximum,
        "choices": [c.value for c in d.choices],
        "unconfirmed": d.unconfirmed,
        "takes_effect": d.takes_effect,
        "problem": v.problem,
    }


def _line(v: SettingValue) -> list[str]:
    d = v.definition
    origin = "ingesteld" if v.stored else "standaard"
    lines = [f"  {d.key:<32} {v.text}  ({origin})", f"      {d.label}: {d.help}"]
    if v.stored:
        lines.append(f"      standaard: {d.format(d.default)}")
    lines.append(f"      toegestaan: {d.allowed}")
    if d.unconfirmed:
        lines.append(f"      NIET BEVESTIGD DOOR LOGIUS: {d.unconfirmed}")
    if v.problem:
        lines.append(f"      LET OP: {v.problem}")
    return lines


def cmd_list(args: argparse.Namespace) -> int:
    def body(service: SettingsService) -> int:
        values = service.values()
        lines: list[str] = []
        for group in service.groups():
            shown = [v for v in values if v.definition.group == group.key]
            if args.groep and group.key != args.groep:
                continue
            lines.append(f"{group.title}  ({group.takes_effect})")
            for v in shown:
                lines.extend(_line(v))
            lines.append("")
        about = service.about()
        lines.append(f"Gegevensmap: {about.data_dir}   database: {about.database}")
        data = {
            "settings": [
                setting_json(v)
                for v in values
                if not args.groep or v.definition.group == args.groep
            ],
            "data_dir": str(about.data_dir) if about.data_dir else None,
            "database": about.database,
            "schema_revision": about.schema_revision,
            "version": about.version,
        }
        emit(args, data, "\n".join(lines))
        return EXIT_OK

    return _run(args, body)


def _result(args: argparse.Namespace, result: SaveResult) -> int:
    data = {
        "changed": [
            {
                "key": c.key,
                "label": c.label,
                "before": list(c.before) if isinstance(c.before, tuple) else c.before,
                "after": list(c.after) if isinstance(c.after, tuple) else c.after,
            }
            for c in result.changes
        ],
        "settings": [setting_json(v) for v in result.values],
        "message": result.message,
    }
    emit(args, data, result.message)
    return EXIT_OK


def cmd_set(args: argparse.Namespace) -> int:
    def body(service: SettingsService) -> int:
        from console.services.settings import Kind, definition

        d = definition(args.key)
        # A list of names may be given as several words; any other value is one word.
        raw: Any = args.waarde if d.kind is Kind.NAMES else " ".join(args.waarde)
        return _result(args, service.save({d.key: raw}))

    return _run(args, body)


def cmd_reset(args: argparse.Namespace) -> int:
    def body(service: SettingsService) -> int:
        return _result(args, service.reset(args.key))

    return _run(args, body)


GROUP_KEYS = ["batches", "preflight", "resultaten", "abonnementen", "privacy"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    settings = sub.add_parser(
        "settings", help="instellingen: batches, controle vooraf, resultaten, abonnementen, privacy"
    )
    ssub = settings.add_subparsers(dest="settings_command", metavar="opdracht", required=True)
    lst = add_json(
        ssub.add_parser("list", help="alle instellingen met waarde, standaard en grenzen")
    )
    lst.add_argument("--groep", choices=GROUP_KEYS, help="alleen deze groep")
    lst.set_defaults(func=cmd_list)
    set_ = add_json(ssub.add_parser("set", help="een instelling wijzigen (komt in het auditlog)"))
    set_.add_argument("key", metavar="SLEUTEL", help="bijvoorbeeld batch.max_berichten")
    set_.add_argument(
        "waarde",
        metavar="WAARDE",
        nargs="+",
        help="de nieuwe waarde, bijvoorbeeld 500, '50 MB', block, uit; bij privacy.beheerders "
        "een of meer gebruikersnamen",
    )
    set_.set_defaults(func=cmd_set)
    reset = add_json(ssub.add_parser("reset", help="terug naar de standaardwaarde"))
    reset.add_argument("key", metavar="SLEUTEL", nargs="+")
    reset.set_defaults(func=cmd_reset)
