"""How a stored exchange is shown to support staff: every XML part pretty, binaries summarised."""

from __future__ import annotations

from console.digikoppeling.ebms.envelope import user_message
from console.digikoppeling.ebms.mime import package
from console.digikoppeling.ebms.model import Party, Payload
from console.services.letters import render_raw


def test_multipart_exchange_shows_envelope_xml_and_summarises_binary_parts() -> None:
    msg = user_message(
        cpa_id="cpa",
        from_party=Party("00000099123456789000", "SR"),
        to_party=Party("00000004003214345001", "SP"),
        service="urn:osb:services:MIJNOVERHEID.ebMS.BB.2.0",
        service_type=None,
        action="GLOBE-R-BV-Request",
        payloads=[
            Payload("batch@x", "text/xml", b"<Berichten><A>1</A></Berichten>"),
            Payload("pdf@x", "application/pdf", b"%PDF-1.4 \x00\x01"),
        ],
    )
    ct, body = package(msg)
    shown = render_raw(body, ct)
    assert "GLOBE-R-BV-Request" in shown
    assert "<Berichten>\n  <A>1</A>\n</Berichten>" in shown
    assert "--- deel <pdf@x> (application/pdf, 11 bytes) ---\n(binaire inhoud)" in shown


def test_a_broken_exchange_is_shown_as_it_came_in() -> None:
    assert render_raw(b"niet goed", 'multipart/related; boundary="x"') == "niet goed"
    assert render_raw(b"<a><b/></a>", "text/xml").strip() == "<a>\n  <b/>\n</a>"
