"""Read a parsed ebMS 2.0 SOAP envelope into an :class:`EbmsMessage`.

Everything is found by namespace, never by prefix. The checks here are the ones that need
no CPA: ``eb:version="2.0"``, ``soap:mustUnderstand``, required elements present and
non-empty, dateTime values, a Role on both sides of a business message (as ebms-core
does; every Digikoppeling CPA has roles), AckRequested only end-to-end (``toPartyMSH``)
and unsigned, SyncReply to the next SOAP node, no MessageOrder, MSH signals carrying what
their action needs, and every Manifest ``cid:`` reference resolved to a MIME part.
Checking the header against a CPA (and TimeToLive against the clock, and duplicates
against the store) is a separate step.

Problems are raised as :class:`EbmsReceiveError` with the ebMS 2.0 error codes
(ebMS 2.0 §4.2.3.4.1). Locations are written in the XPath style other MSHs use
(``//Header/MessageHeader/From/PartyId``) so the other side can find the element.
Which code goes with which problem:

============================================  =====================
problem                                       errorCode
============================================  =====================
bad MIME packaging, unresolvable ``cid:``     MimeProblem
not XML, DOCTYPE, not a SOAP 1.1 envelope     OtherXml
element missing or empty, wrong version,      Inconsistent
mustUnderstand wrong, value not of its type,
actor wrong, signal without its parts
unknown action of the MSH service             ValueNotRecognized
nextMSH acks, signed acks, MessageOrder,      NotSupported
unknown header block with mustUnderstand=1
============================================  =====================
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import unquote

from lxml import etree

from console.digikoppeling.ebms.model import (
    ACTION_ACKNOWLEDGMENT,
    ACTION_MESSAGE_ERROR,
    ACTION_PONG,
    ACTION_STATUS_REQUEST,
    ACTION_STATUS_RESPONSE,
    EBMS_VERSION,
    MESSAGE_STATUSES,
    MSH_ACTIONS,
    NEXT_MSH_ACTOR,
    NS_EB,
    NS_SOAP,
    NS_XLINK,
    SERVICE_EBMS,
    SEVERITIES,
    SOAP_NEXT_ACTOR,
    TO_PARTY_MSH_ACTOR,
    Acknowledgment,
    EbmsError,
    EbmsMessage,
    MessageHeader,
    Party,
    Payload,
    StatusResponse,
)
from console.domain.ebms_errors import EbmsErrorCode

_XS_DATETIME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})T(?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d+))?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?$"
)
# RFC 3986 scheme followed by something: enough to tell "urn:osb:..." from "Berichtenbox".
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
_TRUE = frozenset({"1", "true"})
_FALSE = frozenset({"0", "false"})


class EbmsReceiveError(Exception):
    """A received ebMS message is refused.

    ``errors`` are ready for an ``eb:ErrorList``; ``header`` is the header of the refused
    message when it could be read, so that a MessageError can refer to it.
    """

    def __init__(self, errors: Sequence[EbmsError], header: MessageHeader | None = None) -> None:
        self.errors: tuple[EbmsError, ...] = tuple(errors)
        self.header = header
        detail = "; ".join(
            f"{e.code}"
            + (f" bij {e.location}" if e.location else "")
            + (f": {e.description}" if e.description else "")
            for e in self.errors
        )
        super().__init__(f"Het ontvangen ebMS-bericht is geweigerd ({detail}).")

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(e.code for e in self.errors)


def receive_error(code: EbmsErrorCode, location: str | None, description: str) -> EbmsReceiveError:
    """One-error :class:`EbmsReceiveError` for problems found before a header could be read."""
    return EbmsReceiveError((EbmsError(str(code), location=location, description=description),))


def _eb(local: str) -> str:
    return f"{{{NS_EB}}}{local}"


def _soap(local: str) -> str:
    return f"{{{NS_SOAP}}}{local}"


def parse_timestamp(value: str) -> datetime:
    """An xs:dateTime as an aware datetime; no zone means UTC (ebMS times are UTC)."""
    m = _XS_DATETIME.match(value.strip())
    if not m:
        raise ValueError(f"geen xs:dateTime: {value!r}")
    frac = (m["frac"] or "")[:6].ljust(6, "0")
    tz = m["tz"] or "Z"
    tz = "+00:00" if tz == "Z" else tz
    parsed = datetime.fromisoformat(f"{m['date']}T{m['time']}.{frac}{tz}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


class _Reader:
    """Collects every problem of one envelope, so one ErrorList can list them all."""

    def __init__(self, attachments: Mapping[str, Payload]) -> None:
        self.attachments = attachments
        self.errors: list[EbmsError] = []

    def problem(self, code: EbmsErrorCode, location: str, description: str) -> None:
        self.errors.append(EbmsError(str(code), location=location, description=description))

    # -- small helpers -----------------------------------------------------------------------

    def text(self, parent: etree._Element, local: str, where: str, *, required: bool) -> str | None:
        found = parent.findall(_eb(local))
        if not found:
            if required:
                self.problem(EbmsErrorCode.INCONSISTENT, where, f"Element {local} ontbreekt.")
            return None
        if len(found) > 1:
            self.problem(
                EbmsErrorCode.INCONSISTENT, where, f"Element {local} komt meer dan eens voor."
            )
        value = (found[0].text or "").strip()
        if not value:
            self.problem(EbmsErrorCode.INCONSISTENT, where, f"Element {local} is leeg.")
            return None
        return value

    def timestamp(
        self, parent: etree._Element, local: str, where: str, *, required: bool
    ) -> datetime | None:
        raw = self.text(parent, local, where, required=required)
        if raw is None:
            return None
        try:
            return parse_timestamp(raw)
        except ValueError:
            self.problem(EbmsErrorCode.INCONSISTENT, where, f"{raw!r} is geen geldige xs:dateTime.")
            return None

    def version(self, el: etree._Element, where: str) -> None:
        value = el.get(_eb("version"))
        if value != EBMS_VERSION:
            self.problem(
                EbmsErrorCode.INCONSISTENT,
                f"{where}/@version",
                f"eb:version moet {EBMS_VERSION} zijn, niet {value!r}.",
            )

    def must_understand(self, el: etree._Element, where: str) -> None:
        value = el.get(_soap("mustUnderstand"))
        if value != "1":
            self.problem(
                EbmsErrorCode.INCONSISTENT,
                f"{where}/@mustUnderstand",
                f"soap:mustUnderstand moet 1 zijn, niet {value!r}.",
            )

    def header_extension(self, el: etree._Element, where: str) -> None:
        self.version(el, where)
        self.must_understand(el, where)

    # -- header ------------------------------------------------------------------------------

    def party(self, mh: etree._Element, local: str) -> Party | None:
        where = f"//Header/MessageHeader/{local}"
        el = mh.find(_eb(local))
        if el is None:
            self.problem(EbmsErrorCode.INCONSISTENT, where, f"Element {local} ontbreekt.")
            return None
        ids = el.findall(_eb("PartyId"))
        if not ids:
            self.problem(
                EbmsErrorCode.INCONSISTENT, f"{where}/PartyId", "Element PartyId ontbreekt."
            )
            return None
        pid = ids[0]
        value = (pid.text or "").strip()
        if not value:
            self.problem(EbmsErrorCode.INCONSISTENT, f"{where}/PartyId", "PartyId is leeg.")
            return None
        party_type = pid.get(_eb("type"))
        if party_type is not None and not party_type.strip():
            self.problem(EbmsErrorCode.INCONSISTENT, f"{where}/PartyId/@type", "eb:type is leeg.")
            return None
        if party_type is None and not _URI.match(value):
            self.problem(
                EbmsErrorCode.INCONSISTENT,
                f"{where}/PartyId",
                "PartyId zonder eb:type moet een URI zijn.",
            )
            return None
        role = self.text(el, "Role", f"{where}/Role", required=False)
        return Party(party_id=value, role=role, party_type=party_type)

    def message_header(self, mh: etree._Element) -> MessageHeader | None:
        where = "//Header/MessageHeader"
        self.header_extension(mh, where)
        errors_before = len(self.errors)
        from_party = self.party(mh, "From")
        to_party = self.party(mh, "To")
        cpa_id = self.text(mh, "CPAId", f"{where}/CPAId", required=True)
        conversation_id = self.text(mh, "ConversationId", f"{where}/ConversationId", required=True)
        service = self.text(mh, "Service", f"{where}/Service", required=True)
        service_el = mh.find(_eb("Service"))
        service_type = service_el.get(_eb("type")) if service_el is not None else None
        if service is not None and service_type is None and not _URI.match(service):
            self.problem(
                EbmsErrorCode.INCONSISTENT,
                f"{where}/Service",
                "Service zonder eb:type moet een URI zijn.",
            )
        action = self.text(mh, "Action", f"{where}/Action", required=True)
        data = mh.find(_eb("MessageData"))
        message_id: str | None = None
        ref_to: str | None = None
        timestamp: datetime | None = None
        ttl: datetime | None = None
        if data is None:
            self.problem(
                EbmsErrorCode.INCONSISTENT, f"{where}/MessageData", "Element MessageData ontbreekt."
            )
        else:
            dwhere = f"{where}/MessageData"
            message_id = self.text(data, "MessageId", f"{dwhere}/MessageId", required=True)
            timestamp = self.timestamp(data, "Timestamp", f"{dwhere}/Timestamp", required=True)
            ref_to = self.text(data, "RefToMessageId", f"{dwhere}/RefToMessageId", required=False)
            ttl = self.timestamp(data, "TimeToLive", f"{dwhere}/TimeToLive", required=False)
        if mh.find(_eb("MessageOrder")) is not None:  # belongs in soap:Header, but be sure
            self.problem(
                EbmsErrorCode.NOT_SUPPORTED,
                f"{where}/MessageOrder",
                "MessageOrder wordt niet ondersteund.",
            )
        if (
            len(self.errors) > errors_before
            or from_party is None
            or to_party is None
            or cpa_id is None
            or conversation_id is None
            or service is None
            or action is None
            or message_id is None
            or timestamp is None
        ):
            return None
        return MessageHeader(
            cpa_id=cpa_id,
            conversation_id=conversation_id,
            from_party=from_party,
            to_party=to_party,
            service=service,
            service_type=service_type,
            action=action,
            message_id=message_id,
            timestamp=timestamp,
            ref_to_message_id=ref_to,
            time_to_live=ttl,
            duplicate_elimination=mh.find(_eb("DuplicateElimination")) is not None,
        )

    def ack_actor(self, el: etree._Element, where: str, *, required: bool) -> None:
        actor = el.get(_soap("actor"))
        if actor == TO_PARTY_MSH_ACTOR or (actor is None and not required):
            return
        if actor == NEXT_MSH_ACTOR:
            self.problem(
                EbmsErrorCode.NOT_SUPPORTED,
                f"{where}/@actor",
                "Acknowledgments naar de nextMSH worden niet gebruikt; alleen toPartyMSH.",
            )
        else:
            self.problem(
                EbmsErrorCode.INCONSISTENT,
                f"{where}/@actor",
                f"soap:actor moet {TO_PARTY_MSH_ACTOR} zijn, niet {actor!r}.",
            )

    def ack_requested(self, el: etree._Element) -> None:
        where = "//Header/AckRequested"
        self.header_extension(el, where)
        self.ack_actor(el, where, required=True)
        signed = el.get(_eb("signed"))
        if signed is None or signed.strip() in _FALSE:
            return
        if signed.strip() in _TRUE:
            self.problem(
                EbmsErrorCode.NOT_SUPPORTED,
                f"{where}/@signed",
                "Ondertekende Acknowledgments worden niet ondersteund (profiel osb-rm).",
            )
        else:
            self.problem(
                EbmsErrorCode.INCONSISTENT, f"{where}/@signed", f"{signed!r} is geen boolean."
            )

    def sync_reply(self, el: etree._Element) -> None:
        where = "//Header/SyncReply"
        self.header_extension(el, where)
        actor = el.get(_soap("actor"))
        if actor != SOAP_NEXT_ACTOR:
            self.problem(
                EbmsErrorCode.INCONSISTENT,
                f"{where}/@actor",
                f"soap:actor moet {SOAP_NEXT_ACTOR} zijn, niet {actor!r}.",
            )

    def acknowledgment(self, el: etree._Element) -> Acknowledgment | None:
        where = "//Header/Acknowledgment"
        self.header_extension(el, where)
        self.ack_actor(el, where, required=False)
        ts = self.timestamp(el, "Timestamp", f"{where}/Timestamp", required=True)
        ref = self.text(el, "RefToMessageId", f"{where}/RefToMessageId", required=True)
        if ts is None or ref is None:
            return None
        return Acknowledgment(ref_to_message_id=ref, timestamp=ts)

    def error_list(self, el: etree._Element) -> tuple[EbmsError, ...]:
        where = "//Header/ErrorList"
        self.header_extension(el, where)
        if el.get(_eb("highestSeverity")) not in SEVERITIES:
            self.problem(
                EbmsErrorCode.INCONSISTENT,
                f"{where}/@highestSeverity",
                "highestSeverity ontbreekt of is onbekend.",
            )
        found: list[EbmsError] = []
        items = el.findall(_eb("Error"))
        if not items:
            self.problem(
                EbmsErrorCode.INCONSISTENT,
                f"{where}/Error",
                "Een ErrorList bevat minstens één Error.",
            )
        for index, item in enumerate(items, start=1):
            ewhere = f"{where}/Error[{index}]"
            code = (item.get(_eb("errorCode")) or "").strip()
            severity = (item.get(_eb("severity")) or "").strip()
            if not code:
                self.problem(
                    EbmsErrorCode.INCONSISTENT, f"{ewhere}/@errorCode", "errorCode ontbreekt."
                )
                continue
            if severity not in SEVERITIES:
                self.problem(
                    EbmsErrorCode.INCONSISTENT,
                    f"{ewhere}/@severity",
                    "severity ontbreekt of is onbekend.",
                )
                continue
            desc_el = item.find(_eb("Description"))
            description = (desc_el.text or "").strip() or None if desc_el is not None else None
            found.append(
                EbmsError(
                    code=code,
                    severity=severity,
                    location=item.get(_eb("location")) or None,
                    description=description,
                )
            )
        return tuple(found)

    # -- body --------------------------------------------------------------------------------

    def single(self, body: etree._Element, local: str) -> etree._Element | None:
        found = body.findall(_eb(local))
        if len(found) > 1:
            self.problem(
                EbmsErrorCode.INCONSISTENT, f"//Body/{local}", f"{local} komt meer dan eens voor."
            )
        return found[0] if found else None

    def manifest(self, el: etree._Element) -> tuple[Payload, ...]:
        where = "//Body/Manifest"
        self.version(el, where)
        refs = el.findall(_eb("Reference"))
        if not refs:
            self.problem(
                EbmsErrorCode.INCONSISTENT,
                f"{where}/Reference",
                "Het Manifest bevat geen Reference.",
            )
        payloads: list[Payload] = []
        for ref in refs:
            href = (ref.get(f"{{{NS_XLINK}}}href") or "").strip()
            rwhere = f"{where}/Reference[@href='{href}']"
            xtype = ref.get(f"{{{NS_XLINK}}}type")
            if xtype is not None and xtype != "simple":
                self.problem(
                    EbmsErrorCode.INCONSISTENT, f"{rwhere}/@type", "xlink:type moet simple zijn."
                )
            if not href:
                self.problem(
                    EbmsErrorCode.INCONSISTENT, f"{where}/Reference/@href", "xlink:href ontbreekt."
                )
                continue
            if not href.lower().startswith("cid:"):
                self.problem(
                    EbmsErrorCode.MIME_PROBLEM,
                    rwhere,
                    "Alleen verwijzingen naar MIME-delen (cid:) worden ondersteund.",
                )
                continue
            cid = href[4:]
            part = self.attachments.get(cid) or self.attachments.get(unquote(cid))
            if part is None:
                self.problem(EbmsErrorCode.MIME_PROBLEM, href, f"MIME-deel {href} niet gevonden.")
                continue
            payloads.append(part)
        return tuple(payloads)

    def status_request(self, el: etree._Element) -> str | None:
        where = "//Body/StatusRequest"
        self.version(el, where)
        return self.text(el, "RefToMessageId", f"{where}/RefToMessageId", required=True)

    def status_response(self, el: etree._Element) -> StatusResponse | None:
        where = "//Body/StatusResponse"
        self.version(el, where)
        status = el.get(_eb("messageStatus"))
        ref = self.text(el, "RefToMessageId", f"{where}/RefToMessageId", required=True)
        ts = self.timestamp(el, "Timestamp", f"{where}/Timestamp", required=False)
        if status not in MESSAGE_STATUSES:
            self.problem(
                EbmsErrorCode.INCONSISTENT,
                f"{where}/@messageStatus",
                f"Onbekende messageStatus {status!r}.",
            )
            return None
        if ref is None:
            return None
        return StatusResponse(ref_to_message_id=ref, message_status=status, timestamp=ts)

    # -- whole message -----------------------------------------------------------------------

    def signal_rules(self, msg: EbmsMessage) -> None:
        """What a business message or an MSH signal must carry to mean anything."""
        h = msg.header
        if h.service != SERVICE_EBMS:
            # A business message is sent under a CPA, where every party plays a role.
            for side, party in (("From", h.from_party), ("To", h.to_party)):
                if party.role is None:
                    self.problem(
                        EbmsErrorCode.INCONSISTENT,
                        f"//Header/MessageHeader/{side}/Role",
                        f"Element Role ontbreekt bij {side}.",
                    )
            return
        action_at = "//Header/MessageHeader/Action"
        if h.action not in MSH_ACTIONS:
            self.problem(
                EbmsErrorCode.VALUE_NOT_RECOGNIZED,
                action_at,
                f"Onbekende actie {h.action!r} van de ebMS-dienst.",
            )
            return
        needs_ref = {
            ACTION_ACKNOWLEDGMENT,
            ACTION_MESSAGE_ERROR,
            ACTION_PONG,
            ACTION_STATUS_RESPONSE,
        }
        if h.action in needs_ref and h.ref_to_message_id is None:
            self.problem(
                EbmsErrorCode.INCONSISTENT,
                "//Header/MessageHeader/MessageData/RefToMessageId",
                f"Een {h.action} moet RefToMessageId bevatten.",
            )
        required_part = {
            ACTION_ACKNOWLEDGMENT: ("//Header/Acknowledgment", msg.acknowledgment is not None),
            ACTION_MESSAGE_ERROR: ("//Header/ErrorList", bool(msg.errors)),
            ACTION_STATUS_REQUEST: ("//Body/StatusRequest", msg.status_request_ref is not None),
            ACTION_STATUS_RESPONSE: ("//Body/StatusResponse", msg.status_response is not None),
        }
        if h.action in required_part:
            location, present = required_part[h.action]
            if not present:
                self.problem(
                    EbmsErrorCode.INCONSISTENT,
                    location,
                    f"Een {h.action} moet {location[2:]} bevatten.",
                )
        if (
            msg.acknowledgment is not None
            and h.action == ACTION_ACKNOWLEDGMENT
            and h.ref_to_message_id is not None
            and msg.acknowledgment.ref_to_message_id != h.ref_to_message_id
        ):
            self.problem(
                EbmsErrorCode.INCONSISTENT,
                "//Header/Acknowledgment/RefToMessageId",
                "RefToMessageId van de Acknowledgment wijkt af van die in MessageData.",
            )


def read_envelope(
    root: etree._Element, attachments: Mapping[str, Payload], *, raw: bytes = b""
) -> EbmsMessage:
    """Turn a parsed SOAP envelope into an :class:`EbmsMessage`.

    *attachments* maps each MIME part's Content-ID (without ``<>``) to its payload.
    Raises :class:`EbmsReceiveError` listing every problem found.
    """
    if root.tag != _soap("Envelope"):
        raise receive_error(
            EbmsErrorCode.OTHER_XML, "/Envelope", f"Geen SOAP 1.1-envelope maar {root.tag!r}."
        )
    headers = root.findall(_soap("Header"))
    bodies = root.findall(_soap("Body"))
    if len(bodies) != 1 or len(headers) > 1:
        raise receive_error(
            EbmsErrorCode.OTHER_XML,
            "/Envelope",
            "Een SOAP-envelope heeft precies één Body en hooguit één Header.",
        )
    reader = _Reader(attachments)
    message_headers = headers[0].findall(_eb("MessageHeader")) if headers else []
    if not message_headers:
        raise receive_error(
            EbmsErrorCode.INCONSISTENT, "//Header/MessageHeader", "MessageHeader ontbreekt."
        )
    if len(message_headers) > 1:
        reader.problem(
            EbmsErrorCode.INCONSISTENT, "//Header/MessageHeader", "Meer dan één MessageHeader."
        )
    header = reader.message_header(message_headers[0])

    ack_requested = sync_reply = False
    acknowledgment: Acknowledgment | None = None
    errors: tuple[EbmsError, ...] = ()
    for el in headers[0]:
        if not isinstance(el.tag, str) or el.tag == _eb("MessageHeader"):
            continue
        if el.tag == _eb("AckRequested"):
            reader.ack_requested(el)
            ack_requested = True
        elif el.tag == _eb("SyncReply"):
            reader.sync_reply(el)
            sync_reply = True
        elif el.tag == _eb("Acknowledgment"):
            acknowledgment = reader.acknowledgment(el)
        elif el.tag == _eb("ErrorList"):
            errors = reader.error_list(el)
        elif el.tag == _eb("MessageOrder"):
            reader.problem(
                EbmsErrorCode.NOT_SUPPORTED,
                "//Header/MessageOrder",
                "MessageOrder wordt niet ondersteund.",
            )
        elif el.get(_soap("mustUnderstand")) in _TRUE:
            name = etree.QName(el).localname
            reader.problem(
                EbmsErrorCode.NOT_SUPPORTED,
                f"//Header/{name}",
                f"Headerblok {el.tag} met mustUnderstand wordt niet ondersteund.",
            )

    body = bodies[0]
    manifest = reader.single(body, "Manifest")
    payloads = reader.manifest(manifest) if manifest is not None else ()
    request = reader.single(body, "StatusRequest")
    status_request_ref = reader.status_request(request) if request is not None else None
    response = reader.single(body, "StatusResponse")
    status_response = reader.status_response(response) if response is not None else None

    if header is None:
        raise EbmsReceiveError(reader.errors, None)
    if errors and header.ref_to_message_id is not None:
        errors = tuple(replace(e, ref_to_message_id=header.ref_to_message_id) for e in errors)
    msg = EbmsMessage(
        header=header,
        ack_requested=ack_requested,
        sync_reply=sync_reply,
        acknowledgment=acknowledgment,
        errors=errors,
        payloads=payloads,
        status_request_ref=status_request_ref,
        status_response=status_response,
        raw_envelope=raw,
    )
    reader.signal_rules(msg)
    if reader.errors:
        raise EbmsReceiveError(
            tuple(replace(e, ref_to_message_id=header.message_id) for e in reader.errors), header
        )
    return msg
