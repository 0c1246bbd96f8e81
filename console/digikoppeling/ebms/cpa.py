"""CPAs (OASIS ebXML CPPA 2.0, ``cpp-cpa-2_0.xsd``): parse, check, query and write.

A CPA (Collaboration Protocol Agreement) is the contract two ebMS message service handlers
share: who the parties are (PartyId and type, role), which service and actions each may send
and receive, over which delivery channel (endpoint, TLS certificates, acknowledgments,
duplicate elimination, synchronous replies) and with which reliable-messaging schedule
(Retries, RetryInterval, PersistDuration). Digikoppeling ebMS2 drives an MSH entirely from
its CPA (interface reference §4.6); so does this console.

- :func:`parse_cpa` reads a CPA with the hardened parser and checks the CPPA 2.0 structure
  the MSH relies on (required elements and attributes, values of their types, every
  reference resolved). Problems raise :class:`CpaError` with one Dutch line per problem.
- :class:`Cpa` answers the questions an MSH asks: which party is this, may it send this
  action, over which channel, to which endpoint, with which profile.
- :meth:`Cpa.warnings` lists what a user should know before using it (expiry within 60
  days, status not ``agreed``, a signed or encrypted profile, plain HTTP).
- :func:`build_cpa` writes a CPA for two parties (used for the demo workspace).

The XSD is not shipped with the product; the tests check these parses against it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from cryptography import x509
from cryptography.x509.oid import NameOID
from lxml import etree

from console.domain.oin import PARTY_ID_TYPE
from console.xml.parser import XmlInputError, parse_xml

NS_CPPA = "http://www.oasis-open.org/committees/ebxml-cppa/schema/cpp-cpa-2_0.xsd"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
NS_XLINK = "http://www.w3.org/1999/xlink"

MAX_CPA_BYTES = 5 * 1024 * 1024
EXPIRY_WARNING_DAYS = 60
STATUS_AGREED = "agreed"
STATUS_VALUES = frozenset({"agreed", "signed", "proposed"})
SYNC_REPLY_MODES = frozenset(
    {"mshSignalsOnly", "responseOnly", "signalsAndResponse", "signalsOnly", "none"}
)
PER_MESSAGE_VALUES = frozenset({"always", "never", "perMessage"})
SYNC_NONE = "none"
ALWAYS = "always"
NEVER = "never"
PER_MESSAGE = "perMessage"


class Profile(StrEnum):
    """The Digikoppeling ebMS2 profile of a delivery channel (CPA-creation code)."""

    OSB_BE = "osb-be"
    OSB_RM = "osb-rm"
    OSB_BE_S = "osb-be-s"
    OSB_RM_S = "osb-rm-s"
    OSB_BE_E = "osb-be-e"
    OSB_RM_E = "osb-rm-e"

    @property
    def reliable(self) -> bool:
        return self in (Profile.OSB_RM, Profile.OSB_RM_S, Profile.OSB_RM_E)

    @property
    def signed(self) -> bool:
        return self not in (Profile.OSB_BE, Profile.OSB_RM)

    @property
    def encrypted(self) -> bool:
        return self in (Profile.OSB_BE_E, Profile.OSB_RM_E)

    @property
    def supported(self) -> bool:
        """The console sends on osb-be and osb-rm only; it signs and encrypts nothing."""
        return not self.signed

    @property
    def label(self) -> str:
        base = "Reliable Messaging" if self.reliable else "Best Effort"
        if self.encrypted:
            return f"{base}, ondertekend en versleuteld"
        if self.signed:
            return f"{base}, ondertekend"
        return base

    @classmethod
    def of(cls, *, reliable: bool, signed: bool, encrypted: bool) -> Profile:
        if encrypted:
            return cls.OSB_RM_E if reliable else cls.OSB_BE_E
        if signed:
            return cls.OSB_RM_S if reliable else cls.OSB_BE_S
        return cls.OSB_RM if reliable else cls.OSB_BE


_PROFILE_RANK = {p: n for n, p in enumerate(Profile)}


class CpaError(ValueError):
    """A CPA cannot be used. ``str()`` is Dutch, one line per problem, for the user."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        lines = "\n".join(f"- {p}" for p in self.problems)
        super().__init__(f"De CPA is niet in orde en is niet opgeslagen:\n{lines}")


# --- xs:duration ----------------------------------------------------------------------------

_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """An ``xs:duration`` (``PT3H``, ``P1D``, ``PT30M``) as a timedelta.

    A year counts as 365 days and a month as 30 days (a duration in a CPA has no start date
    to count from). Negative durations are refused.
    """
    value = (text or "").strip()
    m = _DURATION.match(value)
    if not m or value in ("P", "PT") or value.endswith("T"):
        raise ValueError(f"{value!r} is geen geldige xs:duration (bijvoorbeeld PT3H of P1D)")
    if m["sign"]:
        raise ValueError(f"{value!r} is negatief")
    days = int(m["y"] or 0) * 365 + int(m["mo"] or 0) * 30 + int(m["w"] or 0) * 7 + int(m["d"] or 0)
    return timedelta(
        days=days,
        hours=int(m["h"] or 0),
        minutes=int(m["mi"] or 0),
        seconds=float(m["s"] or 0),
    )


def format_duration(value: timedelta) -> str:
    """A duration in plain Dutch: ``3 uur``, ``5 minuten``, ``1 dag en 2 uur``."""
    total = int(value.total_seconds())
    if total <= 0:
        return "0 seconden"
    parts: list[str] = []
    for size, one, many in (
        (86400, "dag", "dagen"),
        (3600, "uur", "uur"),
        (60, "minuut", "minuten"),
        (1, "seconde", "seconden"),
    ):
        n, total = divmod(total, size)
        if n:
            parts.append(f"{n} {one if n == 1 else many}")
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " en " + parts[-1]


def iso_duration(value: timedelta) -> str:
    """A timedelta as ``xs:duration`` (``P1DT3H``, ``PT10S``)."""
    total = int(value.total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    out = "P" + (f"{days}D" if days else "")
    time = (
        (f"{hours}H" if hours else "")
        + (f"{minutes}M" if minutes else "")
        + (f"{seconds}S" if seconds else "")
    )
    if time:
        out += "T" + time
    return out if out != "P" else "PT0S"


def _format_date(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%d-%m-%Y")


# --- the CPA as data ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartyIdentifier:
    """``tns:PartyId`` with its ``tns:type`` (``urn:osb:oin`` for an OIN)."""

    value: str
    type: str | None

    def matches(self, value: str, party_type: str | None) -> bool:
        if party_type == self.type and value == self.value:
            return True
        # A PartyId without type may carry the type as a URN prefix (ebMS 2.0 §3.1.1.1).
        if party_type is None and self.type is not None:
            return value == f"{self.type}:{self.value}"
        return False

    def __str__(self) -> str:
        return f"{self.value} ({self.type})" if self.type else self.value


@dataclass(frozen=True, slots=True)
class CpaCertificate:
    """``tns:Certificate``: an X.509 certificate named by ``certId`` (no private key)."""

    cert_id: str
    subject: str
    issuer: str
    serial_number: str | None
    not_before: datetime | None
    not_after: datetime | None
    sha256_fingerprint: str | None  # upper-case hex with colons
    oin: str | None  # subject serialNumber, the OIN in a PKIoverheid certificate
    pem: str | None = field(default=None, repr=False)

    def days_left(self, now: datetime) -> int | None:
        if self.not_after is None:
            return None
        return (self.not_after - now).days


@dataclass(frozen=True, slots=True)
class ReliableMessaging:
    """``tns:ReliableMessaging`` and ``tns:PersistDuration`` of an ebXML binding."""

    retries: int | None
    retry_interval: timedelta | None
    message_order: str | None
    persist_duration: timedelta | None


@dataclass(frozen=True, slots=True)
class MessagingCharacteristics:
    """``tns:MessagingCharacteristics`` (values as in the CPA, defaults per the XSD)."""

    sync_reply_mode: str = SYNC_NONE
    ack_requested: str = PER_MESSAGE
    ack_signature_requested: str = PER_MESSAGE
    duplicate_elimination: str = PER_MESSAGE
    actor: str | None = None

    @property
    def sync(self) -> bool:
        """Signals come back on the same HTTP connection (any mode but ``none``)."""
        return self.sync_reply_mode != SYNC_NONE


@dataclass(frozen=True, slots=True)
class DeliveryChannel:
    """``tns:DeliveryChannel`` with what its Transport and DocExchange say."""

    channel_id: str
    transport_id: str
    doc_exchange_id: str
    characteristics: MessagingCharacteristics
    endpoints: tuple[tuple[str, str], ...]  # (uri, type) of the TransportReceiver
    transport_protocol: str | None
    client_certificate_id: str | None  # TransportSender/TransportClientSecurity
    server_certificate_id: str | None  # TransportReceiver/TransportServerSecurity
    sender_reliable: ReliableMessaging | None
    receiver_reliable: ReliableMessaging | None
    signed: bool
    encrypted: bool
    profile: Profile

    @property
    def endpoint(self) -> str | None:
        """The endpoint for messages: ``allPurpose`` first, else the first one."""
        for uri, kind in self.endpoints:
            if kind == "allPurpose":
                return uri
        return self.endpoints[0][0] if self.endpoints else None

    @property
    def reliable_messaging(self) -> ReliableMessaging | None:
        return self.sender_reliable or self.receiver_reliable


@dataclass(frozen=True, slots=True)
class ActionBinding:
    """``tns:ThisPartyActionBinding`` under a party's ``CanSend`` or ``CanReceive``."""

    binding_id: str
    direction: str  # "send" or "receive"
    role: str
    service: str
    service_type: str | None
    action: str
    package_id: str
    channel_ids: tuple[str, ...]
    other_party_binding: str | None
    characteristics: tuple[tuple[str, str], ...]  # BusinessTransactionCharacteristics

    def matches(self, service: str, service_type: str | None, action: str) -> bool:
        return (
            self.service == service and self.service_type == service_type and self.action == action
        )


@dataclass(frozen=True, slots=True)
class CpaParty:
    """One ``tns:PartyInfo``."""

    name: str
    party_ids: tuple[PartyIdentifier, ...]
    roles: tuple[str, ...]
    default_channel_id: str
    default_package_id: str
    bindings: tuple[ActionBinding, ...]
    channels: tuple[DeliveryChannel, ...]
    certificates: tuple[CpaCertificate, ...]

    @property
    def party_id(self) -> PartyIdentifier:
        """The first PartyId (an OIN where the CPA has one)."""
        for pid in self.party_ids:
            if pid.type == PARTY_ID_TYPE:
                return pid
        return self.party_ids[0]

    @property
    def role(self) -> str:
        return self.roles[0]

    @property
    def can_send(self) -> tuple[ActionBinding, ...]:
        return tuple(b for b in self.bindings if b.direction == "send")

    @property
    def can_receive(self) -> tuple[ActionBinding, ...]:
        return tuple(b for b in self.bindings if b.direction == "receive")

    def has_id(self, value: str, party_type: str | None) -> bool:
        return any(pid.matches(value, party_type) for pid in self.party_ids)

    def channel(self, channel_id: str) -> DeliveryChannel | None:
        return next((c for c in self.channels if c.channel_id == channel_id), None)

    @property
    def default_channel(self) -> DeliveryChannel | None:
        return self.channel(self.default_channel_id)

    def certificate(self, cert_id: str | None) -> CpaCertificate | None:
        if cert_id is None:
            return None
        return next((c for c in self.certificates if c.cert_id == cert_id), None)

    def binding(
        self,
        direction: str,
        service: str,
        service_type: str | None,
        action: str,
        role: str | None = None,
    ) -> ActionBinding | None:
        for b in self.bindings:
            if b.direction != direction or (role is not None and b.role != role):
                continue
            if b.matches(service, service_type, action):
                return b
        return None

    def channel_for(self, binding: ActionBinding) -> DeliveryChannel | None:
        for channel_id in binding.channel_ids:
            channel = self.channel(channel_id)
            if channel is not None:
                return channel
        return None

    @property
    def endpoints(self) -> tuple[str, ...]:
        seen: list[str] = []
        for channel in self.channels:
            for uri, _kind in channel.endpoints:
                if uri not in seen:
                    seen.append(uri)
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class Cpa:
    """A parsed CPA. ``raw`` is the document as imported (not part of equality)."""

    cpa_id: str
    version: str
    status: str
    start: datetime
    end: datetime
    parties: tuple[CpaParty, CpaParty]
    package_ids: tuple[str, ...]
    raw: bytes = field(default=b"", repr=False, compare=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    def party(self, value: str, party_type: str | None) -> CpaParty | None:
        return next((p for p in self.parties if p.has_id(value, party_type)), None)

    def party_by_oin(self, oin: str) -> CpaParty | None:
        for p in self.parties:
            for pid in p.party_ids:
                if pid.value == oin or pid.value.split("_", 1)[0] == oin:
                    return p
        return None

    def other(self, party: CpaParty) -> CpaParty:
        return self.parties[1] if party is self.parties[0] else self.parties[0]

    def is_valid_at(self, when: datetime) -> bool:
        return self.status in (STATUS_AGREED, "signed") and self.start <= when < self.end

    @property
    def profiles(self) -> tuple[Profile, ...]:
        """Every profile a business action of this CPA uses, weakest first."""
        found: set[Profile] = set()
        for party in self.parties:
            for binding in party.bindings:
                channel = party.channel_for(binding)
                if channel is not None:
                    found.add(channel.profile)
        if not found:
            for party in self.parties:
                if party.default_channel is not None:
                    found.add(party.default_channel.profile)
        return tuple(sorted(found, key=_PROFILE_RANK.__getitem__))

    @property
    def profile(self) -> Profile:
        """The most demanding profile the CPA asks for (what decides whether we can send)."""
        profiles = self.profiles
        return profiles[-1] if profiles else Profile.OSB_BE

    def send_route(
        self,
        from_party: CpaParty,
        service: str,
        service_type: str | None,
        action: str,
        role: str | None = None,
    ) -> SendRoute | None:
        """How *from_party* sends this action: its binding and channel, and the receiver's."""
        binding = from_party.binding("send", service, service_type, action, role)
        if binding is None:
            return None
        to_party = self.other(from_party)
        receive = to_party.binding("receive", service, service_type, action)
        channel = from_party.channel_for(binding)
        to_channel = to_party.channel_for(receive) if receive is not None else None
        if channel is None or receive is None or to_channel is None:
            return None
        return SendRoute(from_party, to_party, binding, receive, channel, to_channel)

    def warnings(self, now: datetime | None = None) -> tuple[str, ...]:
        """What a user should know before using this CPA, in Dutch."""
        now = now or datetime.now(UTC)
        out: list[str] = []
        if self.status != STATUS_AGREED:
            out.append(
                f"De status van de CPA is '{self.status}', niet 'agreed'. Gebruik de CPA pas "
                "als beide partijen haar hebben afgesproken."
            )
        if now < self.start:
            out.append(f"De CPA is pas geldig vanaf {_format_date(self.start)}.")
        if now >= self.end:
            out.append(
                f"De CPA is verlopen op {_format_date(self.end)}. Vraag Logius om een nieuwe CPA."
            )
        elif self.end - now <= timedelta(days=EXPIRY_WARNING_DAYS):
            days = (self.end - now).days
            out.append(
                f"De CPA verloopt op {_format_date(self.end)} (over {days} dagen). Vraag Logius "
                "tijdig om een nieuwe CPA."
            )
        if self.end - self.start > timedelta(days=3653):
            out.append("De CPA is langer dan 10 jaar geldig; dat is ongebruikelijk.")
        unsupported = [p for p in self.profiles if not p.supported]
        if unsupported:
            names = ", ".join(p.value for p in unsupported)
            out.append(
                f"De CPA vraagt profiel {names} (ondertekend of versleuteld). De Berichtenbox "
                "gebruikt osb-rm; deze console ondertekent en versleutelt geen berichten, dus "
                "versturen met deze CPA wordt geweigerd."
            )
        for party in self.parties:
            for uri in party.endpoints:
                if not uri.lower().startswith("https://"):
                    out.append(
                        f"Endpoint {uri} van {party.name} gebruikt geen HTTPS; Digikoppeling "
                        "vereist tweezijdig TLS."
                    )
            for cert in party.certificates:
                left = cert.days_left(now)
                if left is None:
                    continue
                if left < 0:
                    out.append(
                        f"Certificaat {cert.cert_id} van {party.name} is verlopen op "
                        f"{_format_date(cert.not_after or now)}."
                    )
                elif left <= EXPIRY_WARNING_DAYS:
                    out.append(
                        f"Certificaat {cert.cert_id} van {party.name} verloopt over {left} dagen."
                    )
        return tuple(dict.fromkeys(out))


@dataclass(frozen=True, slots=True)
class SendRoute:
    """One business action from one party to the other, as the CPA describes it."""

    from_party: CpaParty
    to_party: CpaParty
    send_binding: ActionBinding
    receive_binding: ActionBinding
    channel: DeliveryChannel  # the sender's: acks, duplicates, sync replies, retries
    to_channel: DeliveryChannel  # the receiver's: its endpoint

    @property
    def endpoint(self) -> str | None:
        return self.to_channel.endpoint

    @property
    def reliable_messaging(self) -> ReliableMessaging | None:
        return self.channel.sender_reliable or self.to_channel.receiver_reliable

    @property
    def profile(self) -> Profile:
        return self.channel.profile


# --- parsing --------------------------------------------------------------------------------


def _t(local: str) -> str:
    return f"{{{NS_CPPA}}}{local}"


def _attr(el: etree._Element, name: str) -> str | None:
    """A ``tns:`` attribute; CPAs in the wild also write some without the prefix."""
    value = el.get(_t(name))
    if value is None:
        value = el.get(name)
    return value.strip() if value is not None else None


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    value = (el.text or "").strip()
    return value or None


def _xs_datetime(value: str) -> datetime:
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class _Parser:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def required_attr(self, el: etree._Element, name: str, where: str) -> str:
        value = _attr(el, name)
        if not value:
            self.problem(f"{where}: attribuut {name} ontbreekt of is leeg.")
            return ""
        return value

    def datetime_of(self, root: etree._Element, local: str) -> datetime | None:
        raw = _text(root.find(_t(local)))
        if raw is None:
            self.problem(f"Element {local} ontbreekt.")
            return None
        try:
            return _xs_datetime(raw)
        except ValueError:
            self.problem(f"{local} {raw!r} is geen geldige datum en tijd (xs:dateTime).")
            return None

    def duration(self, el: etree._Element | None, where: str) -> timedelta | None:
        raw = _text(el)
        if raw is None:
            return None
        try:
            return parse_duration(raw)
        except ValueError as exc:
            self.problem(f"{where}: {exc}.")
            return None

    # -- certificates --------------------------------------------------------------------------

    def certificate(self, el: etree._Element, party: str) -> CpaCertificate | None:
        cert_id = self.required_attr(el, "certId", f"Certificate van {party}")
        data = el.find(f".//{{{NS_DS}}}X509Data")
        subject_name = _text(data.find(f"{{{NS_DS}}}X509SubjectName")) if data is not None else None
        issuer_name = (
            _text(data.find(f"{{{NS_DS}}}X509IssuerSerial/{{{NS_DS}}}X509IssuerName"))
            if data is not None
            else None
        )
        serial = (
            _text(data.find(f"{{{NS_DS}}}X509IssuerSerial/{{{NS_DS}}}X509SerialNumber"))
            if data is not None
            else None
        )
        der_text = _text(data.find(f"{{{NS_DS}}}X509Certificate")) if data is not None else None
        if der_text is None:
            return CpaCertificate(
                cert_id=cert_id,
                subject=subject_name or "(onbekend)",
                issuer=issuer_name or "(onbekend)",
                serial_number=serial,
                not_before=None,
                not_after=None,
                sha256_fingerprint=None,
                oin=None,
            )
        try:
            der = base64.b64decode("".join(der_text.split()), validate=True)
            cert = x509.load_der_x509_certificate(der)
        except (binascii.Error, ValueError):
            self.problem(f"Certificaat {cert_id} van {party} is geen geldig X.509-certificaat.")
            return None
        oin = None
        for attribute in cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER):
            value = attribute.value
            oin = (value.decode("ascii", "replace") if isinstance(value, bytes) else value).strip()
        fingerprint = hashlib.sha256(der).hexdigest().upper()
        pem = base64.encodebytes(der).decode("ascii").replace("\n", "")
        pem_lines = "\n".join(pem[i : i + 64] for i in range(0, len(pem), 64))
        return CpaCertificate(
            cert_id=cert_id,
            subject=cert.subject.rfc4514_string(),
            issuer=cert.issuer.rfc4514_string(),
            serial_number=str(cert.serial_number),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            sha256_fingerprint=":".join(
                fingerprint[i : i + 2] for i in range(0, len(fingerprint), 2)
            ),
            oin=oin or None,
            pem=f"-----BEGIN CERTIFICATE-----\n{pem_lines}\n-----END CERTIFICATE-----\n",
        )

    # -- doc exchange and transport --------------------------------------------------------------

    def reliable(self, binding: etree._Element | None, where: str) -> ReliableMessaging | None:
        if binding is None:
            return None
        rm = binding.find(_t("ReliableMessaging"))
        persist = self.duration(binding.find(_t("PersistDuration")), f"{where} PersistDuration")
        if rm is None:
            if persist is None:
                return None
            return ReliableMessaging(None, None, None, persist)
        retries: int | None = None
        raw_retries = _text(rm.find(_t("Retries")))
        if raw_retries is not None:
            if raw_retries.isdigit():
                retries = int(raw_retries)
            else:
                self.problem(f"{where}: Retries {raw_retries!r} is geen geheel getal.")
        interval = self.duration(rm.find(_t("RetryInterval")), f"{where} RetryInterval")
        return ReliableMessaging(
            retries=retries,
            retry_interval=interval,
            message_order=_text(rm.find(_t("MessageOrderSemantics"))),
            persist_duration=persist,
        )

    def characteristics(self, channel: etree._Element, where: str) -> MessagingCharacteristics:
        el = channel.find(_t("MessagingCharacteristics"))
        if el is None:
            self.problem(f"{where}: MessagingCharacteristics ontbreekt.")
            return MessagingCharacteristics()
        sync = _attr(el, "syncReplyMode") or SYNC_NONE
        if sync not in SYNC_REPLY_MODES:
            self.problem(f"{where}: syncReplyMode {sync!r} is onbekend.")
            sync = SYNC_NONE
        values: dict[str, str] = {}
        for name in ("ackRequested", "ackSignatureRequested", "duplicateElimination"):
            value = _attr(el, name) or PER_MESSAGE
            if value not in PER_MESSAGE_VALUES:
                self.problem(f"{where}: {name} {value!r} is onbekend.")
                value = PER_MESSAGE
            values[name] = value
        return MessagingCharacteristics(
            sync_reply_mode=sync,
            ack_requested=values["ackRequested"],
            ack_signature_requested=values["ackSignatureRequested"],
            duplicate_elimination=values["duplicateElimination"],
            actor=_attr(el, "actor"),
        )

    def channels(
        self, info: etree._Element, party: str, cert_ids: set[str]
    ) -> tuple[DeliveryChannel, ...]:
        transports = {
            _attr(t, "transportId") or "": t
            for t in info.findall(_t("Transport"))
            if _attr(t, "transportId")
        }
        exchanges = {
            _attr(d, "docExchangeId") or "": d
            for d in info.findall(_t("DocExchange"))
            if _attr(d, "docExchangeId")
        }
        if not transports:
            self.problem(f"{party}: er is geen Transport.")
        if not exchanges:
            self.problem(f"{party}: er is geen DocExchange.")
        out: list[DeliveryChannel] = []
        for el in info.findall(_t("DeliveryChannel")):
            where = f"DeliveryChannel van {party}"
            channel_id = self.required_attr(el, "channelId", where)
            where = f"DeliveryChannel {channel_id} van {party}"
            transport_id = self.required_attr(el, "transportId", where)
            exchange_id = self.required_attr(el, "docExchangeId", where)
            characteristics = self.characteristics(el, where)
            transport = transports.get(transport_id)
            exchange = exchanges.get(exchange_id)
            if transport_id and transport is None:
                self.problem(f"{where}: Transport {transport_id} bestaat niet.")
            if exchange_id and exchange is None:
                self.problem(f"{where}: DocExchange {exchange_id} bestaat niet.")
            endpoints: list[tuple[str, str]] = []
            protocol = client_cert = server_cert = None
            if transport is not None:
                sender = transport.find(_t("TransportSender"))
                receiver = transport.find(_t("TransportReceiver"))
                for ep in receiver.findall(_t("Endpoint")) if receiver is not None else []:
                    uri = _attr(ep, "uri")
                    if not uri:
                        self.problem(f"{where}: een Endpoint heeft geen uri.")
                        continue
                    endpoints.append((uri, _attr(ep, "type") or "allPurpose"))
                proto_el = receiver.find(_t("TransportProtocol")) if receiver is not None else None
                if proto_el is None and sender is not None:
                    proto_el = sender.find(_t("TransportProtocol"))
                protocol = _text(proto_el)
                ref = transport.find(
                    f"{_t('TransportSender')}/{_t('TransportClientSecurity')}/{_t('ClientCertificateRef')}"
                )
                client_cert = _attr(ref, "certId") if ref is not None else None
                ref = transport.find(
                    f"{_t('TransportReceiver')}/{_t('TransportServerSecurity')}/{_t('ServerCertificateRef')}"
                )
                server_cert = _attr(ref, "certId") if ref is not None else None
                for cert_id in (client_cert, server_cert):
                    if cert_id and cert_id not in cert_ids:
                        self.problem(f"{where}: certificaat {cert_id} bestaat niet.")
            sender_rm = receiver_rm = None
            signed = encrypted = False
            if exchange is not None:
                sender_binding = exchange.find(_t("ebXMLSenderBinding"))
                receiver_binding = exchange.find(_t("ebXMLReceiverBinding"))
                sender_rm = self.reliable(sender_binding, f"{where} (afzender)")
                receiver_rm = self.reliable(receiver_binding, f"{where} (ontvanger)")
                signed = exchange.find(f".//{_t('SenderNonRepudiation')}") is not None
                encrypted = exchange.find(f".//{_t('SenderDigitalEnvelope')}") is not None
            reliable = characteristics.ack_requested == ALWAYS or (
                characteristics.ack_requested == PER_MESSAGE and sender_rm is not None
            )
            out.append(
                DeliveryChannel(
                    channel_id=channel_id,
                    transport_id=transport_id,
                    doc_exchange_id=exchange_id,
                    characteristics=characteristics,
                    endpoints=tuple(endpoints),
                    transport_protocol=protocol,
                    client_certificate_id=client_cert,
                    server_certificate_id=server_cert,
                    sender_reliable=sender_rm,
                    receiver_reliable=receiver_rm,
                    signed=signed or encrypted,
                    encrypted=encrypted,
                    profile=Profile.of(
                        reliable=reliable, signed=signed or encrypted, encrypted=encrypted
                    ),
                )
            )
        if not out:
            self.problem(f"{party}: er is geen DeliveryChannel.")
        return tuple(out)

    # -- roles and bindings --------------------------------------------------------------------

    def bindings(
        self, info: etree._Element, party: str, channel_ids: set[str], package_ids: set[str]
    ) -> tuple[tuple[str, ...], tuple[ActionBinding, ...]]:
        roles: list[str] = []
        out: list[ActionBinding] = []
        for cr in info.findall(_t("CollaborationRole")):
            role_el = cr.find(_t("Role"))
            role = _attr(role_el, "name") if role_el is not None else None
            if not role:
                self.problem(f"{party}: een CollaborationRole heeft geen Role met een naam.")
                continue
            if role not in roles:
                roles.append(role)
            sb = cr.find(_t("ServiceBinding"))
            service_el = sb.find(_t("Service")) if sb is not None else None
            service = _text(service_el)
            if sb is None or service_el is None or not service:
                self.problem(f"{party}, rol {role}: ServiceBinding of Service ontbreekt.")
                continue
            if re.search(r"\s", service):
                self.problem(f"{party}: Service {service!r} bevat witruimte.")
            service_type = _attr(service_el, "type")
            for direction, tag in (("send", "CanSend"), ("receive", "CanReceive")):
                for can in sb.findall(_t(tag)):
                    tb = can.find(_t("ThisPartyActionBinding"))
                    if tb is None:
                        self.problem(f"{party}: {tag} zonder ThisPartyActionBinding.")
                        continue
                    where = f"{party}, {tag}"
                    binding_id = self.required_attr(tb, "id", where)
                    action = self.required_attr(tb, "action", where)
                    if re.search(r"\s", action):
                        self.problem(f"{where}: actie {action!r} bevat witruimte.")
                    package_id = self.required_attr(tb, "packageId", where)
                    if package_id and package_id not in package_ids:
                        self.problem(f"{where} {action}: Packaging {package_id} bestaat niet.")
                    ids = tuple(value for el in tb.findall(_t("ChannelId")) if (value := _text(el)))
                    if not ids:
                        self.problem(f"{where} {action}: ChannelId ontbreekt.")
                    for cid in ids:
                        if cid not in channel_ids:
                            self.problem(f"{where} {action}: DeliveryChannel {cid} bestaat niet.")
                    btc = tb.find(_t("BusinessTransactionCharacteristics"))
                    traits = (
                        tuple(
                            (etree.QName(k).localname, str(v))
                            for k, v in sorted(btc.attrib.items())
                            if isinstance(k, str)
                        )
                        if btc is not None
                        else ()
                    )
                    out.append(
                        ActionBinding(
                            binding_id=binding_id,
                            direction=direction,
                            role=role,
                            service=service,
                            service_type=service_type,
                            action=action,
                            package_id=package_id,
                            channel_ids=ids,
                            other_party_binding=_text(can.find(_t("OtherPartyActionBinding"))),
                            characteristics=traits,
                        )
                    )
        if not roles:
            self.problem(f"{party}: er is geen CollaborationRole.")
        return tuple(roles), tuple(out)

    # -- party ---------------------------------------------------------------------------------

    def party(self, info: etree._Element, index: int, package_ids: set[str]) -> CpaParty | None:
        name = _attr(info, "partyName") or ""
        label = name or f"partij {index}"
        if not name:
            self.problem(f"PartyInfo {index}: partyName ontbreekt.")
        party_ids: list[PartyIdentifier] = []
        for el in info.findall(_t("PartyId")):
            value = _text(el)
            if value is None:
                self.problem(f"{label}: een PartyId is leeg.")
                continue
            party_ids.append(PartyIdentifier(value, _attr(el, "type")))
        if not party_ids:
            self.problem(f"{label}: PartyId ontbreekt.")
        certificates = tuple(
            c for el in info.findall(_t("Certificate")) if (c := self.certificate(el, label))
        )
        cert_ids = {c.cert_id for c in certificates}
        channels = self.channels(info, label, cert_ids)
        channel_ids = {c.channel_id for c in channels}
        roles, bindings = self.bindings(info, label, channel_ids, package_ids)
        default_channel = self.required_attr(info, "defaultMshChannelId", label)
        if default_channel and default_channel not in channel_ids:
            self.problem(f"{label}: defaultMshChannelId {default_channel} bestaat niet.")
        default_package = self.required_attr(info, "defaultMshPackageId", label)
        if default_package and default_package not in package_ids:
            self.problem(f"{label}: defaultMshPackageId {default_package} bestaat niet.")
        if not party_ids or not roles:
            return None
        return CpaParty(
            name=name,
            party_ids=tuple(party_ids),
            roles=roles,
            default_channel_id=default_channel,
            default_package_id=default_package,
            bindings=bindings,
            channels=channels,
            certificates=certificates,
        )


def parse_cpa(data: bytes) -> Cpa:
    """Read and check a CPA; raise :class:`CpaError` (Dutch, one line a problem)."""
    try:
        root = parse_xml(data, max_bytes=MAX_CPA_BYTES)
    except XmlInputError as exc:
        raise CpaError([str(exc)]) from exc
    if root.tag != _t("CollaborationProtocolAgreement"):
        raise CpaError(
            [
                f"Dit is geen CPA: het hoofdelement is {etree.QName(root).localname!r} in "
                f"namespace {etree.QName(root).namespace!r}, verwacht "
                f"CollaborationProtocolAgreement in {NS_CPPA}."
            ]
        )
    p = _Parser()
    cpa_id = p.required_attr(root, "cpaid", "CollaborationProtocolAgreement")
    version = p.required_attr(root, "version", "CollaborationProtocolAgreement")
    status_el = root.find(_t("Status"))
    status = _attr(status_el, "value") if status_el is not None else None
    if status is None:
        p.problem("Element Status (met attribuut value) ontbreekt.")
    elif status not in STATUS_VALUES:
        p.problem(f"Status {status!r} is onbekend; verwacht agreed, signed of proposed.")
    start = p.datetime_of(root, "Start")
    end = p.datetime_of(root, "End")
    if start is not None and end is not None and end <= start:
        p.problem("End ligt niet na Start.")
    package_ids = {value for el in root.findall(_t("Packaging")) if (value := _attr(el, "id"))}
    if not package_ids:
        p.problem("Er is geen Packaging.")
    infos = root.findall(_t("PartyInfo"))
    if len(infos) != 2:
        p.problem(f"Een CPA heeft precies twee PartyInfo-elementen, deze heeft er {len(infos)}.")
    parties = [
        party for n, info in enumerate(infos[:2], 1) if (party := p.party(info, n, package_ids))
    ]
    if len(parties) == 2:
        _check_other_bindings(p, parties[0], parties[1])
    if p.problems or start is None or end is None or status is None or len(parties) != 2:
        raise CpaError(p.problems or ["De CPA is onvolledig."])
    return Cpa(
        cpa_id=cpa_id,
        version=version,
        status=status,
        start=start,
        end=end,
        parties=(parties[0], parties[1]),
        package_ids=tuple(sorted(package_ids)),
        raw=bytes(data),
    )


def _check_other_bindings(p: _Parser, a: CpaParty, b: CpaParty) -> None:
    """Every OtherPartyActionBinding names a binding of the other party with the same action."""
    for this, other in ((a, b), (b, a)):
        theirs = {x.binding_id: x for x in other.bindings}
        for binding in this.bindings:
            ref = binding.other_party_binding
            if ref is None:
                continue
            target = theirs.get(ref)
            if target is None:
                p.problem(
                    f"{this.name}: OtherPartyActionBinding {ref} bestaat niet bij {other.name}."
                )
            elif target.action != binding.action or target.direction == binding.direction:
                p.problem(
                    f"{this.name}: OtherPartyActionBinding {ref} past niet bij actie "
                    f"{binding.action}."
                )


# --- writing --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CpaPartySpec:
    """One side of a CPA to write: name, OIN, role, endpoint, what it sends and receives."""

    name: str
    oin: str
    role: str
    endpoint: str
    sends: tuple[str, ...]
    receives: tuple[str, ...]
    client_cert_pem: bytes | None = None
    server_cert_pem: bytes | None = None


@dataclass(frozen=True, slots=True)
class CpaSpec:
    cpa_id: str
    service: str
    service_type: str | None
    parties: tuple[CpaPartySpec, CpaPartySpec]
    start: datetime
    end: datetime
    retries: int = 8
    retry_interval: timedelta = timedelta(hours=3)
    persist_duration: timedelta = timedelta(days=1)
    sync_reply_mode: str = SYNC_NONE
    status: str = STATUS_AGREED


_CHARACTERISTICS = {
    "isAuthenticated": "transient",
    "isAuthorizationRequired": "true",
    "isConfidential": "transient",
    "isIntelligibleCheckRequired": "false",
    "isNonRepudiationReceiptRequired": "false",
    "isNonRepudiationRequired": "false",
    "isTamperProof": "transient",
    "timeToPerform": "P2D",
}


def _safe_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)


def _der_b64(pem: bytes) -> str:
    cert = x509.load_pem_x509_certificate(pem)
    from cryptography.hazmat.primitives.serialization import Encoding

    return base64.b64encode(cert.public_bytes(Encoding.DER)).decode("ascii")


def build_cpa(spec: CpaSpec) -> bytes:
    """A CPPA 2.0 CPA for a Digikoppeling osb-rm exchange between the two parties.

    It follows the Digikoppeling best-practice template (interface reference §4.6): one
    reliable-messaging channel per party with end-to-end acks, duplicate elimination and
    the given sync reply mode, HTTPS with client and server certificates, and the
    non-signed BusinessTransactionCharacteristics.
    """
    nsmap = {"tns": NS_CPPA, "ds": NS_DS, "xlink": NS_XLINK}
    root = etree.Element(_t("CollaborationProtocolAgreement"), nsmap=nsmap)
    root.set(_t("cpaid"), spec.cpa_id)
    root.set(_t("version"), "1")
    etree.SubElement(root, _t("Status")).set(_t("value"), spec.status)
    etree.SubElement(root, _t("Start")).text = spec.start.astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    etree.SubElement(root, _t("End")).text = spec.end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    ids = [_safe_id(p.role) for p in spec.parties]
    for n, party in enumerate(spec.parties):
        me, them = ids[n], ids[1 - n]
        channel = f"{me}_defaultChannel_osb-rm"
        info = etree.SubElement(root, _t("PartyInfo"))
        info.set(_t("partyName"), party.name)
        info.set(_t("defaultMshChannelId"), channel)
        info.set(_t("defaultMshPackageId"), "MshSignalPackage")
        pid = etree.SubElement(info, _t("PartyId"))
        pid.set(_t("type"), PARTY_ID_TYPE)
        pid.text = party.oin
        etree.SubElement(info, _t("PartyRef")).set(f"{{{NS_XLINK}}}href", "")
        cr = etree.SubElement(info, _t("CollaborationRole"))
        ps = etree.SubElement(cr, _t("ProcessSpecification"))
        ps.set(_t("name"), spec.service)
        ps.set(_t("version"), "1.0")
        ps.set(f"{{{NS_XLINK}}}href", "")
        role = etree.SubElement(cr, _t("Role"))
        role.set(_t("name"), party.role)
        role.set(f"{{{NS_XLINK}}}href", "")
        sb = etree.SubElement(cr, _t("ServiceBinding"))
        service = etree.SubElement(sb, _t("Service"))
        service.text = spec.service
        if spec.service_type is not None:
            service.set(_t("type"), spec.service_type)
        for tag, actions, mine, theirs in (
            ("CanSend", party.sends, "S", "R"),
            ("CanReceive", party.receives, "R", "S"),
        ):
            for action in actions:
                can = etree.SubElement(sb, _t(tag))
                tb = etree.SubElement(can, _t("ThisPartyActionBinding"))
                tb.set(_t("id"), f"{me}_{mine}_{_safe_id(action)}")
                tb.set(_t("action"), action)
                tb.set(_t("packageId"), "XMLMessagePackage")
                btc = etree.SubElement(tb, _t("BusinessTransactionCharacteristics"))
                for key, value in _CHARACTERISTICS.items():
                    btc.set(_t(key), value)
                etree.SubElement(tb, _t("ChannelId")).text = channel
                etree.SubElement(
                    can, _t("OtherPartyActionBinding")
                ).text = f"{them}_{theirs}_{_safe_id(action)}"
        certs: list[tuple[str, bytes]] = []
        if party.client_cert_pem:
            certs.append((f"{me}_ClientCert", party.client_cert_pem))
        if party.server_cert_pem:
            certs.append((f"{me}_ServerCert", party.server_cert_pem))
        for cert_id, pem in certs:
            cert_el = etree.SubElement(info, _t("Certificate"))
            cert_el.set(_t("certId"), cert_id)
            key_info = etree.SubElement(cert_el, f"{{{NS_DS}}}KeyInfo")
            data = etree.SubElement(key_info, f"{{{NS_DS}}}X509Data")
            etree.SubElement(data, f"{{{NS_DS}}}X509Certificate").text = _der_b64(pem)
        if certs:
            sd = etree.SubElement(info, _t("SecurityDetails"))
            sd.set(_t("securityId"), f"{me}_TransportSecurity")
            anchors = etree.SubElement(sd, _t("TrustAnchors"))
            for cert_id, _pem in certs:
                etree.SubElement(anchors, _t("AnchorCertificateRef")).set(_t("certId"), cert_id)
        dc = etree.SubElement(info, _t("DeliveryChannel"))
        dc.set(_t("channelId"), channel)
        dc.set(_t("transportId"), f"{me}_transport")
        dc.set(_t("docExchangeId"), f"{me}_docExchange")
        mc = etree.SubElement(dc, _t("MessagingCharacteristics"))
        mc.set(_t("syncReplyMode"), spec.sync_reply_mode)
        mc.set(_t("ackRequested"), ALWAYS)
        mc.set(_t("actor"), "urn:oasis:names:tc:ebxml-msg:actor:toPartyMSH")
        mc.set(_t("ackSignatureRequested"), NEVER)
        mc.set(_t("duplicateElimination"), ALWAYS)
        transport = etree.SubElement(info, _t("Transport"))
        transport.set(_t("transportId"), f"{me}_transport")
        sender = etree.SubElement(transport, _t("TransportSender"))
        proto = etree.SubElement(sender, _t("TransportProtocol"))
        proto.set(_t("version"), "1.1")
        proto.text = "HTTP"
        tcs = etree.SubElement(sender, _t("TransportClientSecurity"))
        tsp = etree.SubElement(tcs, _t("TransportSecurityProtocol"))
        tsp.set(_t("version"), "1.2")
        tsp.text = "TLS"
        if party.client_cert_pem:
            etree.SubElement(tcs, _t("ClientCertificateRef")).set(_t("certId"), f"{me}_ClientCert")
        receiver = etree.SubElement(transport, _t("TransportReceiver"))
        proto = etree.SubElement(receiver, _t("TransportProtocol"))
        proto.set(_t("version"), "1.1")
        proto.text = "HTTP"
        ep = etree.SubElement(receiver, _t("Endpoint"))
        ep.set(_t("uri"), party.endpoint)
        ep.set(_t("type"), "allPurpose")
        if party.server_cert_pem:  # ServerCertificateRef is required inside it
            tss = etree.SubElement(receiver, _t("TransportServerSecurity"))
            tsp = etree.SubElement(tss, _t("TransportSecurityProtocol"))
            tsp.set(_t("version"), "1.2")
            tsp.text = "TLS"
            etree.SubElement(tss, _t("ServerCertificateRef")).set(_t("certId"), f"{me}_ServerCert")
        dx = etree.SubElement(info, _t("DocExchange"))
        dx.set(_t("docExchangeId"), f"{me}_docExchange")
        for tag in ("ebXMLSenderBinding", "ebXMLReceiverBinding"):
            b = etree.SubElement(dx, _t(tag))
            b.set(_t("version"), "2.0")
            rm = etree.SubElement(b, _t("ReliableMessaging"))
            etree.SubElement(rm, _t("Retries")).text = str(spec.retries)
            etree.SubElement(rm, _t("RetryInterval")).text = iso_duration(spec.retry_interval)
            etree.SubElement(rm, _t("MessageOrderSemantics")).text = "NotGuaranteed"
            etree.SubElement(b, _t("PersistDuration")).text = iso_duration(spec.persist_duration)
    for part_id, mimetype in (("MsgHdr", "text/xml"), ("Payload", "text/xml")):
        sp = etree.SubElement(root, _t("SimplePart"))
        sp.set(_t("id"), part_id)
        sp.set(_t("mimetype"), mimetype)
    for package_id, constituents in (
        ("MshSignalPackage", ("MsgHdr",)),
        ("XMLMessagePackage", ("MsgHdr", "Payload")),
    ):
        pkg = etree.SubElement(root, _t("Packaging"))
        pkg.set(_t("id"), package_id)
        caps = etree.SubElement(pkg, _t("ProcessingCapabilities"))
        caps.set(_t("parse"), "true")
        caps.set(_t("generate"), "true")
        cl = etree.SubElement(pkg, _t("CompositeList"))
        comp = etree.SubElement(cl, _t("Composite"))
        comp.set(_t("id"), f"{package_id}_Composite")
        comp.set(_t("mimetype"), "multipart/related")
        comp.set(_t("mimeparameters"), "type=text/xml")
        for constituent in constituents:
            etree.SubElement(comp, _t("Constituent")).set(_t("idref"), constituent)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def describe_binding(binding: ActionBinding) -> str:
    """``urn:osb:services:X / GLOBE-R-BV-Request`` (with the type where there is one)."""
    service = (
        f"{binding.service} ({binding.service_type})" if binding.service_type else binding.service
    )
    return f"{service} / {binding.action}"


def all_actions(bindings: Iterable[ActionBinding]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(b.action for b in bindings))
