"""The simulator's AbonnementService: answer a ``GLOBE-R-A-Request`` like GLOBE would.

The request is checked against our schema ``abonnement-aanvraag.xsd`` and the OIN against
the sending party's registration (``OinInCPA...`` in spirit: a party may only ask for the
organisations its CPA covers). The answer follows our own answer format (Logius' schema is
not available; see ``schemas/abonnement-antwoord.xsd``): per BSN the citizen's state for
this organisation, from the fixed population and the per-organisation overrides.

- Volledig: every citizen subscribed to the organisation.
- BSN-lijst: every BSN asked, with its state (any BSN outside the population has no box).
- Mutatie: the citizens whose state for this organisation changed after MutatieDatum.

The server sends the answer (gzipped) as an ebMS user message after the configured delay.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from console.berichtenbox.abonnement import (
    AanvraagSoort,
    AbonnementAanvraag,
    AbonnementParseError,
    AbonnementRegel,
    AbonnementStatus,
    AntwoordKop,
    build_antwoord,
    parse_aanvraag,
)
from console.simulator.citizens import TEST_CITIZENS, CitizenState, effective_state
from console.simulator.state import SimulatorStateStore
from console.xml.schemas import SchemaRegistry

REQUEST_SCHEMA = "abonnement-aanvraag.xsd"
MAX_REQUEST_BYTES = 100 * 1000 * 1000

_STATUS = {
    CitizenState.SUBSCRIBED: AbonnementStatus.SUBSCRIBED,
    CitizenState.TECHNICAL_FAULT: AbonnementStatus.SUBSCRIBED,  # a box, subscribed
    CitizenState.NOT_SUBSCRIBED: AbonnementStatus.NOT_SUBSCRIBED,
    CitizenState.NO_BOX: AbonnementStatus.NO_BOX,
}


@dataclass(frozen=True, slots=True)
class AbsOutcome:
    """Either an answer (gzip) or the problem that stops one (sent as an ebMS MessageError)."""

    aanvraag: AbonnementAanvraag | None
    answer: bytes | None
    entries: int
    problem: str | None


def _regels(
    aanvraag: AbonnementAanvraag, overrides: dict[str, tuple[str, datetime]]
) -> Iterator[AbonnementRegel]:
    def status(bsn: str) -> AbonnementStatus:
        found = overrides.get(bsn)
        return _STATUS[effective_state(bsn, found[0] if found else None)]

    if aanvraag.soort is AanvraagSoort.BSN_LIJST:
        for bsn in aanvraag.bsns:
            yield AbonnementRegel(bsn, status(bsn))
    elif aanvraag.soort is AanvraagSoort.VOLLEDIG:
        population = sorted({c.bsn for c in TEST_CITIZENS} | set(overrides))
        for bsn in population:
            if status(bsn) is AbonnementStatus.SUBSCRIBED:
                yield AbonnementRegel(bsn, AbonnementStatus.SUBSCRIBED)
    else:
        since = aanvraag.mutatie_datum
        assert since is not None
        for bsn, (_state, changed) in sorted(overrides.items()):
            if changed > since:
                yield AbonnementRegel(bsn, status(bsn))


def process_request(
    payload: bytes,
    *,
    allowed_oins: tuple[str, ...],
    store: SimulatorStateStore,
    schemas: SchemaRegistry,
    now: datetime,
) -> AbsOutcome:
    try:
        issues = schemas.validate(payload, REQUEST_SCHEMA, max_bytes=MAX_REQUEST_BYTES)
    except ValueError as exc:
        return AbsOutcome(None, None, 0, f"De abonnementsaanvraag is onleesbaar: {exc}")
    if issues:
        first = issues[0]
        return AbsOutcome(
            None,
            None,
            0,
            f"De abonnementsaanvraag voldoet niet aan het schema (regel {first.line}: "
            f"{first.message}).",
        )
    try:
        aanvraag = parse_aanvraag(payload, max_bytes=MAX_REQUEST_BYTES)
    except AbonnementParseError as exc:
        return AbsOutcome(None, None, 0, str(exc))
    if aanvraag.oin not in allowed_oins:
        return AbsOutcome(
            aanvraag,
            None,
            0,
            f"Het OIN {aanvraag.oin} in de aanvraag hoort niet bij de CPA van de afzender.",
        )
    overrides = {o.bsn: (o.state, o.changed_at) for o in store.citizen_overrides(aanvraag.oin)}
    kop = AntwoordKop(
        oin=aanvraag.oin,
        verzoek_id=aanvraag.verzoek_id,
        soort=aanvraag.soort,
        peil_datum=now,
        mutatie_datum=aanvraag.mutatie_datum,
    )
    entries = 0

    def counted() -> Iterator[AbonnementRegel]:
        nonlocal entries
        for regel in _regels(aanvraag, overrides):
            entries += 1
            yield regel

    answer = build_antwoord(kop, counted())
    return AbsOutcome(aanvraag, answer, entries, None)
