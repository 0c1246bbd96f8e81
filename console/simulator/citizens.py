"""De vaste testburgers van de simulator.

A fixed, documented population of valid test BSNs (all pass the elfproef and start with
9999, a range not issued to real people in practice). Each has a state that drives the
simulator's VerwerkingsCode, like GLOBE's subscription check.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from console.domain.test_citizens import is_simulator_test_bsn


class CitizenState(StrEnum):
    SUBSCRIBED = "subscribed"  # actieve Berichtenbox, geabonneerd op de organisatie
    NOT_SUBSCRIBED = "not_subscribed"  # actieve Berichtenbox, niet op deze organisatie
    NO_BOX = "no_box"  # geen actieve Berichtenbox
    TECHNICAL_FAULT = "technical_fault"  # foutinjectie: GLOBE meldt TechnischProbleem


@dataclass(frozen=True, slots=True)
class TestCitizen:
    bsn: str
    name: str
    state: CitizenState
    note: str

    @property
    def state_label(self) -> str:
        return _STATE_LABELS[self.state]


_STATE_LABELS = {
    CitizenState.SUBSCRIBED: "actieve Berichtenbox, geabonneerd",
    CitizenState.NOT_SUBSCRIBED: "actieve Berichtenbox, niet geabonneerd op deze organisatie",
    CitizenState.NO_BOX: "geen actieve Berichtenbox",
    CitizenState.TECHNICAL_FAULT: "foutinjectie: technisch probleem bij MijnOverheid",
}

TEST_CITIZENS: tuple[TestCitizen, ...] = (
    TestCitizen("999990019", "J. de Vries", CitizenState.SUBSCRIBED, "Ontvangt digitale post."),
    TestCitizen("999990020", "A. Jansen", CitizenState.SUBSCRIBED, "Ontvangt digitale post."),
    TestCitizen("999990032", "M. Bakker", CitizenState.SUBSCRIBED, "Ontvangt digitale post."),
    TestCitizen(
        "999990044", "S. Visser", CitizenState.NOT_SUBSCRIBED, "Heeft deze organisatie uitgezet."
    ),
    TestCitizen(
        "999990056", "P. Smit", CitizenState.NOT_SUBSCRIBED, "Heeft deze organisatie uitgezet."
    ),
    TestCitizen(
        "999990068", "R. Meijer", CitizenState.NO_BOX, "Heeft de Berichtenbox nooit geactiveerd."
    ),
    TestCitizen(
        "999990081", "E. de Boer", CitizenState.NO_BOX, "Heeft de Berichtenbox nooit geactiveerd."
    ),
    TestCitizen(
        "999990093", "T. Mulder", CitizenState.TECHNICAL_FAULT, "Simuleert een storing bij opslaan."
    ),
)

_BY_BSN = {c.bsn: c for c in TEST_CITIZENS}


def citizen(bsn: str) -> TestCitizen | None:
    return _BY_BSN.get(bsn)


def state_for(bsn: str) -> CitizenState:
    """A BSN outside the population has no box in the simulator."""
    found = _BY_BSN.get(bsn)
    return found.state if found else CitizenState.NO_BOX


def effective_state(bsn: str, override: str | None) -> CitizenState:
    """The state for one organisation: its override if set, else the fixed population."""
    if override is not None:
        try:
            return CitizenState(override)
        except ValueError:
            pass
    return state_for(bsn)


def is_simulator_bsn(bsn: str) -> bool:
    # One list for the simulator and the production guard (a test keeps it equal to _BY_BSN).
    return is_simulator_test_bsn(bsn)
