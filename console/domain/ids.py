"""Identifiers: GUIDs for BatchID/BerichtID and ebMS MessageIds."""

from __future__ import annotations

import re
import uuid

NIL_GUID = "00000000-0000-0000-0000-000000000000"
_GUID = re.compile(r"^[\da-fA-F]{8}-[\da-fA-F]{4}-[\da-fA-F]{4}-[\da-fA-F]{4}-[\da-fA-F]{12}$")


def new_guid() -> str:
    return str(uuid.uuid4())


def is_guid(value: str) -> bool:
    return bool(_GUID.match(value or ""))


def new_message_id(host: str = "berichtenbox-console.local") -> str:
    """A globally unique ebMS MessageId in the recommended ``UUID@URI`` form."""
    return f"{uuid.uuid4()}@{host}"
