"""Build ebMS 2.0 SOAP envelopes, and the factories that make common messages right.

The envelope follows the OASIS ebMS 2.0 schema (``msg-header-2_0.xsd``) and the
Digikoppeling ebMS2 rules (interface reference §4.3): ``eb:PartyId`` with ``eb:type``,
timestamps in UTC with ``Z``, end-to-end acknowledgments only (``toPartyMSH``), never
signed (profile osb-rm), and a Manifest that only points at MIME parts via ``cid:``.

Use the factories (:func:`user_message`, :func:`acknowledgment_for`,
:func:`message_error_for`, :func:`ping`, :func:`pong_for`, :func:`status_request`,
:func:`status_response_for`) rather than assembling :class:`EbmsMessage` by hand: they
swap From/To, copy CPAId and ConversationId, and set RefToMessageId the way the
standard wants.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from lxml import etree

from console.digikoppeling.ebms.model import (
    ACTION_ACKNOWLEDGMENT,
    ACTION_MESSAGE_ERROR,
    ACTION_PING,
    ACTION_PONG,
    ACTION_STATUS_REQUEST,
    ACTION_STATUS_RESPONSE,
    EBMS_VERSION,
    ERROR_CODE_CONTEXT,
    NS_EB,
    NS_SOAP,
    NS_XLINK,
    NS_XML,
    SERVICE_EBMS,
    SOAP_NEXT_ACTOR,
    STATUSES_WITH_TIMESTAMP,
    TO_PARTY_MSH_ACTOR,
    Acknowledgment,
    EbmsError,
    EbmsMessage,
    MessageHeader,
    Party,
    Payload,
    StatusResponse,
)
from console.domain.ids import new_guid, new_message_id

_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_NSMAP = {"soap": NS_SOAP, "eb": NS_EB, "xlink": NS_XLINK}


def _eb(local: str) -> str:
    return f"{{{NS_EB}}}{local}"


def _soap(local: str) -> str:
    return f"{{{NS_SOAP}}}{local}"


def format_timestamp(value: datetime) -> str:
    """xs:dateTime in UTC with ``Z``; milliseconds, or microseconds when they are not zero."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("ebMS-tijden moeten een tijdzone hebben")
    utc = value.astimezone(UTC)
    spec = "milliseconds" if utc.microsecond % 1000 == 0 else "microseconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _now() -> datetime:
    """Now in UTC, to the millisecond (the usual precision of ebMS timestamps)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond - now.microsecond % 1000)


# --- building -------------------------------------------------------------------------------


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, tag)
    if text is not None:
        child.text = text
    return child


def _header_extension(parent: etree._Element, tag: str, *, actor: str | None) -> etree._Element:
    """An element of headerExtension.grp: eb:version and soap:mustUnderstand are required."""
    el = _sub(parent, tag)
    el.set(_eb("version"), EBMS_VERSION)
    el.set(_soap("mustUnderstand"), "1")
    if actor is not None:
        el.set(_soap("actor"), actor)
    return el


def _party(parent: etree._Element, tag: str, party: Party, *, with_role: bool) -> None:
    el = _sub(parent, tag)
    pid = _sub(el, _eb("PartyId"), party.party_id)
    if party.party_type is not None:
        pid.set(_eb("type"), party.party_type)
    if with_role and party.role is not None:
        _sub(el, _eb("Role"), party.role)


def _message_header(parent: etree._Element, h: MessageHeader) -> None:
    mh = _header_extension(parent, _eb("MessageHeader"), actor=None)
    _party(mh, _eb("From"), h.from_party, with_role=True)
    _party(mh, _eb("To"), h.to_party, with_role=True)
    _sub(mh, _eb("CPAId"), h.cpa_id)
    _sub(mh, _eb("ConversationId"), h.conversation_id)
    service = _sub(mh, _eb("Service"), h.service)
    if h.service_type is not None:
        service.set(_eb("type"), h.service_type)
    _sub(mh, _eb("Action"), h.action)
    data = _sub(mh, _eb("MessageData"))
    _sub(data, _eb("MessageId"), h.message_id)
    _sub(data, _eb("Timestamp"), format_timestamp(h.timestamp))
    if h.ref_to_message_id is not None:
        _sub(data, _eb("RefToMessageId"), h.ref_to_message_id)
    if h.time_to_live is not None:
        _sub(data, _eb("TimeToLive"), format_timestamp(h.time_to_live))
    if h.duplicate_elimination:
        _sub(mh, _eb("DuplicateElimination"))


def _error_list(parent: etree._Element, msg: EbmsMessage) -> None:
    el = _header_extension(parent, _eb("ErrorList"), actor=None)
    el.set(_eb("highestSeverity"), msg.highest_severity or "Error")
    for error in msg.errors:
        err = _sub(el, _eb("Error"))
        err.set(_eb("errorCode"), error.code)
        err.set(_eb("severity"), error.severity)
        err.set(_eb("codeContext"), ERROR_CODE_CONTEXT)
        if error.location:
            err.set(_eb("location"), error.location)
        if error.description:
            desc = _sub(err, _eb("Description"), error.description)
            desc.set(f"{{{NS_XML}}}lang", "nl")


def build_envelope(msg: EbmsMessage) -> bytes:
    """The SOAP 1.1 envelope of *msg* as UTF-8 bytes with an XML declaration."""
    envelope = etree.Element(_soap("Envelope"), nsmap=_NSMAP)
    header = _sub(envelope, _soap("Header"))
    _message_header(header, msg.header)
    if msg.sync_reply:
        _header_extension(header, _eb("SyncReply"), actor=SOAP_NEXT_ACTOR)
    if msg.ack_requested:
        ack_req = _header_extension(header, _eb("AckRequested"), actor=TO_PARTY_MSH_ACTOR)
        ack_req.set(_eb("signed"), "false")
    if msg.acknowledgment is not None:
        ack = _header_extension(header, _eb("Acknowledgment"), actor=TO_PARTY_MSH_ACTOR)
        _sub(ack, _eb("Timestamp"), format_timestamp(msg.acknowledgment.timestamp))
        _sub(ack, _eb("RefToMessageId"), msg.acknowledgment.ref_to_message_id)
        _party(ack, _eb("From"), msg.header.from_party, with_role=False)
    if msg.errors:
        _error_list(header, msg)

    body = _sub(envelope, _soap("Body"))
    if msg.payloads:
        manifest = _sub(body, _eb("Manifest"))
        manifest.set(_eb("version"), EBMS_VERSION)
        for payload in msg.payloads:
            ref = _sub(manifest, _eb("Reference"))
            ref.set(f"{{{NS_XLINK}}}href", f"cid:{payload.content_id}")
            ref.set(f"{{{NS_XLINK}}}type", "simple")
    if msg.status_request_ref is not None:
        req = _sub(body, _eb("StatusRequest"))
        req.set(_eb("version"), EBMS_VERSION)
        _sub(req, _eb("RefToMessageId"), msg.status_request_ref)
    if msg.status_response is not None:
        resp = _sub(body, _eb("StatusResponse"))
        resp.set(_eb("version"), EBMS_VERSION)
        resp.set(_eb("messageStatus"), msg.status_response.message_status)
        _sub(resp, _eb("RefToMessageId"), msg.status_response.ref_to_message_id)
        if msg.status_response.timestamp is not None:
            _sub(resp, _eb("Timestamp"), format_timestamp(msg.status_response.timestamp))
    return _XML_DECLARATION + bytes(
        etree.tostring(envelope, encoding="UTF-8", xml_declaration=False)
    )


# --- factories ------------------------------------------------------------------------------


def user_message(
    cpa_id: str,
    from_party: Party,
    to_party: Party,
    service: str,
    service_type: str | None,
    action: str,
    payloads: Sequence[Payload],
    *,
    conversation_id: str | None = None,
    message_id: str | None = None,
    ack_requested: bool = True,
    duplicate_elimination: bool = True,
    sync_reply: bool = False,
    time_to_live: datetime | None = None,
) -> EbmsMessage:
    """A business message. The defaults are the osb-rm ones: ack requested, duplicates removed."""
    if service == SERVICE_EBMS:
        raise ValueError("een bedrijfsbericht kan de ebMS-dienst zelf niet gebruiken")
    if from_party.role is None or to_party.role is None:
        raise ValueError("bij een bedrijfsbericht hebben From en To elk een Role (uit de CPA)")
    content_ids = [p.content_id for p in payloads]
    if len(set(content_ids)) != len(content_ids):
        raise ValueError("elke payload moet een eigen Content-ID hebben")
    header = MessageHeader(
        cpa_id=cpa_id,
        conversation_id=conversation_id or new_guid(),
        from_party=from_party,
        to_party=to_party,
        service=service,
        service_type=service_type,
        action=action,
        message_id=message_id or new_message_id(),
        timestamp=_now(),
        time_to_live=time_to_live,
        duplicate_elimination=duplicate_elimination,
    )
    return EbmsMessage(
        header=header,
        ack_requested=ack_requested,
        sync_reply=sync_reply,
        payloads=tuple(payloads),
    )


def _reply_header(
    to: MessageHeader, action: str, *, message_id: str | None, timestamp: datetime
) -> MessageHeader:
    """Header of an MSH signal answering *to*: From/To swapped, same CPA and conversation."""
    return MessageHeader(
        cpa_id=to.cpa_id,
        conversation_id=to.conversation_id,
        from_party=to.to_party,
        to_party=to.from_party,
        service=SERVICE_EBMS,
        service_type=None,
        action=action,
        message_id=message_id or new_message_id(),
        timestamp=timestamp,
        ref_to_message_id=to.message_id,
    )


def _signal_header(
    cpa_id: str,
    from_party: Party,
    to_party: Party,
    action: str,
    *,
    conversation_id: str | None,
    message_id: str | None,
) -> MessageHeader:
    return MessageHeader(
        cpa_id=cpa_id,
        conversation_id=conversation_id or new_guid(),
        from_party=from_party,
        to_party=to_party,
        service=SERVICE_EBMS,
        service_type=None,
        action=action,
        message_id=message_id or new_message_id(),
        timestamp=_now(),
    )


def acknowledgment_for(msg: EbmsMessage, *, message_id: str | None = None) -> EbmsMessage:
    """The end-to-end Acknowledgment of *msg*."""
    if msg.is_acknowledgment or msg.is_message_error:
        raise ValueError("een Acknowledgment of MessageError wordt zelf niet bevestigd")
    now = _now()
    header = _reply_header(msg.header, ACTION_ACKNOWLEDGMENT, message_id=message_id, timestamp=now)
    return EbmsMessage(
        header=header,
        acknowledgment=Acknowledgment(ref_to_message_id=msg.header.message_id, timestamp=now),
    )


def message_error_for(
    msg_or_header: EbmsMessage | MessageHeader,
    errors: Sequence[EbmsError],
    *,
    message_id: str | None = None,
) -> EbmsMessage:
    """A MessageError reporting *errors* about the message with this header."""
    if not errors:
        raise ValueError("een MessageError heeft minstens één fout nodig")
    header = msg_or_header.header if isinstance(msg_or_header, EbmsMessage) else msg_or_header
    reply = _reply_header(header, ACTION_MESSAGE_ERROR, message_id=message_id, timestamp=_now())
    about = tuple(
        e if e.ref_to_message_id is not None else replace(e, ref_to_message_id=header.message_id)
        for e in errors
    )
    return EbmsMessage(header=reply, errors=about)


def ping(
    cpa_id: str,
    from_party: Party,
    to_party: Party,
    *,
    conversation_id: str | None = None,
    message_id: str | None = None,
    sync_reply: bool = False,
) -> EbmsMessage:
    """A Ping of the MSH service (optional in Digikoppeling; answered with a Pong)."""
    header = _signal_header(
        cpa_id,
        from_party,
        to_party,
        ACTION_PING,
        conversation_id=conversation_id,
        message_id=message_id,
    )
    return EbmsMessage(header=header, sync_reply=sync_reply)


def pong_for(msg: EbmsMessage, *, message_id: str | None = None) -> EbmsMessage:
    """The Pong answering the Ping *msg*."""
    if not msg.is_ping:
        raise ValueError("alleen een Ping krijgt een Pong")
    return EbmsMessage(
        header=_reply_header(msg.header, ACTION_PONG, message_id=message_id, timestamp=_now())
    )


def status_request(
    cpa_id: str,
    from_party: Party,
    to_party: Party,
    ref_to_message_id: str,
    *,
    conversation_id: str | None = None,
    message_id: str | None = None,
    sync_reply: bool = False,
) -> EbmsMessage:
    """Ask the other MSH what it knows of the message *ref_to_message_id*."""
    if not ref_to_message_id:
        raise ValueError("een StatusRequest verwijst naar een MessageId")
    header = _signal_header(
        cpa_id,
        from_party,
        to_party,
        ACTION_STATUS_REQUEST,
        conversation_id=conversation_id,
        message_id=message_id,
    )
    return EbmsMessage(header=header, sync_reply=sync_reply, status_request_ref=ref_to_message_id)


def status_response_for(
    msg: EbmsMessage,
    status: str,
    timestamp: datetime | None = None,
    *,
    message_id: str | None = None,
) -> EbmsMessage:
    """Answer the StatusRequest *msg*. *timestamp* is when the asked-about message arrived;
    it is only allowed for Received, Processed and Forwarded."""
    if not msg.is_status_request or msg.status_request_ref is None:
        raise ValueError("alleen een StatusRequest krijgt een StatusResponse")
    if timestamp is not None and status not in STATUSES_WITH_TIMESTAMP:
        raise ValueError(f"bij messageStatus {status} hoort geen Timestamp")
    header = _reply_header(
        msg.header, ACTION_STATUS_RESPONSE, message_id=message_id, timestamp=_now()
    )
    return EbmsMessage(
        header=header,
        status_response=StatusResponse(
            ref_to_message_id=msg.status_request_ref, message_status=status, timestamp=timestamp
        ),
    )
