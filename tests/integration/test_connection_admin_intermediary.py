"""The intermediary model on the wire: one connection, several organisations.

A tax cooperation's connection sends letters for a municipality and for a water board. On the
wire (what the simulator stored, and the ebMS header as the console sent it) each batch carries
the BerichtLeverancierID of the organisation the letter is for, while the ebMS From PartyId is
always the cooperation's (the connection owner). Read with plain lxml and the email package, not
with the console's own parsers, so a shared mistake cannot hide.
"""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path

from lxml import etree
from sqlalchemy import select

from console.db import models as m
from console.domain.letter import LetterDraft
from console.secrets.store import MemoryStore
from console.services.bootstrap import open_workspace
from console.settings import resolve_paths

from .conftest import open_test_workspace, wait_for

COOPERATION = "Belastingsamenwerking-simulator"
COOPERATION_OIN = "00000099300000000001"
OOSTDAM_OIN = "00000099300000000002"
WATERSCHAP_OIN = "00000099300000000004"


def _xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def _local(root: etree._Element, path: str) -> list[str]:
    steps = "/".join(f"*[local-name()='{p}']" for p in path.split("/"))
    return [str(v).strip() for v in root.xpath(f"//{steps}/text()")]


def _soap_part(raw: bytes, content_type: str) -> bytes:
    msg = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
    )
    for part in msg.iter_parts():
        data = part.get_payload(decode=True)
        if isinstance(data, bytes) and b"MessageHeader" in data:
            return data
    raise AssertionError("geen SOAP-deel met een MessageHeader gevonden")


def test_intermediary_letters_carry_their_organisations_oin_and_the_owners_party_id(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    secrets = MemoryStore()
    # The demo workspace, then choose the cooperation's connection (as "connection use" does).
    setup = open_workspace(resolve_paths(data), start_engine=False, secrets=secrets)
    try:
        assert setup.connections is not None
        conn = setup.connections.get(COOPERATION)
        assert {o.oin for o in conn.organisations} >= {OOSTDAM_OIN, WATERSCHAP_OIN}
        assert setup.connections.make_current(conn.id).restart_needed
    finally:
        setup.close()

    services = open_test_workspace(data, secrets=secrets)
    try:
        status = services.workspace.status()
        assert status.connection_name == COOPERATION
        by_oin = {o.oin: o for o in status.organisations}
        assert by_oin[COOPERATION_OIN].id == status.organisation_id  # the owner comes first
        letters = {
            OOSTDAM_OIN: services.letters.submit(
                LetterDraft(bsn="999990019", berichttype="AANSLAG", onderwerp="Uw aanslag"),
                by_oin[OOSTDAM_OIN].id,
            ).letter_id,
            WATERSCHAP_OIN: services.letters.submit(
                LetterDraft(bsn="999990020", berichttype="WSAANSL", onderwerp="Uw aanslag"),
                by_oin[WATERSCHAP_OIN].id,
            ).letter_id,
        }
        for letter_id in letters.values():
            detail = wait_for(services, letter_id)
            assert detail.row.verwerkings_code == "Verwerkt", detail.row.explanation

        assert services.simulator is not None
        received = services.simulator.store.batches()
        assert len(received) == 2  # one batch per BerichtLeverancierID
        seen: dict[str, str] = {}
        for batch in received:
            payload = _xml(Path(batch.path).read_bytes())
            (leverancier,) = _local(payload, "BatchInformatie/BerichtLeverancierID")
            (batch_id,) = _local(payload, "BatchInformatie/BatchID")
            seen[leverancier] = batch_id
            assert batch.from_party.endswith(COOPERATION_OIN)
        assert set(seen) == {OOSTDAM_OIN, WATERSCHAP_OIN}

        # The ebMS header exactly as the console sent it: From is the owner, never the member.
        with services.db.session() as s:
            for oin, batch_id in seen.items():
                letter = s.get_one(m.Letter, letters[oin])
                assert letter.batch_id == batch_id
                out = s.scalar(
                    select(m.EbmsMessage).where(
                        m.EbmsMessage.batch_id == batch_id,
                        m.EbmsMessage.direction == m.EbmsDirection.OUT,
                        m.EbmsMessage.kind == m.EbmsKind.USER,
                    )
                )
                assert out is not None
                header = _xml(_soap_part(out.raw, out.content_type))
                (from_party,) = _local(header, "MessageHeader/From/PartyId")
                (to_party,) = _local(header, "MessageHeader/To/PartyId")
                assert from_party.removeprefix("urn:osb:oin:") == COOPERATION_OIN
                assert to_party.removeprefix("urn:osb:oin:") != oin
                assert oin != COOPERATION_OIN
    finally:
        services.close()


def test_a_connection_may_not_send_for_an_organisation_it_does_not_serve(tmp_path: Path) -> None:
    services = open_workspace(
        resolve_paths(tmp_path / "d"), start_engine=False, secrets=MemoryStore()
    )
    try:
        assert services.organisations is not None
        oostdam = services.organisations.get(OOSTDAM_OIN)
        draft = LetterDraft(bsn="999990019", berichttype="AANSLAG", onderwerp="Uw aanslag")
        # The workspace sends over the demo municipality's own connection.
        import pytest

        from console.services.errors import ServiceError

        with pytest.raises(ServiceError, match="mag niet versturen voor Gemeente Oostdam"):
            services.letters.submit(draft, oostdam.id)
        with services.db.session() as s:
            assert s.scalar(select(m.Letter.id)) is None
    finally:
        services.close()
