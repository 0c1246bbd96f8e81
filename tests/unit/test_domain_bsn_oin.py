from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.domain.bsn import bsn_problem, is_valid_bsn, mask_bsn
from console.domain.ids import NIL_GUID, is_guid, new_guid, new_message_id
from console.domain.oin import is_test_oin, is_valid_oin, oin_kind, oin_problem, strip_party_prefix

WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def test_documented_example_bsn_is_valid() -> None:
    # berichtenbox-interface.md 1.3: 123456782 gives 154 = 14 x 11
    assert is_valid_bsn("123456782")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "Vul een BSN in"),
        ("12345678", "9 cijfers; dit zijn er 8"),
        ("1234567820", "dit zijn er 10"),
        ("12345678a", "alleen uit cijfers"),
        ("123456789", "elfproef"),
        ("000000000", "geen geldig BSN"),
    ],
)
def test_invalid_bsn_says_why_in_dutch(value: str, fragment: str) -> None:
    problem = bsn_problem(value)
    assert problem is not None and fragment in problem


def test_last_weight_is_minus_one_not_plus_one() -> None:
    # 100000002: 9*1 + 1*2 = 11 passes a +1 rule, but 9*1 - 1*2 = 7 fails the BSN rule.
    assert not is_valid_bsn("100000002")


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_elfproef_matches_the_formula(value: str) -> None:
    total = sum(int(d) * w for d, w in zip(value, WEIGHTS, strict=True))
    expected = total % 11 == 0 and value != "000000000"
    assert is_valid_bsn(value) == expected


def test_mask_shows_only_last_four() -> None:
    assert mask_bsn("123456782") == "*****6782"
    assert mask_bsn("") == ""


def test_oin_structure_and_test_prefix() -> None:
    assert is_valid_oin("00000001002220647000")  # Gemeente Utrecht
    assert is_valid_oin("00000004003214345001")  # Logius as seen in practice
    assert is_test_oin("00000099123456789000")
    assert not is_test_oin("00000001002220647000")
    assert oin_kind("00000099123456789000") == "test-OIN"
    assert "20 cijfers; dit zijn er 19" in (oin_problem("0000000100222064700") or "")
    assert "bekend OIN-prefix" in (oin_problem("12345678002220647000") or "")
    assert "alleen uit cijfers" in (oin_problem("0000000100222064700x") or "")


def test_party_prefix_and_otap_suffix_are_stripped() -> None:
    assert strip_party_prefix("urn:osb:oin:00000004003214345001") == "00000004003214345001"
    assert strip_party_prefix("00000004003214345001_T") == "00000004003214345001"


def test_guids_and_message_ids() -> None:
    g = new_guid()
    assert is_guid(g) and is_guid(NIL_GUID) and not is_guid("batch-123")
    mid = new_message_id("example.nl")
    assert mid.endswith("@example.nl") and is_guid(mid.split("@")[0])
    assert new_guid() != g
