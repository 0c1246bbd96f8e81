"""Database maintenance: ``db upgrade``."""

from __future__ import annotations

import argparse

from console.commands.common import EXIT_OK, add_json, emit, paths_from


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from console.db.database import open_database, upgrade

    paths = paths_from(args)
    db = open_database(paths.db_url)
    try:
        report = upgrade(db, backup_dir=paths.backups_dir)
    finally:
        db.dispose()
    emit(args, report, f"Database bijgewerkt: {report}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="database")
    dbsub = db.add_subparsers(dest="db_command", metavar="opdracht", required=True)
    up = add_json(dbsub.add_parser("upgrade", help="werk de database bij (met reservekopie)"))
    up.set_defaults(func=cmd_db_upgrade)
