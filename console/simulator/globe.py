"""GLOBE's rules for a received batch: validation and one VerwerkingsCode per letter.

This is the simulator's own reading of the interface (berichtenbox-interface.md sections 3
and 5), independent of the console's preflight: the point is that the two sides can disagree
exactly as the console and Logius can.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from console.berichtenbox.batch import BatchLetter, BatchRequest, parse_berichten
from console.berichtenbox.result import BatchResult, LetterResult
from console.domain.ids import NIL_GUID
from console.domain.verwerkingscode import VerwerkingsCode as C
from console.simulator.citizens import CitizenState, effective_state
from console.simulator.state import SimulatorStateStore
from console.xml import find_local, parse_xml
from console.xml.schemas import SchemaRegistry

REQUEST_SCHEMA = "berichtverwerk-request.xsd"
DATE_WINDOW = timedelta(days=13)


@dataclass(frozen=True, slots=True)
class GlobeLimits:
    bijlagen_max_bytes: int = 500_000


def _batch_id_of(payload: bytes) -> str:
    """The BatchID of an invalid batch, if it can be read at all; the nil GUID otherwise."""
    try:
        root = parse_xml(payload)
    except ValueError:
        return NIL_GUID
    info = find_local(root, "BatchInformatie")
    bid = find_local(info, "BatchID") if info is not None else None
    text = (bid.text or "").strip() if bid is not None else ""
    return text if len(text) == 36 else NIL_GUID


def _whole_batch(
    batch_id: str, leverancier: str, code: C, count: int, now: datetime
) -> BatchResult:
    """A result in which Logius could not read the letters: nil BerichtID, BatchID echoed."""
    return BatchResult(
        bericht_leverancier_code=leverancier,
        batch_id=batch_id,
        totaal=count,
        verwerkt=0,
        geen_actieve_box=0,
        technisch_probleem=count,
        berichttype_niet_correct=0,
        publicatiedatum_niet_correct=0,
        aanmaakdatum_niet_correct=0,
        datum_ontvangen=now,
        datum_verwerkt=now,
        letters=(LetterResult(NIL_GUID, "", code.value, None),),
    )


def process_batch(
    payload: bytes,
    *,
    from_party_oin: str,
    allowed_oins: tuple[str, ...],
    store: SimulatorStateStore,
    schemas: SchemaRegistry,
    now: datetime,
    limits: GlobeLimits | None = None,
) -> BatchResult:
    limits = limits or GlobeLimits(bijlagen_max_bytes=int(store.setting("bijlagen_max_bytes")))
    issues = schemas.validate(payload, REQUEST_SCHEMA)
    if issues:
        return _whole_batch(_batch_id_of(payload), from_party_oin, C.XML_VALIDATIE, 1, now)
    req: BatchRequest = parse_berichten(payload)
    if req.bericht_leverancier_id not in allowed_oins:
        return _whole_batch(
            req.batch_id, req.bericht_leverancier_id, C.OIN_MISMATCH, len(req.letters), now
        )
    active_types = store.berichttypes(req.bericht_leverancier_id)
    results: list[LetterResult] = []
    for letter in req.letters:
        # GLOBE stores only what it delivered: a letter refused for a cause that was fixed
        # may come again with the same BerichtID; a stored one gets BerichtBestaatAl.
        if store.has_bericht_id(letter.bericht_id):
            code, stadium = C.BERICHT_BESTAAT_AL, "NA"
        else:
            override = store.citizen_override(req.bericht_leverancier_id, letter.bsn)
            code, stadium = _letter_code(req, letter, active_types, limits, now, override)
            if code is C.VERWERKT and not store.claim_bericht_id(letter.bericht_id, req.batch_id):
                code, stadium = C.BERICHT_BESTAAT_AL, "NA"
        results.append(LetterResult(letter.bericht_id, letter.berichttype, code.value, stadium))
    counts = Counter(r.code for r in results)
    return BatchResult(
        bericht_leverancier_code=req.bericht_leverancier_id,
        batch_id=req.batch_id,
        totaal=len(results),
        verwerkt=counts[C.VERWERKT.value],
        geen_actieve_box=counts[C.NIET_ACTIEF_OF_GEABONNEERD.value],
        technisch_probleem=counts[C.TECHNISCH_PROBLEEM.value]
        + counts[C.BIJLAGE_TE_GROOT.value]
        + counts[C.BERICHT_BESTAAT_AL.value],
        berichttype_niet_correct=counts[C.BERICHTTYPE_NIET_ONDERSTEUND.value],
        publicatiedatum_niet_correct=counts[C.PUBLICATIEDATUM_TE_VER.value],
        aanmaakdatum_niet_correct=counts[C.AANMAAKDATUM_TE_OUD.value],
        datum_ontvangen=now,
        datum_verwerkt=now,
        letters=tuple(results),
    )


def _letter_code(
    req: BatchRequest,
    letter: BatchLetter,
    active_types: set[str],
    limits: GlobeLimits,
    now: datetime,
    override: str | None = None,
) -> tuple[C, str]:
    if req.aanmaak_datum < now - DATE_WINDOW:
        return C.AANMAAKDATUM_TE_OUD, "NA"
    if letter.publicatie_datum is not None and letter.publicatie_datum > now + DATE_WINDOW:
        return C.PUBLICATIEDATUM_TE_VER, "NA"
    if letter.berichttype not in active_types:
        return C.BERICHTTYPE_NIET_ONDERSTEUND, "ValidatieBerichtType"
    if sum(len(a.content) for a in letter.attachments) > limits.bijlagen_max_bytes:
        return C.BIJLAGE_TE_GROOT, "NA"
    state = effective_state(letter.bsn, override)
    if state is CitizenState.SUBSCRIBED:
        return C.VERWERKT, "NA"
    if state is CitizenState.TECHNICAL_FAULT:
        return C.TECHNISCH_PROBLEEM, "StoreMessage"
    return C.NIET_ACTIEF_OF_GEABONNEERD, "ValidatieGebruiker"


def summarise(result: BatchResult) -> str:
    counts = Counter(r.code for r in result.letters)
    return ", ".join(f"{code}: {n}" for code, n in sorted(counts.items()))
