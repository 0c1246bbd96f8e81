"""Property tests: build -> parse gives the same request, valid against our schema;
the size estimate matches the built document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.berichtenbox.batch import (
    BatchAttachment,
    BatchLetter,
    BatchRequest,
    build_berichten,
    estimate_batch_bytes,
    parse_berichten,
)
from console.xml.schemas import default_registry

# Characters XML 1.0 can carry (no C0 controls except tab/newline/CR, no surrogates,
# no U+FFFE/U+FFFF).
xml_text_chars = st.characters(
    codec="utf-8",
    exclude_categories=("Cs", "Cc"),
    exclude_characters="\ufffe\uffff",
) | st.sampled_from("\t\n\r")


def xml_text(min_size: int = 0, max_size: int | None = None) -> st.SearchStrategy[str]:
    return st.text(xml_text_chars, min_size=min_size, max_size=max_size)


guids = st.uuids().map(str) | st.uuids().map(lambda u: str(u).upper())

aware_ms_datetimes = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))]
    ),
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))

attachments = st.builds(
    BatchAttachment,
    content=st.binary(min_size=1, max_size=300),
    omschrijving=xml_text(1, 128),
    volgorde=st.integers(1, 2),
)

letters = st.builds(
    BatchLetter,
    bericht_id=guids,
    berichttype=xml_text(1, 8),
    onderwerp=xml_text(1, 50),
    bsn=xml_text(1, 12),
    berichttekst=xml_text(0, 4000),
    referentie=xml_text(0, 25),
    publicatie_datum=st.none() | aware_ms_datetimes,
    eind_datum_handelingstermijn=st.none() | aware_ms_datetimes,
    attachments=st.lists(attachments, max_size=2).map(tuple),
)

batch_requests = st.builds(
    BatchRequest,
    batch_id=guids,
    aanmaak_datum=aware_ms_datetimes,
    bericht_leverancier_id=xml_text(1, 25),
    letters=st.lists(letters, min_size=1, max_size=4).map(tuple),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(batch_requests)
def test_build_then_parse_round_trips_and_is_schema_valid(req: BatchRequest) -> None:
    data = build_berichten(req)
    assert parse_berichten(data) == req
    assert default_registry().validate(data, "berichtverwerk-request.xsd") == []


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(batch_requests)
def test_estimate_never_underestimates(req: BatchRequest) -> None:
    actual = len(build_berichten(req))
    assert (
        estimate_batch_bytes(req.letters, bericht_leverancier_id=req.bericht_leverancier_id)
        == actual
    )
    assert actual <= estimate_batch_bytes(req.letters) <= actual + 125
