"""De omgevingen waarin de console verstuurt."""

from __future__ import annotations

from enum import StrEnum


class Environment(StrEnum):
    """Waar een koppeling naartoe verstuurt.

    ``SIMULATOR`` is de ingebouwde lokale preprod; ``PREPROD`` en ``PRODUCTIE`` zijn Logius.
    """

    SIMULATOR = "simulator"
    PREPROD = "preprod"
    PRODUCTIE = "productie"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def is_production(self) -> bool:
        return self is Environment.PRODUCTIE


_LABELS = {
    Environment.SIMULATOR: "SIMULATOR",
    Environment.PREPROD: "PREPROD",
    Environment.PRODUCTIE: "PRODUCTIE",
}
