"""Organisatie-identificatienummer (OIN): structuur en testprefix."""

from __future__ import annotations

TEST_PREFIX = "00000099"

KNOWN_PREFIXES: dict[str, str] = {
    "00000001": "RSIN (Handelsregister)",
    "00000002": "Fi-nummer (Belastingdienst)",
    "00000003": "KvK-nummer",
    "00000004": "subOIN",
    "00000005": "vrij",
    "00000006": "door Logius uitgegeven nummer",
    "00000007": "BRIN",
    "00000008": "buitenlandse organisatie",
    "00000009": "UZI",
    "00000010": "TRR-BD",
    TEST_PREFIX: "test-OIN",
}

PARTY_ID_TYPE = "urn:osb:oin"


def oin_problem(value: str) -> str | None:
    """Return a Dutch explanation of what is wrong with *value* as an OIN, or None."""
    if not value:
        return "Vul een OIN in (20 cijfers)."
    if not value.isascii() or not value.isdigit():
        return "Een OIN bestaat alleen uit cijfers."
    if len(value) != 20:
        return f"Een OIN heeft 20 cijfers; dit zijn er {len(value)}."
    prefix = value[:8]
    if prefix not in KNOWN_PREFIXES:
        return f"Het OIN begint met {prefix}; dat is geen bekend OIN-prefix."
    return None


def is_valid_oin(value: str) -> bool:
    return oin_problem(value) is None


def is_test_oin(value: str) -> bool:
    return value.startswith(TEST_PREFIX)


def oin_kind(value: str) -> str:
    return KNOWN_PREFIXES.get(value[:8], "onbekend")


def strip_party_prefix(party_id: str) -> str:
    """``urn:osb:oin:0000...`` or ``0000..._T`` to the bare 20-digit OIN where possible."""
    bare = party_id.removeprefix(PARTY_ID_TYPE + ":")
    if "_" in bare:
        bare = bare.split("_", 1)[0]
    return bare
