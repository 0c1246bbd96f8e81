"""De productiebewaking: wat er in productie (en preprod) niet of alleen met een waarschuwing mag.

Pure rules. The caller passes the set of test BSNs (the simulator's population, see
:mod:`console.domain.test_citizens`) so the rules can be tested with any set.

- Production refuses test OINs (prefix 00000099) for the sender, the connection owner and
  the organisation a letter is sent for, and the simulator's test citizens.
- Preprod warns when a BSN looks like a real person's (valid elfproef, not in the test range):
  preprod is for test data only.
- Before the first production send of a session the user types the organisation's name.
"""

from __future__ import annotations

from collections.abc import Iterable

from console.domain.bsn import is_valid_bsn, mask_bsn
from console.domain.environment import Environment
from console.domain.letter import FieldIssue
from console.domain.oin import is_test_oin
from console.domain.test_citizens import is_test_range_bsn

FIELD_OIN = "OIN"
FIELD_BSN = "BSN"
MAX_LISTED = 5  # BSNs named in one message; the rest are counted


def looks_like_real_bsn(bsn: str, test_bsns: frozenset[str]) -> bool:
    """A valid BSN that is neither a known test BSN nor in the test range (9999...)."""
    return is_valid_bsn(bsn) and bsn not in test_bsns and not is_test_range_bsn(bsn)


def _listed(bsns: list[str]) -> str:
    shown = ", ".join(mask_bsn(b) for b in bsns[:MAX_LISTED])
    more = len(bsns) - MAX_LISTED
    return shown + (f" en nog {more}" if more > 0 else "")


def oin_issues(
    environment: Environment,
    *,
    connection_name: str,
    owner_name: str,
    owner_oin: str,
    organisations: Iterable[tuple[str, str]] = (),
) -> list[FieldIssue]:
    """Test OINs in production: the owner (ebMS PartyId) or an organisation (name, OIN)."""
    if environment is not Environment.PRODUCTIE:
        return []
    issues: list[FieldIssue] = []
    if is_test_oin(owner_oin):
        issues.append(
            FieldIssue(
                FIELD_OIN,
                f"Koppeling {connection_name} is een productiekoppeling, maar eigenaar "
                f"{owner_name} heeft test-OIN {owner_oin} (begint met 00000099). In productie "
                "zijn test-OIN's niet toegestaan; gebruik het echte OIN van de organisatie.",
            )
        )
    for name, oin in organisations:
        if oin != owner_oin and is_test_oin(oin):
            issues.append(
                FieldIssue(
                    FIELD_OIN,
                    f"{name} heeft test-OIN {oin} (begint met 00000099). In productie "
                    f"verstuurt koppeling {connection_name} niet voor een organisatie met een "
                    "test-OIN.",
                )
            )
    return issues


def bsn_issues(
    environment: Environment, bsns: Iterable[str], test_bsns: frozenset[str]
) -> list[FieldIssue]:
    """Test citizens refused in production; a real-looking BSN in preprod is a warning."""
    values = list(dict.fromkeys(bsns))
    if environment is Environment.PRODUCTIE:
        issues: list[FieldIssue] = []
        simulated = [b for b in values if b in test_bsns]
        if simulated:
            issues.append(
                FieldIssue(
                    FIELD_BSN,
                    f"BSN {_listed(simulated)} is een testburger van de simulator. In productie "
                    "verstuurt de console geen berichten aan testburgers.",
                )
            )
        ranged = [b for b in values if b not in test_bsns and is_test_range_bsn(b)]
        if ranged:
            issues.append(
                FieldIssue(
                    FIELD_BSN,
                    f"BSN {_listed(ranged)} valt in de testreeks (begint met 9999). Controleer "
                    "of dit echt een burger is voordat u in productie verstuurt.",
                    blocking=False,
                )
            )
        return issues
    if environment is Environment.PREPROD:
        real = [b for b in values if looks_like_real_bsn(b, test_bsns)]
        if real:
            return [
                FieldIssue(
                    FIELD_BSN,
                    f"BSN {_listed(real)} lijkt een echt BSN. Preprod is alleen voor testgegevens: "
                    "gebruik de test-BSN's die u van Logius kreeg.",
                    blocking=False,
                )
            ]
    return []


def send_issues(
    environment: Environment,
    *,
    connection_name: str,
    owner_name: str,
    owner_oin: str,
    organisation_name: str,
    organisation_oin: str,
    bsns: Iterable[str],
    test_bsns: frozenset[str],
) -> list[FieldIssue]:
    """Everything the guard says about sending letters for one organisation over one connection."""
    return [
        *oin_issues(
            environment,
            connection_name=connection_name,
            owner_name=owner_name,
            owner_oin=owner_oin,
            organisations=[(organisation_name, organisation_oin)],
        ),
        *bsn_issues(environment, bsns, test_bsns),
    ]


def normalise_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def confirmation_matches(typed: str, organisation_name: str) -> bool:
    """The production confirmation: the organisation's name, ignoring case and extra spaces."""
    return bool(organisation_name.strip()) and normalise_name(typed) == normalise_name(
        organisation_name
    )
