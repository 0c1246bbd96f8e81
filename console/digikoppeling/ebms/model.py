"""ebMS 2.0 messages as plain data (Digikoppeling ebMS2, profile osb-rm).

These frozen dataclasses are what the rest of the console sees of an ebMS message. They
are built by the factories in :mod:`console.digikoppeling.ebms.envelope`, written to the
wire by :func:`~console.digikoppeling.ebms.envelope.build_envelope` and
:func:`~console.digikoppeling.ebms.mime.package`, and read back by
:func:`~console.digikoppeling.ebms.mime.parse_http`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from console.domain.oin import PARTY_ID_TYPE

# --- namespaces -----------------------------------------------------------------------------

NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS_EB = "http://www.oasis-open.org/committees/ebxml-msg/schema/msg-header-2_0.xsd"
NS_XLINK = "http://www.w3.org/1999/xlink"
NS_XML = "http://www.w3.org/XML/1998/namespace"

# --- fixed protocol values ------------------------------------------------------------------

EBMS_VERSION = "2.0"
SERVICE_EBMS = "urn:oasis:names:tc:ebxml-msg:service"
ACTION_ACKNOWLEDGMENT = "Acknowledgment"
ACTION_MESSAGE_ERROR = "MessageError"
ACTION_PING = "Ping"
ACTION_PONG = "Pong"
ACTION_STATUS_REQUEST = "StatusRequest"
ACTION_STATUS_RESPONSE = "StatusResponse"
MSH_ACTIONS = frozenset(
    {
        ACTION_ACKNOWLEDGMENT,
        ACTION_MESSAGE_ERROR,
        ACTION_PING,
        ACTION_PONG,
        ACTION_STATUS_REQUEST,
        ACTION_STATUS_RESPONSE,
    }
)

SOAP_ACTION_HEADER = '"ebXML"'
TO_PARTY_MSH_ACTOR = "urn:oasis:names:tc:ebxml-msg:actor:toPartyMSH"
NEXT_MSH_ACTOR = "urn:oasis:names:tc:ebxml-msg:actor:nextMSH"
SOAP_NEXT_ACTOR = "http://schemas.xmlsoap.org/soap/actor/next"
ERROR_CODE_CONTEXT = "urn:oasis:names:tc:ebxml-msg:service:errors"

SEVERITY_ERROR = "Error"
SEVERITY_WARNING = "Warning"
SEVERITIES = frozenset({SEVERITY_ERROR, SEVERITY_WARNING})

# eb:StatusResponse/@messageStatus (msg-header-2_0.xsd messageStatus.type)
STATUS_UNAUTHORIZED = "UnAuthorized"
STATUS_NOT_RECOGNIZED = "NotRecognized"
STATUS_RECEIVED = "Received"
STATUS_PROCESSED = "Processed"
STATUS_FORWARDED = "Forwarded"
MESSAGE_STATUSES = frozenset(
    {
        STATUS_UNAUTHORIZED,
        STATUS_NOT_RECOGNIZED,
        STATUS_RECEIVED,
        STATUS_PROCESSED,
        STATUS_FORWARDED,
    }
)
# ebMS 2.0 §7.3.2: a Timestamp is only given for a message the MSH actually holds.
STATUSES_WITH_TIMESTAMP = frozenset({STATUS_RECEIVED, STATUS_PROCESSED, STATUS_FORWARDED})

# A MIME Content-ID (without the angle brackets) must not be able to break a header line
# or the <...> framing.
_CONTENT_ID = re.compile(r"^[^\s<>\"]+$")
_HEADER_VALUE_FORBIDDEN = re.compile(r"[\r\n\x00]")


def _require_aware(name: str, value: datetime | None) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} moet een tijdzone hebben (ebMS-tijden zijn UTC)")


@dataclass(frozen=True, slots=True)
class Party:
    """One side of the exchange: ``eb:PartyId`` (+ ``@eb:type``) and ``eb:Role``.

    ``party_id`` is the bare id as in the CPA (e.g. ``00000099000000001000``).
    ``party_type`` is ``urn:osb:oin`` for an OIN (Digikoppeling requires it); ``None``
    leaves the attribute out, which ebMS only allows when the id itself is a URI.
    """

    party_id: str
    role: str | None
    party_type: str | None = PARTY_ID_TYPE

    def __post_init__(self) -> None:
        if not self.party_id:
            raise ValueError("PartyId mag niet leeg zijn")


@dataclass(frozen=True, slots=True)
class MessageHeader:
    """``eb:MessageHeader``. Timestamps are timezone-aware and written as UTC."""

    cpa_id: str
    conversation_id: str
    from_party: Party
    to_party: Party
    service: str
    service_type: str | None
    action: str
    message_id: str
    timestamp: datetime
    ref_to_message_id: str | None = None
    time_to_live: datetime | None = None
    duplicate_elimination: bool = False

    def __post_init__(self) -> None:
        for name in ("cpa_id", "conversation_id", "service", "action", "message_id"):
            if not getattr(self, name):
                raise ValueError(f"{name} mag niet leeg zijn")
        _require_aware("timestamp", self.timestamp)
        _require_aware("time_to_live", self.time_to_live)


@dataclass(frozen=True, slots=True)
class Payload:
    """A business document in its own MIME part, referenced from ``eb:Manifest`` as ``cid:``.

    A received payload is a read-only view into the HTTP body (no copy of up to 100 MB);
    ``bytes(payload.data)`` gives bytes (free when it already is).
    """

    content_id: str
    content_type: str
    data: bytes | memoryview = field(repr=False)

    def __post_init__(self) -> None:
        if not _CONTENT_ID.match(self.content_id):
            raise ValueError(
                f"Content-ID {self.content_id!r} is ongeldig: geen spaties, <, > of aanhalingstekens"
            )
        if not self.content_type or _HEADER_VALUE_FORBIDDEN.search(self.content_type):
            raise ValueError(f"Content-Type {self.content_type!r} is ongeldig")


@dataclass(frozen=True, slots=True)
class EbmsError:
    """One ``eb:Error`` of an ``eb:ErrorList``.

    ``code`` is an ebMS 2.0 error code (see :class:`console.domain.ebms_errors.EbmsErrorCode`).
    ``ref_to_message_id`` is not an XML field of ``eb:Error``; it records which message the
    error is about (the MessageError's ``RefToMessageId``) when an error is read or kept.
    """

    code: str
    severity: str = SEVERITY_ERROR
    location: str | None = None
    description: str | None = None
    ref_to_message_id: str | None = None

    def __post_init__(self) -> None:
        if not self.code:
            raise ValueError("errorCode mag niet leeg zijn")
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity moet Error of Warning zijn, niet {self.severity!r}")


@dataclass(frozen=True, slots=True)
class Acknowledgment:
    """``eb:Acknowledgment``: the end-to-end (toPartyMSH) receipt of a message."""

    ref_to_message_id: str
    timestamp: datetime

    def __post_init__(self) -> None:
        _require_aware("timestamp", self.timestamp)


@dataclass(frozen=True, slots=True)
class StatusResponse:
    """``eb:StatusResponse`` in the body of a StatusResponse message."""

    ref_to_message_id: str
    message_status: str
    timestamp: datetime | None = None

    def __post_init__(self) -> None:
        if self.message_status not in MESSAGE_STATUSES:
            raise ValueError(f"onbekende messageStatus {self.message_status!r}")
        _require_aware("timestamp", self.timestamp)


@dataclass(frozen=True, slots=True)
class EbmsMessage:
    """A whole ebMS message: header, header extensions, body elements and payloads.

    ``raw_envelope`` holds the SOAP envelope as received (empty for messages built here);
    it does not take part in equality.
    """

    header: MessageHeader
    ack_requested: bool = False
    sync_reply: bool = False
    acknowledgment: Acknowledgment | None = None
    errors: tuple[EbmsError, ...] = ()
    payloads: tuple[Payload, ...] = ()
    status_request_ref: str | None = None
    status_response: StatusResponse | None = None
    raw_envelope: bytes = field(default=b"", repr=False, compare=False)

    def _is_msh(self, action: str) -> bool:
        return self.header.service == SERVICE_EBMS and self.header.action == action

    @property
    def is_acknowledgment(self) -> bool:
        return self._is_msh(ACTION_ACKNOWLEDGMENT)

    @property
    def is_message_error(self) -> bool:
        return self._is_msh(ACTION_MESSAGE_ERROR)

    @property
    def is_ping(self) -> bool:
        return self._is_msh(ACTION_PING)

    @property
    def is_pong(self) -> bool:
        return self._is_msh(ACTION_PONG)

    @property
    def is_status_request(self) -> bool:
        return self._is_msh(ACTION_STATUS_REQUEST)

    @property
    def is_status_response(self) -> bool:
        return self._is_msh(ACTION_STATUS_RESPONSE)

    @property
    def is_signal(self) -> bool:
        """True for every message of the MSH service itself (not a business message)."""
        return self.header.service == SERVICE_EBMS

    @property
    def highest_severity(self) -> str | None:
        if not self.errors:
            return None
        if any(e.severity == SEVERITY_ERROR for e in self.errors):
            return SEVERITY_ERROR
        return SEVERITY_WARNING
