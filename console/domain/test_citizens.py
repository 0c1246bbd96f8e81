"""Test-BSN's: de vaste testburgers van de simulator en de testreeks 9999.

The simulator (``console.simulator.citizens``) gives each of these BSNs a state; the production
guard refuses them in production. The list lives here so the guard does not need the
simulator (the domain imports nothing of the console).
"""

from __future__ import annotations

# The simulator's fixed population (all pass the elfproef).
SIMULATOR_TEST_BSNS: frozenset[str] = frozenset(
    {
        "999990019",
        "999990020",
        "999990032",
        "999990044",
        "999990056",
        "999990068",
        "999990081",
        "999990093",
    }
)

# BSNs starting with 9999 are not issued to real people in practice: test data.
TEST_BSN_PREFIX = "9999"


def is_simulator_test_bsn(bsn: str) -> bool:
    return bsn in SIMULATOR_TEST_BSNS


def is_test_range_bsn(bsn: str) -> bool:
    """In the test range (prefix 9999), whether or not the simulator knows it."""
    return bsn.startswith(TEST_BSN_PREFIX)
