"""xs:dateTime: written as UTC with milliseconds and Z, read in every lexical form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.xml.timestamps import format_xs_datetime, parse_xs_datetime

CET = timezone(timedelta(hours=1))


def test_format_converts_to_utc_with_milliseconds() -> None:
    value = datetime(2026, 11, 28, 11, 0, 0, 123456, tzinfo=CET)
    assert format_xs_datetime(value) == "2026-11-28T10:00:00.123Z"


def test_format_refuses_naive_datetime_in_dutch() -> None:
    with pytest.raises(ValueError, match="AanmaakDatum heeft geen tijdzone"):
        format_xs_datetime(datetime(2026, 1, 1), field="AanmaakDatum")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2017-03-03T08:09:08.790Z", datetime(2017, 3, 3, 8, 9, 8, 790000, tzinfo=UTC)),
        ("2017-03-03T08:09:08Z", datetime(2017, 3, 3, 8, 9, 8, tzinfo=UTC)),
        ("2017-03-03T09:09:08.5+01:00", datetime(2017, 3, 3, 8, 9, 8, 500000, tzinfo=UTC)),
        ("2017-03-03T08:09:08.1234567891-00:00", datetime(2017, 3, 3, 8, 9, 8, 123456, tzinfo=UTC)),
        ("2017-03-03T08:09:08", datetime(2017, 3, 3, 8, 9, 8, tzinfo=UTC)),  # no zone: UTC
        ("  2017-03-03T08:09:08Z\n", datetime(2017, 3, 3, 8, 9, 8, tzinfo=UTC)),
        ("2017-03-03T24:00:00Z", datetime(2017, 3, 4, tzinfo=UTC)),
    ],
)
def test_parse_accepts_lexical_forms(text: str, expected: datetime) -> None:
    parsed = parse_xs_datetime(text)
    assert parsed == expected
    assert parsed.tzinfo is not None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2017-03-03",
        "03-03-2017T08:09:08Z",
        "2017-02-30T08:00:00Z",
        "2017-03-03T08:09:08+15:00",
        "2017-03-03T24:00:01Z",
    ],
)
def test_parse_refuses_invalid_values_in_dutch(text: str) -> None:
    with pytest.raises(ValueError, match="PublicatieDatum"):
        parse_xs_datetime(text, field="PublicatieDatum")


@given(
    st.datetimes(
        min_value=datetime(1900, 1, 2),
        max_value=datetime(9998, 12, 30),
        timezones=st.sampled_from([UTC, CET, timezone(timedelta(hours=-9, minutes=-30))]),
    )
)
def test_format_then_parse_keeps_the_instant_to_the_millisecond(value: datetime) -> None:
    parsed = parse_xs_datetime(format_xs_datetime(value))
    assert parsed.utcoffset() == timedelta(0)
    assert parsed == value.replace(microsecond=value.microsecond // 1000 * 1000)
