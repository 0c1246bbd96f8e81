"""``xs:dateTime`` values as the Berichtenbox messages carry them.

We always write UTC with a ``Z`` and milliseconds (``2026-11-28T10:00:00.000Z``), the form
of the Logius example messages (berichtenbox-interface.md sections 3.2 and 3.5). Reading
accepts every lexical ``xs:dateTime`` form; a value without a zone is taken as UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_XS_DATETIME = re.compile(
    r"^\s*(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"T(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})(?:\.(?P<fraction>\d+))?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?\s*$"
)


def format_xs_datetime(value: datetime, *, field: str = "datum") -> str:
    """UTC with milliseconds and ``Z``. A naive datetime is refused (ValueError, Dutch)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{field} heeft geen tijdzone. Geef de tijd op met een tijdzone (bijvoorbeeld UTC)."
        )
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_xs_datetime(text: str, *, field: str = "datum") -> datetime:
    """A timezone-aware datetime from an ``xs:dateTime`` value (ValueError, Dutch)."""
    m = _XS_DATETIME.match(text or "")
    if m is None:
        raise ValueError(f"{field} '{text}' is geen geldige datum en tijd (xs:dateTime).")
    fraction = (m.group("fraction") or "")[:6].ljust(6, "0")
    zone_text = m.group("zone")
    if zone_text is None or zone_text == "Z":
        tz: timezone = UTC
    else:
        sign = -1 if zone_text[0] == "-" else 1
        hours, minutes = int(zone_text[1:3]), int(zone_text[4:6])
        if hours > 14 or minutes > 59:
            raise ValueError(f"{field} '{text}' heeft een ongeldige tijdzone.")
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        hour = int(m.group("hour"))
        extra = timedelta(0)
        if hour == 24 and m.group("minute") == m.group("second") == "00" and not int(fraction):
            # xs:dateTime allows 24:00:00 as the end of a day.
            hour, extra = 0, timedelta(days=1)
        value = datetime(
            int(m.group("year")),
            int(m.group("month")),
            int(m.group("day")),
            hour,
            int(m.group("minute")),
            int(m.group("second")),
            int(fraction),
            tzinfo=tz,
        )
    except ValueError:
        raise ValueError(f"{field} '{text}' is geen bestaande datum en tijd.") from None
    return value + extra
