"""The production guard's pure rules: test OINs and test citizens, and the typed confirmation."""

from __future__ import annotations

from console.domain.environment import Environment
from console.domain.environment_guard import (
    bsn_issues,
    confirmation_matches,
    looks_like_real_bsn,
    oin_issues,
    send_issues,
)
from console.domain.test_citizens import SIMULATOR_TEST_BSNS, is_test_range_bsn
from console.simulator.citizens import TEST_CITIZENS, is_simulator_bsn

REAL_OIN = "00000001001234567000"
TEST_OIN = "00000099123456789000"
REAL_LOOKING_BSN = "111222333"  # passes the elfproef, not in the test range
SIM = frozenset(SIMULATOR_TEST_BSNS)


def test_the_simulators_population_is_the_guards_list() -> None:
    assert {c.bsn for c in TEST_CITIZENS} == SIMULATOR_TEST_BSNS
    assert all(is_simulator_bsn(b) for b in SIMULATOR_TEST_BSNS)
    assert not is_simulator_bsn(REAL_LOOKING_BSN)


def test_test_oins_are_refused_in_production_only() -> None:
    kw = {"connection_name": "Productie", "owner_name": "Samenwerking", "owner_oin": TEST_OIN}
    issues = oin_issues(Environment.PRODUCTIE, **kw, organisations=[("Gemeente A", TEST_OIN)])
    assert len(issues) == 1 and issues[0].blocking and issues[0].field == "OIN"
    assert "Samenwerking heeft test-OIN 00000099123456789000" in issues[0].message
    assert oin_issues(Environment.PREPROD, **kw) == []
    assert oin_issues(Environment.SIMULATOR, **kw) == []


def test_a_member_with_a_test_oin_is_refused_on_a_production_connection() -> None:
    issues = oin_issues(
        Environment.PRODUCTIE,
        connection_name="Productie",
        owner_name="Samenwerking",
        owner_oin=REAL_OIN,
        organisations=[("Gemeente A", "00000001001234567001"), ("Gemeente Test", TEST_OIN)],
    )
    assert [i.message for i in issues] == [
        "Gemeente Test heeft test-OIN 00000099123456789000 (begint met 00000099). In productie "
        "verstuurt koppeling Productie niet voor een organisatie met een test-OIN."
    ]


def test_simulator_citizens_are_refused_in_production_and_the_test_range_is_warned() -> None:
    issues = bsn_issues(Environment.PRODUCTIE, ["999990019", "999990019", "999912343"], SIM)
    assert [(i.blocking, i.field) for i in issues] == [(True, "BSN"), (False, "BSN")]
    assert "*****0019 is een testburger van de simulator" in issues[0].message
    assert "999990019" not in issues[0].message  # masked, never the full BSN
    assert "*****2343 valt in de testreeks" in issues[1].message
    assert bsn_issues(Environment.PRODUCTIE, [REAL_LOOKING_BSN], SIM) == []


def test_a_real_looking_bsn_in_preprod_is_a_warning() -> None:
    assert looks_like_real_bsn(REAL_LOOKING_BSN, SIM)
    assert not looks_like_real_bsn("999990019", SIM)  # a simulator citizen
    assert not looks_like_real_bsn("123456789", SIM)  # fails the elfproef
    assert is_test_range_bsn("999912343") and not looks_like_real_bsn("999912343", SIM)
    issues = bsn_issues(Environment.PREPROD, [REAL_LOOKING_BSN, "999990019"], SIM)
    assert len(issues) == 1 and not issues[0].blocking
    assert "*****2333 lijkt een echt BSN" in issues[0].message
    assert bsn_issues(Environment.SIMULATOR, [REAL_LOOKING_BSN], SIM) == []


def test_many_bsns_are_counted_not_all_listed() -> None:
    bsns = sorted(SIMULATOR_TEST_BSNS)
    (issue,) = bsn_issues(Environment.PRODUCTIE, bsns, SIM)
    assert issue.message.count("*****") == 5 and "en nog 3" in issue.message


def test_send_issues_combine_oins_and_bsns() -> None:
    issues = send_issues(
        Environment.PRODUCTIE,
        connection_name="Productie",
        owner_name="Gemeente Echt",
        owner_oin=REAL_OIN,
        organisation_name="Gemeente Echt",
        organisation_oin=REAL_OIN,
        bsns=["999990020"],
        test_bsns=SIM,
    )
    assert [i.field for i in issues] == ["BSN"]


def test_the_confirmation_is_the_organisations_name_ignoring_case_and_spaces() -> None:
    assert confirmation_matches("  gemeente   VOORBEELD ", "Gemeente Voorbeeld")
    assert not confirmation_matches("Gemeente Voorbeel", "Gemeente Voorbeeld")
    assert not confirmation_matches("", "")
