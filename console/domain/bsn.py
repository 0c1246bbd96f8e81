"""Burgerservicenummer: elfproef en maskering."""

from __future__ import annotations

_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def bsn_problem(value: str) -> str | None:
    """Return a Dutch explanation of what is wrong with *value* as a BSN, or None when valid."""
    if value is None or value == "":
        return "Vul een BSN in (9 cijfers)."
    if not value.isascii() or not value.isdigit():
        return "Een BSN bestaat alleen uit cijfers."
    if len(value) != 9:
        return f"Een BSN heeft 9 cijfers; dit zijn er {len(value)}."
    total = sum(int(d) * w for d, w in zip(value, _WEIGHTS, strict=True))
    if total % 11 != 0:
        return "Dit BSN klopt niet: de elfproef faalt. Controleer op een tikfout."
    if value == "000000000":
        return "000000000 is geen geldig BSN."
    return None


def is_valid_bsn(value: str) -> bool:
    return bsn_problem(value) is None


def mask_bsn(value: str) -> str:
    """Mask a BSN for lists and logs: ``*****6782`` (only the last four digits shown)."""
    if not value:
        return ""
    tail = value[-4:]
    return "*" * max(len(value) - 4, 0) + tail
