"""The simulator's BerichtenboxValidatieService: WUS ``ValidateAbonnementen`` on its own port.

Two-way TLS like the ebMS endpoint, path ``/BerichtenboxValidatieService`` (the path of the
WSDL's address). GLOBE's rules as far as they are known (interface reference 2.4):

- SOAP 1.1, ``SOAPAction`` exactly the WSDL value (quoted or not), ``text/xml``;
- the request valid against our schema (1 to 250 Klant, BerichtType 1..8);
- the client certificate's OIN registered, and the berichtleverancierCode one of the
  organisations its CPA covers, else ``ApplicationFault``;
- the berichttype active for that organisation (the simulator's own list), else
  ``ApplicationFault``;
- a test citizen in the fault-injection state makes the check fail with
  ``DependentServiceFault`` (a service behind GLOBE is down);
- otherwise ``isBerichtSturen`` is true exactly for citizens subscribed to that organisation.
"""

from __future__ import annotations

import http.server
import logging
import ssl
from datetime import UTC, datetime

from console.digikoppeling import tls
from console.digikoppeling.endpoint import TEXT, PostRequest, post_handler
from console.digikoppeling.wus.soap import CONTENT_TYPE, build_envelope, build_fault, parse_envelope
from console.digikoppeling.wus.validatie import (
    SOAP_ACTION,
    KlantResultaat,
    ValidatieParseError,
    build_response_body,
    fault_detail,
    parse_request_body,
)
from console.simulator.citizens import CitizenState, effective_state
from console.simulator.state import SimulatorStateStore, WusCall
from console.xml.schemas import SchemaRegistry

log = logging.getLogger(__name__)

WUS_PATH = "/BerichtenboxValidatieService"
SCHEMA = "berichtenbox-validatie.xsd"
MAX_BODY = 2 * 1024 * 1024


class WusFault(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class WusService:
    """The request handling, without HTTP: (headers, body, peer OIN) -> (status, body)."""

    def __init__(self, store: SimulatorStateStore, schemas: SchemaRegistry) -> None:
        self.store = store
        self.schemas = schemas

    def handle(
        self, soap_action: str | None, content_type: str, body: bytes, peer_oin: str | None
    ) -> tuple[int, bytes]:
        if (soap_action or "").strip().strip('"') != SOAP_ACTION:
            return 500, build_fault(
                "s:Client",
                f"Onbekende SOAPAction {soap_action!r}; verwacht {SOAP_ACTION!r}.",
            )
        if "text/xml" not in content_type.lower():
            return 415, build_fault("s:Client", "SOAP 1.1 verwacht Content-Type text/xml.")
        try:
            results = self._validate(body, peer_oin)
        except WusFault as fault:
            return 500, build_fault(
                "s:Server" if fault.kind == "DependentServiceFault" else "s:Client",
                fault.message,
                fault_detail(fault.kind, fault.message),
            )
        return 200, build_envelope(build_response_body(results))

    def _validate(self, body: bytes, peer_oin: str | None) -> list[KlantResultaat]:
        try:
            message = parse_envelope(body, max_bytes=MAX_BODY)
        except ValueError as exc:
            raise WusFault("ApplicationFault", f"Het verzoek is onleesbaar: {exc}") from None
        if message.body is None:
            raise WusFault("ApplicationFault", "Het verzoek bevat geen operatie.")
        issues = self.schemas.validate(message.body, SCHEMA)
        if issues:
            raise WusFault(
                "ApplicationFault", f"Het verzoek voldoet niet aan het schema: {issues[0].message}"
            )
        try:
            req = parse_request_body(message.body)
        except ValidatieParseError as exc:
            raise WusFault("ApplicationFault", str(exc)) from None
        now = datetime.now(UTC)
        party = self.store.party(peer_oin or "")
        outcome = "ok"
        try:
            if party is None:
                raise WusFault(
                    "ApplicationFault",
                    f"Het certificaat (OIN {peer_oin}) is niet aangesloten op de validatieservice.",
                )
            org = req.bericht_leverancier_code
            if org not in party.allowed_oins:
                raise WusFault(
                    "ApplicationFault",
                    f"Berichtleverancier {org} hoort niet bij de aansluiting van {peer_oin}.",
                )
            if req.berichttype not in self.store.berichttypes(org):
                raise WusFault(
                    "ApplicationFault",
                    f"Berichttype {req.berichttype} bestaat niet of is niet actief.",
                )
            states = [
                effective_state(bsn, self.store.citizen_override(org, bsn)) for bsn in req.bsns
            ]
            if CitizenState.TECHNICAL_FAULT in states:
                raise WusFault(
                    "DependentServiceFault",
                    "Het abonnementenregister is tijdelijk niet bereikbaar (foutinjectie).",
                )
            return [
                KlantResultaat(bsn, state is CitizenState.SUBSCRIBED)
                for bsn, state in zip(req.bsns, states, strict=True)
            ]
        except WusFault as fault:
            outcome = fault.kind
            raise
        finally:
            self.store.record_wus_call(
                WusCall(now, req.bericht_leverancier_code, req.berichttype, len(req.bsns), outcome)
            )


def handler_for(service: WusService) -> type[http.server.BaseHTTPRequestHandler]:
    def handle(r: PostRequest) -> tuple[int, str, bytes]:
        if r.path.split("?", 1)[0] != WUS_PATH:
            return 404, TEXT, b"Onbekend pad"
        status, out = service.handle(r.soap_action, r.content_type, r.body, r.peer_oin)
        return status, CONTENT_TYPE, out

    return post_handler(
        handle,
        max_bytes=MAX_BODY,
        name="wus-simulator",
        server_version="BerichtenboxValidatieSimulator/1.0",
        error_reply=lambda: (
            CONTENT_TYPE,
            build_fault("s:Server", "Interne fout in de simulator."),
        ),
    )


class WusServer:
    """The WUS endpoint on its own two-way TLS port."""

    def __init__(
        self, service: WusService, ctx: ssl.SSLContext, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self._server = tls.TlsServer(ctx, handler_for(service), host=host, port=port)

    def start(self) -> WusServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    @property
    def url(self) -> str:
        return self._server.url + WUS_PATH
