"""How numbers, sizes and times look in the Dutch UI (1.234; 1,2 MB; 05-03-2025 14:07)."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QLocale

_DUTCH = QLocale(QLocale.Language.Dutch, QLocale.Country.Netherlands)


def format_count(value: int) -> str:
    """Thousands with a dot, as a Dutch reader expects: ``1.234``."""
    return _DUTCH.toString(value)


def format_bytes(size: int) -> str:
    """A file size in kB/MB with a decimal comma (1 kB = 1.000 bytes, as Logius counts)."""
    if size < 1000:
        return f"{size} bytes"
    if size < 1_000_000:
        return f"{_DUTCH.toString(size / 1000, 'f', 0)} kB"
    return f"{_DUTCH.toString(size / 1_000_000, 'f', 1)} MB"


def local_time(value: datetime) -> datetime:
    return value.astimezone() if value.tzinfo is not None else value


def format_datetime(value: datetime) -> str:
    return local_time(value).strftime("%d-%m-%Y %H:%M")


def format_datetime_seconds(value: datetime) -> str:
    return local_time(value).strftime("%d-%m-%Y %H:%M:%S")
