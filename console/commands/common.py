"""What every command shares: output as text or JSON, exit codes, the data dir."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from console.settings import AppPaths, resolve_paths

EXIT_OK, EXIT_FAIL, EXIT_REFUSED, EXIT_TIMEOUT = 0, 1, 2, 3

# add(subparsers, name, help) -> parser with --json and the handler set by the caller
AddCommand = Callable[..., argparse.ArgumentParser]


def jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(jsonable(data), ensure_ascii=False, indent=2))
    else:
        print(text)


def paths_from(args: argparse.Namespace) -> AppPaths:
    return resolve_paths(args.data_dir, temp=args.temp_data_dir, database_url=args.database_url)


def refuse(args: argparse.Namespace, messages: Sequence[str]) -> int:
    if getattr(args, "json", False):
        print(json.dumps({"refused": True, "issues": list(messages)}, ensure_ascii=False, indent=2))
    else:
        print("Het bericht is niet verstuurd:", file=sys.stderr)
        for msg in messages:
            print(f"  - {msg}", file=sys.stderr)
    return EXIT_REFUSED


def add_json(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--json", action="store_true", help="uitvoer als JSON")
    return p
