"""The connection test: step by step, in plain Dutch, from the name to an ebMS Ping.

1. Clientcertificaat: is there one, with its key, valid, with the right OIN?
2. Naam opzoeken: does the endpoint's host name resolve?
3. TCP-verbinding: does the server accept a connection on the port?
4. TLS-handshake: with our client certificate (and does the server accept it?).
5. Servercertificaat: trusted by the environment's trust store, and for this host name?
6. ebMS Ping: does the other MSH answer with a Pong?

Verification is always on: the TLS context comes from the engine's transport, the one way
the console makes TLS clients. A failed server check is reported with its reason; the
console never "tries without verification".

The last outcome per connection is kept (settings key :data:`LAST_RESULT_KEY`, with who ran
it and when), wherever the test was started: Certificaten, Aansluiten or the command line.
The Aansluiten checklist takes it as evidence.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from sqlalchemy import select

from console.db import models as m
from console.db.database import Database
from console.db.repositories import SettingsRepository
from console.digikoppeling import tls
from console.digikoppeling.ebms.envelope import ping
from console.digikoppeling.ebms.mime import SOAP_ACTION, EbmsReceiveError, package, parse_http
from console.digikoppeling.ebms.model import Party
from console.domain.ebms_errors import explain_ebms_error
from console.domain.environment import Environment
from console.engine.transport import TransportFactory, TransportUnavailable
from console.secrets.certificates import (
    days_until,
    format_date,
    inspect_certificate,
)
from console.services import audit
from console.services.certificates import CertificateService
from console.services.errors import NotFound


class StepStatus(StrEnum):
    RUNNING = "running"
    OK = "ok"
    WARNING = "warning"
    FAILED = "failed"
    SKIPPED = "skipped"


STEP_TITLES = {
    "certificate": "Clientcertificaat",
    "dns": "Naam opzoeken (DNS)",
    "tcp": "TCP-verbinding",
    "tls": "TLS-handshake met clientcertificaat",
    "server_certificate": "Servercertificaat controleren",
    "ping": "ebMS Ping",
}
STEP_ORDER = tuple(STEP_TITLES)


@dataclass(frozen=True, slots=True)
class ConnectionStep:
    key: str
    title: str
    status: StepStatus
    detail: str = ""
    duration_ms: int | None = None


@dataclass(frozen=True, slots=True)
class ConnectionTestResult:
    connection_id: int
    connection_name: str
    environment: Environment
    url: str
    steps: tuple[ConnectionStep, ...]

    @property
    def ok(self) -> bool:
        return all(s.status in (StepStatus.OK, StepStatus.WARNING) for s in self.steps)

    @property
    def summary(self) -> str:
        failed = [s for s in self.steps if s.status is StepStatus.FAILED]
        if failed:
            return f"De verbindingstest is mislukt bij: {failed[0].title}."
        if any(s.status is StepStatus.WARNING for s in self.steps):
            return "De verbinding werkt, met aandachtspunten (zie de stappen)."
        return "De verbinding werkt: alle stappen zijn geslaagd."


# OpenSSL verify codes (X509_V_ERR_*) that a user can act on.
_VERIFY_ADVICE = {
    2: "untrusted",
    9: "not_yet_valid",
    10: "expired",
    18: "untrusted",
    19: "untrusted",
    20: "untrusted",
    21: "untrusted",
    62: "hostname",
    64: "hostname",
}


def _ms(start: float) -> int:
    return int((time.perf_counter() - start) * 1000)


class _Steps:
    """Collects steps and reports each change to the listener."""

    def __init__(self, listener: Callable[[ConnectionStep], None] | None) -> None:
        self._listener = listener
        self.steps: dict[str, ConnectionStep] = {}

    def set(
        self, key: str, status: StepStatus, detail: str = "", duration_ms: int | None = None
    ) -> None:
        step = ConnectionStep(key, STEP_TITLES[key], status, detail, duration_ms)
        self.steps[key] = step
        if self._listener is not None:
            self._listener(step)

    def skip_rest(self, reason: str) -> None:
        for key in STEP_ORDER:
            if key not in self.steps or self.steps[key].status is StepStatus.RUNNING:
                self.set(key, StepStatus.SKIPPED, reason)

    def result(self) -> tuple[ConnectionStep, ...]:
        return tuple(self.steps[k] for k in STEP_ORDER if k in self.steps)


# The last outcome per connection (a settings row); the key predates this module keeping it.
LAST_RESULT_KEY = "onboarding.connection_test.{connection_id}"


class ConnectionTestService:
    """Runs the connection test for one connection; see the module docstring."""

    def __init__(
        self,
        db: Database,
        transport: TransportFactory,
        certificates: CertificateService,
        *,
        endpoint_for: Callable[[int], str | None] | None = None,
        timeout: float = 10.0,
        client_cert_wait: float = 1.0,
    ) -> None:
        self._db = db
        self._transport = transport
        self._certificates = certificates
        self._endpoint_for = endpoint_for
        self._timeout = timeout
        # TLS 1.3: a server refuses a client certificate only after the handshake; wait this
        # long for such a refusal before calling the handshake good.
        self._client_cert_wait = client_cert_wait

    def connections(self) -> list[tuple[int, str, Environment]]:
        with self._db.session() as s:
            rows = s.execute(
                select(m.Connection.id, m.Connection.name, m.Connection.environment).order_by(
                    m.Connection.name
                )
            ).all()
        return [(int(r[0]), str(r[1]), Environment(r[2])) for r in rows]

    def run(
        self,
        connection: int | str,
        *,
        on_step: Callable[[ConnectionStep], None] | None = None,
        actor: str | None = None,
    ) -> ConnectionTestResult:
        """Run every step (see the module docstring) and keep the outcome for the connection."""
        started = datetime.now(UTC)
        result = self._run(connection, on_step)
        record = {
            "at": started.isoformat(),
            "by": actor or audit.current_actor(),
            "connection": result.connection_name,
            "environment": result.environment.value,
            "ok": result.ok,
            "summary": result.summary,
            "steps": [
                {"title": st.title, "status": st.status.value, "detail": st.detail}
                for st in result.steps
            ],
        }
        with self._db.session() as s:
            SettingsRepository(s).set(
                LAST_RESULT_KEY.format(connection_id=result.connection_id), record
            )
        return result

    def _run(
        self, connection: int | str, on_step: Callable[[ConnectionStep], None] | None
    ) -> ConnectionTestResult:
        with self._db.session() as s:
            if isinstance(connection, int) or str(connection).isdigit():
                conn = s.get(m.Connection, int(connection))
            else:
                conn = s.scalar(select(m.Connection).where(m.Connection.name == connection))
            if conn is None:
                raise NotFound(f"Koppeling {connection} bestaat niet.")
            conn_id, name, env = conn.id, conn.name, conn.environment
            cpa_id, from_party, from_role = conn.cpa_id, conn.from_party_id, conn.from_role
            to_party, to_role = conn.to_party_id, conn.to_role
            url = conn.endpoint_url
        override = self._endpoint_for(conn_id) if self._endpoint_for is not None else None
        url = override or url
        steps = _Steps(on_step)

        self._certificate_step(steps, conn_id)
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme != "https" or not host:
            steps.set(
                "dns",
                StepStatus.FAILED,
                f"Het adres van de koppeling ({url}) is geen https-URL. Digikoppeling vereist "
                "tweezijdig TLS; controleer het endpoint in de CPA.",
            )
            steps.skip_rest("Overgeslagen: het adres is niet bruikbaar.")
            return ConnectionTestResult(conn_id, name, env, url, steps.result())
        port = parts.port or 443

        addresses = self._dns_step(steps, host, port)
        if not addresses:
            steps.skip_rest("Overgeslagen: de naam is niet gevonden.")
            return ConnectionTestResult(conn_id, name, env, url, steps.result())
        sock = self._tcp_step(steps, addresses, host, port)
        if sock is None:
            steps.skip_rest("Overgeslagen: er is geen verbinding.")
            return ConnectionTestResult(conn_id, name, env, url, steps.result())
        ctx = self._tls_step(steps, sock, conn_id, host, env)
        if ctx is None:
            steps.skip_rest("Overgeslagen: de beveiligde verbinding kwam niet tot stand.")
            return ConnectionTestResult(conn_id, name, env, url, steps.result())
        self._ping_step(
            steps,
            ctx,
            url,
            cpa_id,
            Party(from_party, from_role),
            Party(to_party, to_role),
        )
        return ConnectionTestResult(conn_id, name, env, url, steps.result())

    # -- the steps ---------------------------------------------------------------------------

    def _certificate_step(self, steps: _Steps, conn_id: int) -> None:
        steps.set("certificate", StepStatus.RUNNING)
        report = self._certificates.check_connection(conn_id)
        blocking = report.blocking
        if blocking:
            steps.set("certificate", StepStatus.FAILED, " ".join(i.message for i in blocking))
            return
        lines = [
            f"{report.certificate_label}: OIN {report.oin_certificate}, "
            f"nog {report.days_left} dagen geldig."
        ]
        warnings = [i.message for i in report.issues if not i.blocking]
        steps.set(
            "certificate",
            StepStatus.WARNING if warnings else StepStatus.OK,
            " ".join(lines + warnings),
        )

    def _dns_step(self, steps: _Steps, host: str, port: int) -> list[tuple[str, int]]:
        steps.set("dns", StepStatus.RUNNING)
        start = time.perf_counter()
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            steps.set("dns", StepStatus.OK, f"{host} is een IP-adres; opzoeken is niet nodig.", 0)
            return [(host, port)]
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            steps.set(
                "dns",
                StepStatus.FAILED,
                f"De naam {host} kan niet worden gevonden ({exc.args[-1] if exc.args else exc}). "
                "Controleer de URL in de CPA en de DNS-instellingen van deze computer; bij "
                "Diginetwerk moet de DNS van Diginetwerk worden gebruikt.",
                _ms(start),
            )
            return []
        found: list[tuple[str, int]] = []
        for info in infos:
            address = str(info[4][0])
            if (address, port) not in found:
                found.append((address, port))
        steps.set(
            "dns",
            StepStatus.OK,
            f"{host} is gevonden: {', '.join(a for a, _ in found)}.",
            _ms(start),
        )
        return found

    def _tcp_step(
        self, steps: _Steps, addresses: list[tuple[str, int]], host: str, port: int
    ) -> socket.socket | None:
        steps.set("tcp", StepStatus.RUNNING)
        start = time.perf_counter()
        problems: list[str] = []
        for address, p in addresses:
            try:
                sock = socket.create_connection((address, p), timeout=self._timeout)
            except TimeoutError:
                problems.append(
                    f"{address}: geen antwoord binnen {self._timeout:g} seconden. Waarschijnlijk "
                    "houdt een firewall de verbinding tegen; Logius laat alleen de aangemelde "
                    "uitgaande IP-adressen toe."
                )
            except ConnectionRefusedError:
                problems.append(
                    f"{address}: de server weigert de verbinding op poort {p}. Draait de dienst, "
                    "en is de poort in de CPA juist?"
                )
            except OSError as exc:
                problems.append(f"{address}: {exc.strerror or exc}.")
            else:
                steps.set(
                    "tcp",
                    StepStatus.OK,
                    f"Verbonden met {address} poort {p}.",
                    _ms(start),
                )
                return sock
        steps.set(
            "tcp",
            StepStatus.FAILED,
            f"Geen verbinding met {host} poort {port}. " + " ".join(problems),
            _ms(start),
        )
        return None

    def _tls_step(
        self, steps: _Steps, sock: socket.socket, conn_id: int, host: str, env: Environment
    ) -> ssl.SSLContext | None:
        steps.set("tls", StepStatus.RUNNING)
        start = time.perf_counter()
        try:
            ctx = self._transport.context_for(conn_id)
        except (TransportUnavailable, tls.TlsConfigError) as exc:
            sock.close()
            steps.set("tls", StepStatus.FAILED, str(exc), _ms(start))
            return None
        sock.settimeout(self._timeout)
        try:
            tls_sock = ctx.wrap_socket(sock, server_hostname=host)
        except ssl.SSLCertVerificationError as exc:
            sock.close()
            steps.set(
                "tls",
                StepStatus.FAILED,
                "De handshake is afgebroken omdat het servercertificaat niet door de controle "
                "kwam (zie de volgende stap).",
                _ms(start),
            )
            steps.set("server_certificate", StepStatus.FAILED, _verify_advice(exc, host, env))
            return None
        except (ssl.SSLError, OSError) as exc:
            sock.close()
            steps.set("tls", StepStatus.FAILED, _handshake_advice(exc), _ms(start))
            return None
        try:
            version, cipher = tls_sock.version() or "?", (tls_sock.cipher() or ("?",))[0]
            refused = self._refused_after_handshake(tls_sock)
            if refused is not None:
                steps.set("tls", StepStatus.FAILED, refused, _ms(start))
                steps.set(
                    "server_certificate",
                    StepStatus.OK,
                    "Het servercertificaat is gecontroleerd en vertrouwd; de server weigerde "
                    "daarna uw clientcertificaat (zie de vorige stap).",
                )
                return None
            steps.set(
                "tls",
                StepStatus.OK,
                f"Beveiligde verbinding met {version} ({cipher}); uw clientcertificaat is "
                "aangeboden en door de server geaccepteerd.",
                _ms(start),
            )
            peer = tls_sock.getpeercert(binary_form=True)
        finally:
            with contextlib.suppress(OSError):
                tls_sock.close()
        steps.set("server_certificate", StepStatus.RUNNING)
        steps.set("server_certificate", *self._server_certificate(peer, host, env))
        return ctx

    def _refused_after_handshake(self, tls_sock: ssl.SSLSocket) -> str | None:
        """TLS 1.3 sends a refusal of the client certificate after the handshake."""
        if tls_sock.version() != "TLSv1.3" or self._client_cert_wait <= 0:
            return None
        tls_sock.settimeout(self._client_cert_wait)
        try:
            data = tls_sock.recv(1)
        except TimeoutError:
            return None  # the server waits for our request: it accepted the certificate
        except ssl.SSLError as exc:
            return _handshake_advice(exc)
        except OSError:
            data = b""
        if data:
            return None
        return (
            "De server verbrak de verbinding direct na de handshake. Waarschijnlijk weigert de "
            "server uw clientcertificaat: vertrouwt hij de uitgever niet, of is het OIN niet "
            "bij Logius aangemeld?"
        )

    @staticmethod
    def _server_certificate(
        peer: bytes | None, host: str, env: Environment
    ) -> tuple[StepStatus, str]:
        base = (
            f"Vertrouwd via de trust store van {env.label} en uitgegeven voor {host}. "
            "(De controle staat altijd aan.)"
        )
        if not peer:
            return StepStatus.OK, base
        info = inspect_certificate(x509.load_der_x509_certificate(peer))
        days = days_until(info.not_after)
        text = (
            f"{base} Server: {info.display_name}"
            + (f" (OIN {info.oin})" if info.oin else "")
            + f"; uitgever: {info.issuer}; geldig tot {format_date(info.not_after)}."
        )
        if days < 30:
            return (
                StepStatus.WARNING,
                text + f" Let op: het servercertificaat verloopt over {days} dagen; houd de "
                "aankondigingen van Logius in de gaten en zet het nieuwe certificaat op tijd "
                "in de trust store.",
            )
        return StepStatus.OK, text

    def _ping_step(
        self,
        steps: _Steps,
        ctx: ssl.SSLContext,
        url: str,
        cpa_id: str,
        from_party: Party,
        to_party: Party,
    ) -> None:
        steps.set("ping", StepStatus.RUNNING)
        start = time.perf_counter()
        msg = ping(cpa_id, from_party, to_party, sync_reply=True)
        content_type, body = package(msg)
        try:
            with tls.http_client(ctx, timeout=self._timeout) as client:
                reply = client.post(
                    url,
                    content=body,
                    headers={"Content-Type": content_type, "SOAPAction": SOAP_ACTION},
                )
        except httpx.HTTPError as exc:
            steps.set(
                "ping",
                StepStatus.FAILED,
                f"De Ping kon niet worden verstuurd: {type(exc).__name__}: {exc}",
                _ms(start),
            )
            return
        elapsed = _ms(start)
        if reply.status_code >= 400:
            text = reply.text[:300].strip()
            steps.set(
                "ping",
                StepStatus.FAILED,
                f"De ontvanger antwoordde met HTTP {reply.status_code}"
                + (f": {text}" if text else "")
                + ". Controleer de CPA (CPAId en PartyId's) bij beide partijen.",
                elapsed,
            )
            return
        if not reply.content:
            steps.set(
                "ping",
                StepStatus.WARNING,
                f"De ontvanger nam de Ping aan (HTTP {reply.status_code}) maar stuurde geen "
                "Pong terug. Ping is in Digikoppeling optioneel; niet elke ontvanger "
                "beantwoordt hem. De verbinding zelf werkt.",
                elapsed,
            )
            return
        try:
            answer = parse_http(
                reply.headers.get("content-type", ""), reply.content, max_bytes=1_000_000
            )
        except EbmsReceiveError as exc:
            steps.set(
                "ping",
                StepStatus.WARNING,
                f"De ontvanger antwoordde (HTTP {reply.status_code}), maar het antwoord is geen "
                f"leesbaar ebMS-bericht: {exc}",
                elapsed,
            )
            return
        if answer.is_pong and answer.header.ref_to_message_id == msg.header.message_id:
            steps.set(
                "ping",
                StepStatus.OK,
                f"Pong ontvangen in {elapsed} ms (MessageId {answer.header.message_id}).",
                elapsed,
            )
            return
        if answer.is_message_error:
            codes = ", ".join(e.code for e in answer.errors)
            explained = " ".join(
                explain_ebms_error(e.code).explanation
                + (f" ({e.description})" if e.description else "")
                for e in answer.errors
            )
            steps.set(
                "ping",
                StepStatus.FAILED,
                f"De ontvanger antwoordde met een foutmelding ({codes}): {explained}",
                elapsed,
            )
            return
        steps.set(
            "ping",
            StepStatus.WARNING,
            f"De ontvanger antwoordde met {answer.header.action} in plaats van een Pong.",
            elapsed,
        )


def _verify_advice(exc: ssl.SSLCertVerificationError, host: str, env: Environment) -> str:
    kind = _VERIFY_ADVICE.get(exc.verify_code or -1)
    technical = f"(technisch: {exc.verify_message or exc.reason})"
    if kind == "untrusted":
        return (
            f"Het servercertificaat van {host} is niet uitgegeven door een certificaat uit de "
            f"trust store van {env.label}. Importeer het root- en tussencertificaat van de "
            f"server (bij Logius: de aangekondigde PKIoverheid-certificaten) in de trust store "
            f"van {env.label}. {technical}"
        )
    if kind == "hostname":
        return (
            f"Het servercertificaat hoort niet bij de naam {host}: de naam in de URL van de "
            "koppeling moet in het certificaat staan. Controleer het endpoint in de CPA. "
            f"{technical}"
        )
    if kind == "expired":
        return f"Het servercertificaat van {host} is verlopen. Neem contact op met de beheerder van de server. {technical}"
    if kind == "not_yet_valid":
        return (
            f"Het servercertificaat van {host} is nog niet geldig. Controleer ook de klok van "
            f"deze computer. {technical}"
        )
    return f"Het servercertificaat van {host} is afgekeurd. {technical}"


def _handshake_advice(exc: BaseException) -> str:
    reason = (getattr(exc, "reason", None) or str(exc) or type(exc).__name__).upper()
    if "UNKNOWN_CA" in reason or "BAD_CERTIFICATE" in reason or "CERTIFICATE_REQUIRED" in reason:
        return (
            "De server weigerde uw clientcertificaat: hij vertrouwt de uitgever niet of kreeg "
            "geen bruikbaar certificaat. Controleer of u het PKIoverheid-certificaat met de "
            f"volledige keten hebt geïmporteerd. (melding van de server: {reason})"
        )
    if "CERTIFICATE_EXPIRED" in reason:
        return f"De server meldt dat uw clientcertificaat verlopen is. (melding: {reason})"
    if "ACCESS_DENIED" in reason or "CERTIFICATE_UNKNOWN" in reason:
        return (
            "De server weigerde de toegang met uw certificaat. Is het certificaat (en het OIN) "
            f"bij Logius aangemeld? (melding: {reason})"
        )
    if "PROTOCOL_VERSION" in reason or "UNSUPPORTED_PROTOCOL" in reason:
        return (
            "De server en de console hebben geen TLS-versie gemeen; Digikoppeling vereist "
            f"minimaal TLS 1.2. (melding: {reason})"
        )
    if "HANDSHAKE_FAILURE" in reason or "NO_SHARED_CIPHER" in reason:
        return (
            "De handshake mislukte: de server en de console hebben geen versleuteling "
            f"gemeen, of de server weigerde het certificaat. (melding: {reason})"
        )
    if isinstance(exc, TimeoutError):
        return "De server antwoordde niet op tijd tijdens de handshake."
    if isinstance(exc, ssl.SSLError) and "WRONG_VERSION_NUMBER" in reason:
        return (
            "Op deze poort draait geen TLS (HTTPS). Controleer de poort in de URL van de koppeling."
        )
    return f"De TLS-handshake mislukte: {reason}."


__all__ = [
    "STEP_ORDER",
    "STEP_TITLES",
    "ConnectionStep",
    "ConnectionTestResult",
    "ConnectionTestService",
    "StepStatus",
]
