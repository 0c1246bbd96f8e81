"""WUS ValidateAbonnementen against Logius' official WSDL and xsd0..xsd3.

The RDW import URLs in xsd0/xsd2 (``http://rdw64825.ot.tld:9002/...?xsd=xsd2``) are mapped
to the local files by the schema registry's resolver; nothing is fetched.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from console.digikoppeling.wus.soap import build_envelope, parse_envelope
from console.digikoppeling.wus.validatie import (
    RESPONSE_ACTION,
    SOAP_ACTION,
    KlantResultaat,
    ValidateRequest,
    build_request_body,
    build_response_body,
    fault_detail,
    parse_request_body,
    parse_response_body,
)
from console.xml.schemas import SchemaRegistry, default_registry

OIN = "00000099123456789000"


@pytest.fixture(scope="module")
def official(reference_dir: Path) -> SchemaRegistry:
    return SchemaRegistry(reference_dir / "logius" / "BerichtenboxValidatieService")


@pytest.fixture(scope="module")
def wsdl(reference_dir: Path) -> etree._Element:
    path = (
        reference_dir
        / "logius"
        / "BerichtenboxValidatieService"
        / "BerichtenboxValidatieService.wsdl"
    )
    return etree.parse(
        str(path), etree.XMLParser(resolve_entities=False, no_network=True)
    ).getroot()


WSDL_NS = {
    "wsdl": "http://schemas.xmlsoap.org/wsdl/",
    "soap": "http://schemas.xmlsoap.org/wsdl/soap/",
    "wsaw": "http://www.w3.org/2006/05/addressing/wsdl",
}


def test_soapaction_and_output_action_are_exactly_the_wsdl_values(wsdl: etree._Element) -> None:
    (operation,) = wsdl.findall(".//wsdl:binding/wsdl:operation/soap:operation", WSDL_NS)
    assert operation.get("soapAction") == SOAP_ACTION
    assert operation.get("style") == "document"
    (output,) = wsdl.findall(".//wsdl:portType/wsdl:operation/wsdl:output", WSDL_NS)
    assert output.get(f"{{{WSDL_NS['wsaw']}}}Action") == RESPONSE_ACTION
    assert wsdl.find(".//wsdl:binding/soap:binding", WSDL_NS) is not None  # SOAP 1.1 binding


@pytest.mark.parametrize("count", [1, 250])
def test_request_is_valid_against_the_official_schema_and_ours(
    official: SchemaRegistry, count: int
) -> None:
    from tests.gui.fake_services import valid_bsns

    body = build_request_body(ValidateRequest(OIN, "BELAST", tuple(valid_bsns(count))))
    assert official.validate(body, "xsd0.xsd") == []
    assert default_registry().validate(body, "berichtenbox-validatie.xsd") == []
    assert parse_request_body(body).bsns == tuple(valid_bsns(count))


def test_the_request_as_sent_has_a_valid_body(official: SchemaRegistry) -> None:
    envelope = build_envelope(
        build_request_body(ValidateRequest(OIN, "BELAST", ("999990019",))),
        action=SOAP_ACTION,
        to="https://example.invalid/BerichtenboxValidatieService",
        ws_addressing=True,
    )
    message = parse_envelope(envelope)
    assert message.body is not None
    assert official.validate(message.body, "xsd0.xsd") == []


def test_response_is_valid_against_the_official_schema_and_ours(official: SchemaRegistry) -> None:
    results = [KlantResultaat("999990019", True), KlantResultaat("999990044", False)]
    body = build_response_body(results)
    assert official.validate(body, "xsd0.xsd") == []
    assert default_registry().validate(body, "berichtenbox-validatie.xsd") == []
    assert parse_response_body(body) == tuple(results)


@pytest.mark.parametrize("kind", ["ApplicationFault", "DependentServiceFault"])
def test_fault_details_are_valid_against_xsd3(official: SchemaRegistry, kind: str) -> None:
    detail = fault_detail(kind, "Uitleg")
    assert official.validate(detail, "xsd3.xsd") == []


def test_an_official_style_response_with_other_prefixes_is_read(official: SchemaRegistry) -> None:
    # What a WCF service writes: default namespaces on each element, i:nil on an empty key.
    doc = b"""<ValidateAbonnementenResponse xmlns="http://schemas.rdw.nl/GEB/BerichtenboxValidatieService/2009/01">
      <ValidateAbonnementenResult xmlns:a="http://schemas.rdw.nl/GEB/BerichtenboxValidatieService/Types/2009/01"
          xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
        <a:Abonnement><a:klant xmlns:b="http://schemas.rdw.nl/GEB/Shared/Types/2009/01">
          <b:Key>999990019</b:Key><b:Rol>Burger</b:Rol></a:klant><a:isBerichtSturen>true</a:isBerichtSturen>
        </a:Abonnement>
      </ValidateAbonnementenResult></ValidateAbonnementenResponse>"""
    body = etree.fromstring(doc)
    assert official.validate(body, "xsd0.xsd") == []
    assert parse_response_body(body) == (KlantResultaat("999990019", True),)


def test_our_schema_refuses_251_klanten_the_official_one_has_no_limit(
    official: SchemaRegistry,
) -> None:
    from tests.gui.fake_services import valid_bsns

    body = build_request_body(ValidateRequest(OIN, "BELAST", tuple(valid_bsns(251))))
    assert official.validate(body, "xsd0.xsd") == []
    assert default_registry().validate(body, "berichtenbox-validatie.xsd") != []
