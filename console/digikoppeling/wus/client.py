"""The WUS client for the BerichtenboxValidatieService: ``ValidateAbonnementen``.

Synchronous SOAP 1.1 over an ``httpx.Client`` made by :mod:`console.digikoppeling.tls`
(two-way TLS, full verification). The HTTP ``SOAPAction`` header is exactly the value in
the WSDL, quoted as SOAP 1.1 and WCF expect. Every failure becomes a :class:`WusError`
with a Dutch message that says what to do; the two WSDL faults keep Logius' own text.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import httpx

from console.digikoppeling.wus.soap import (
    CONTENT_TYPE,
    MAX_RESPONSE_BYTES,
    SoapParseError,
    build_envelope,
    parse_envelope,
)
from console.digikoppeling.wus.validatie import (
    MAX_KLANTEN,
    MIN_KLANTEN,
    SOAP_ACTION,
    KlantResultaat,
    ValidateRequest,
    ValidatieParseError,
    build_request_body,
    parse_response_body,
)
from console.domain.bsn import bsn_problem
from console.domain.letter import BERICHTTYPE_MAX

log = logging.getLogger(__name__)


class WusError(ValueError):
    """A subscription check that did not work; str() is the Dutch message with the next step."""

    code = "WusError"


class WusInputError(WusError):
    code = "Invoer"


class WusApplicationFault(WusError):
    code = "ApplicationFault"

    def __init__(self, message: str) -> None:
        self.fault_message = message
        super().__init__(
            "MijnOverheid weigerde de abonnementscontrole (ApplicationFault): "
            f"{message.rstrip('. ') or 'geen toelichting'}. Controleer het OIN van de organisatie, het "
            "berichttype en de BSN's, en of uw organisatie de validatieservice mag gebruiken."
        )


class WusDependentServiceFault(WusError):
    code = "DependentServiceFault"

    def __init__(self, message: str) -> None:
        self.fault_message = message
        super().__init__(
            "Een dienst achter de validatieservice van MijnOverheid is nu niet beschikbaar "
            f"(DependentServiceFault): {message.rstrip('. ') or 'geen toelichting'}. Probeer het later "
            "opnieuw; blijft het zo, neem dan contact op met Logius."
        )


class WusTransportError(WusError):
    code = "Verbinding"


def check_request(req: ValidateRequest) -> list[str]:
    """What is wrong with *req* before it is sent, in Dutch (empty: fine)."""
    problems: list[str] = []
    n = len(req.bsns)
    if n < MIN_KLANTEN:
        problems.append("Geef minimaal 1 BSN op.")
    if n > MAX_KLANTEN:
        problems.append(
            f"Er zijn {n} BSN's opgegeven; maximaal {MAX_KLANTEN} per controle. Gebruik voor "
            "grote aantallen het abonnementsoverzicht (AbonnementService)."
        )
    for bsn in req.bsns:
        problem = bsn_problem(bsn)
        if problem:
            problems.append(f"BSN {bsn}: {problem}")
    if len(set(req.bsns)) != n:
        problems.append("Een BSN staat meer dan eens in de lijst.")
    if not req.berichttype.strip() or len(req.berichttype) > BERICHTTYPE_MAX:
        problems.append(
            f"BerichtType '{req.berichttype}' is {len(req.berichttype)} tekens; 1 tot en met "
            f"{BERICHTTYPE_MAX}."
        )
    if not req.bericht_leverancier_code:
        problems.append("Het OIN van de organisatie ontbreekt.")
    return problems


class WusValidatieClient:
    """``ValidateAbonnementen`` over two-way TLS."""

    def __init__(self, http: httpx.Client, url: str, *, ws_addressing: bool = True) -> None:
        self._http = http
        self.url = url
        self.ws_addressing = ws_addressing

    def build(self, req: ValidateRequest) -> bytes:
        """The request envelope as it goes on the wire."""
        return build_envelope(
            build_request_body(req),
            action=SOAP_ACTION,
            to=self.url,
            ws_addressing=self.ws_addressing,
        )

    def validate_abonnementen(self, req: ValidateRequest) -> tuple[KlantResultaat, ...]:
        problems = check_request(req)
        if problems:
            raise WusInputError(" ".join(problems))
        body = self.build(req)
        try:
            reply = self._http.post(
                self.url,
                content=body,
                headers={"Content-Type": CONTENT_TYPE, "SOAPAction": f'"{SOAP_ACTION}"'},
            )
        except httpx.ConnectError as exc:
            raise WusTransportError(
                f"Kan geen verbinding maken met de validatieservice ({exc}). Controleer de "
                "koppeling en het adres van de validatieservice."
            ) from None
        except httpx.TimeoutException:
            raise WusTransportError(
                "De validatieservice antwoordde niet op tijd. Probeer het later opnieuw."
            ) from None
        except httpx.HTTPError as exc:
            raise WusTransportError(f"De abonnementscontrole is mislukt: {exc}.") from None
        return self._read(reply, len(req.bsns))

    def _read(self, reply: httpx.Response, asked: int) -> tuple[KlantResultaat, ...]:
        is_xml = "xml" in reply.headers.get("content-type", "").lower()
        if not is_xml and not (200 <= reply.status_code < 300):
            raise WusTransportError(
                f"De validatieservice gaf HTTP {reply.status_code} zonder SOAP-antwoord. "
                "Controleer het adres van de validatieservice."
            )
        if len(reply.content) > MAX_RESPONSE_BYTES:
            raise WusTransportError("Het antwoord van de validatieservice is te groot.")
        try:
            message = parse_envelope(reply.content)
        except (SoapParseError, ValueError) as exc:
            raise WusTransportError(
                f"Het antwoord van de validatieservice is onleesbaar: {exc}"
            ) from None
        if message.fault is not None:
            fault = message.fault
            if fault.detail_name == "ApplicationFault":
                raise WusApplicationFault(fault.detail_message or fault.string)
            if fault.detail_name == "DependentServiceFault":
                raise WusDependentServiceFault(fault.detail_message or fault.string)
            raise WusError(f"De validatieservice meldde een fout ({fault.code}): {fault.string}")
        if not (200 <= reply.status_code < 300):
            raise WusTransportError(f"De validatieservice gaf HTTP {reply.status_code}.")
        assert message.body is not None
        try:
            results = parse_response_body(message.body)
        except ValidatieParseError as exc:
            raise WusTransportError(str(exc)) from None
        if len(results) != asked:
            log.warning("WUS-antwoord met %d resultaten op %d BSN's", len(results), asked)
        return results


def validate_request(oin: str, berichttype: str, bsns: Sequence[str]) -> ValidateRequest:
    return ValidateRequest(oin, berichttype, tuple(bsns))
