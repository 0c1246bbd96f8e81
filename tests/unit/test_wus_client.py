"""The WUS client against the simulator's validation service, over real two-way TLS."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from console.digikoppeling import tls
from console.digikoppeling.wus.client import (
    WusApplicationFault,
    WusDependentServiceFault,
    WusInputError,
    WusTransportError,
    WusValidatieClient,
)
from console.digikoppeling.wus.soap import parse_envelope
from console.digikoppeling.wus.validatie import SOAP_ACTION, ValidateRequest
from console.secrets import local_pki
from console.simulator.state import PartyRegistration, SimulatorStateStore
from console.simulator.wus import WUS_PATH, WusServer, WusService
from console.xml.schemas import default_registry

OIN = "00000099123456789000"
OTHER_ORG = "00000099000000002000"


@dataclass
class Setup:
    url: str
    client: httpx.Client
    store: SimulatorStateStore
    sent: list[httpx.Request]


@pytest.fixture(scope="module")
def pki() -> tuple[local_pki.IssuedCert, local_pki.IssuedCert, local_pki.IssuedCert]:
    ca = local_pki.create_ca("WUS-test-CA")
    server = local_pki.issue_server_cert(ca, ["127.0.0.1"], oin="00000004003214345001")
    client = local_pki.issue_client_cert(
        ca, oin=OIN, organisation="Gemeente Test", common_name="WUS"
    )
    return ca, server, client


@pytest.fixture
def wus(tmp_path: Path, pki: tuple[local_pki.IssuedCert, ...]) -> Iterator[Setup]:
    ca, server_cert, client_cert = pki
    store = SimulatorStateStore(tmp_path / "sim.sqlite3")
    store.register_party(PartyRegistration(OIN, "cpa", "SR", "https://x", False, (OIN, OTHER_ORG)))
    store.set_berichttypes(OIN, ["BELAST"])
    ctx = tls.server_context(server_cert.cert_pem + ca.cert_pem, server_cert.key_pem, ca.cert_pem)
    server = WusServer(WusService(store, default_registry()), ctx).start()
    client = tls.http_client(
        tls.client_context(client_cert.cert_pem, client_cert.key_pem, ca.cert_pem)
    )
    sent: list[httpx.Request] = []
    client.event_hooks["request"] = [sent.append]
    try:
        yield Setup(server.url, client, store, sent)
    finally:
        client.close()
        server.stop()


def ask(setup: Setup, *bsns: str, berichttype: str = "BELAST", org: str = OIN):  # type: ignore[no-untyped-def]
    client = WusValidatieClient(setup.client, setup.url)
    return client.validate_abonnementen(ValidateRequest(org, berichttype, bsns))


def test_three_citizen_states_give_the_right_answer(wus: Setup) -> None:
    results = ask(wus, "999990019", "999990044", "999990068", "123456782")
    assert [(r.bsn, r.is_bericht_sturen) for r in results] == [
        ("999990019", True),
        ("999990044", False),
        ("999990068", False),
        ("123456782", False),
    ]


def test_request_carries_the_wsdl_soapaction_and_is_soap_11(wus: Setup) -> None:
    ask(wus, "999990019")
    (request,) = wus.sent
    assert request.headers["SOAPAction"] == f'"{SOAP_ACTION}"'
    assert request.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert request.url.path == WUS_PATH
    envelope = parse_envelope(request.content)
    assert envelope.action == SOAP_ACTION
    assert envelope.body is not None and envelope.body.tag.endswith("}ValidateAbonnementen")


def test_state_is_per_organisation(wus: Setup) -> None:
    wus.store.set_berichttypes(OTHER_ORG, ["BELAST"])
    wus.store.set_citizen_state(OTHER_ORG, "999990044", "subscribed")
    assert ask(wus, "999990044", org=OTHER_ORG)[0].is_bericht_sturen is True
    assert ask(wus, "999990044", org=OIN)[0].is_bericht_sturen is False


def test_inactive_berichttype_is_an_application_fault(wus: Setup) -> None:
    with pytest.raises(WusApplicationFault) as exc:
        ask(wus, "999990019", berichttype="NIEUW")
    assert exc.value.fault_message == "Berichttype NIEUW bestaat niet of is niet actief."
    assert "(ApplicationFault)" in str(exc.value) and "Controleer" in str(exc.value)


def test_organisation_outside_the_cpa_is_an_application_fault(wus: Setup) -> None:
    with pytest.raises(WusApplicationFault, match="hoort niet bij de aansluiting"):
        ask(wus, "999990019", org="00000099999999999000")


def test_a_service_down_behind_globe_is_a_dependent_service_fault(wus: Setup) -> None:
    with pytest.raises(WusDependentServiceFault, match="Probeer het later opnieuw"):
        ask(wus, "999990019", "999990093")
    assert [c.outcome for c in wus.store.wus_calls()] == ["DependentServiceFault"]


@pytest.mark.parametrize(
    ("bsns", "message"),
    [
        ((), "minimaal 1 BSN"),
        (tuple(f"{n:09d}" for n in range(251)), "251 BSN's opgegeven; maximaal 250"),
        (("999990018",), "elfproef"),
        (("999990019", "999990019"), "meer dan eens"),
    ],
)
def test_input_is_checked_before_anything_is_sent(
    wus: Setup, bsns: tuple[str, ...], message: str
) -> None:
    with pytest.raises(WusInputError, match=message):
        ask(wus, *bsns)
    assert wus.sent == []


def test_250_bsns_is_allowed(wus: Setup) -> None:
    from tests.gui.fake_services import valid_bsns

    results = ask(wus, *valid_bsns(250, start=100_000_000))
    assert len(results) == 250


def test_wrong_path_is_a_clear_transport_error(wus: Setup) -> None:
    client = WusValidatieClient(wus.client, wus.url.replace(WUS_PATH, "/elders"))
    with pytest.raises(WusTransportError, match="HTTP 404"):
        client.validate_abonnementen(ValidateRequest(OIN, "BELAST", ("999990019",)))


def test_wrong_soapaction_is_refused_by_the_service(tmp_path: Path) -> None:
    service = WusService(SimulatorStateStore(tmp_path / "s.sqlite3"), default_registry())
    status, body = service.handle('"urn:iets-anders"', "text/xml", b"<x/>", OIN)
    fault = parse_envelope(body).fault
    assert status == 500 and fault is not None and "Onbekende SOAPAction" in fault.string
