"""Check an inbound ebMS message the way the inbound endpoint does: one function for all.

:func:`check_inbound` is used by the engine's inbound endpoint and by the support tool
``berichtenbox-console ebms inspect`` (and its GUI twin), so what the tool reports is what
the endpoint would answer. The order of the checks:

1. size and MIME structure, before any XML parser sees a byte; then the hardened XML parser
   and the CPA-independent header checks (:func:`~console.digikoppeling.ebms.mime.parse_http`);
2. the CPA: known (``ValueNotRecognized``), agreed and valid at this moment
   (``Inconsistent``), From and To are parties of it (``Inconsistent``, as ebms-core);
3. the client certificate: present, and the OIN in its ``subject.serialNumber`` is the From
   PartyId (``SecurityFailure``);
4. for a business message: the From party may send and the To party may receive this
   service and action in these roles (``ValueNotRecognized``), RefToMessageId refers to a
   known message (``ValueNotRecognized``), TimeToLive has not passed
   (``TimeToLiveExpired``), and AckRequested, DuplicateElimination and SyncReply are what the
   sender's delivery channel in the CPA says (``Inconsistent``);
5. duplicate elimination: a MessageId seen before is flagged (it is acknowledged again,
   never processed again); that is not an error.

Locations use the XPath style of ebms-core (``//Header/MessageHeader/CPAId``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from console.digikoppeling.ebms.cpa import ALWAYS, NEVER, Cpa, CpaParty, DeliveryChannel
from console.digikoppeling.ebms.mime import EbmsReceiveError, parse_http
from console.digikoppeling.ebms.model import (
    ACTION_ACKNOWLEDGMENT,
    ACTION_MESSAGE_ERROR,
    SERVICE_EBMS,
    EbmsError,
    EbmsMessage,
    MessageHeader,
    Party,
)
from console.domain.ebms_errors import EbmsErrorCode
from console.domain.oin import strip_party_prefix

# Signals that are never answered with a MessageError (ebMS 2.0 §4.2.4.2).
NO_ERROR_REPLY = frozenset({ACTION_MESSAGE_ERROR, ACTION_ACKNOWLEDGMENT})

CpaLookup = Callable[[str], Cpa | None]
Seen = Callable[[str], bool]

CERTIFICATE_NOT_CHECKED = (
    "Het clientcertificaat is niet gecontroleerd: er is geen TLS-verbinding. Geef het OIN "
    "van het certificaat op om die controle na te bootsen."
)


@dataclass(frozen=True, slots=True)
class InboundVerdict:
    """What the inbound endpoint concludes about one POST.

    ``errors`` are the ebMS errors it would return (in a MessageError when
    :attr:`may_reply`); ``channel`` is the sender's delivery channel in the CPA (it says
    whether signals go back synchronously); ``duplicate`` means the MessageId was seen
    before within the duplicate-elimination window.
    """

    message: EbmsMessage | None
    header: MessageHeader | None
    errors: tuple[EbmsError, ...] = ()
    cpa: Cpa | None = None
    from_party: CpaParty | None = None
    channel: DeliveryChannel | None = None
    duplicate: bool = False
    notes: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def may_reply(self) -> bool:
        """A MessageError may go back: the header was readable and it is not itself a signal
        that must never be answered with an error."""
        return self.header is not None and not (
            self.header.service == SERVICE_EBMS and self.header.action in NO_ERROR_REPLY
        )

    @property
    def sync_reply(self) -> bool:
        """Signals for this message go back on the same HTTP connection."""
        if self.message is not None and self.message.sync_reply:
            return True
        return self.channel is not None and self.channel.characteristics.sync


def _error(code: EbmsErrorCode, location: str, description: str, ref: str | None) -> EbmsError:
    return EbmsError(str(code), location=location, description=description, ref_to_message_id=ref)


def _bare(party: Party) -> str:
    return strip_party_prefix(party.party_id)


def check_inbound(
    content_type: str,
    body: bytes,
    *,
    cpa_for: CpaLookup,
    now: datetime,
    max_bytes: int,
    peer_oin: str | None,
    check_client_certificate: bool = True,
    seen: Seen | None = None,
    known_message: Seen | None = None,
) -> InboundVerdict:
    """Check one inbound HTTP body against the CPAs; see the module docstring for the order.

    *cpa_for* finds the CPA for a CPAId; *seen* says whether a MessageId was received before
    (duplicate elimination); *known_message* whether a RefToMessageId refers to a message
    this MSH knows. *peer_oin* is the OIN of the TLS client certificate; with
    ``check_client_certificate=False`` (the support tool without a TLS connection) that
    check is skipped and a note says so.
    """
    try:
        msg = parse_http(content_type, body, max_bytes=max_bytes)
    except EbmsReceiveError as exc:
        return InboundVerdict(message=None, header=exc.header, errors=exc.errors)
    h = msg.header
    ref = h.message_id
    notes: list[str] = []
    errors: list[EbmsError] = []

    cpa = cpa_for(h.cpa_id)
    if cpa is None:
        errors.append(
            _error(
                EbmsErrorCode.VALUE_NOT_RECOGNIZED,
                "//Header/MessageHeader/CPAId",
                f"CPA {h.cpa_id} is hier niet bekend.",
                ref,
            )
        )
        return InboundVerdict(msg, h, tuple(errors))
    if not cpa.is_valid_at(now):
        errors.append(
            _error(
                EbmsErrorCode.INCONSISTENT,
                "//Header/MessageHeader/CPAId",
                f"CPA {cpa.cpa_id} is op dit moment niet geldig (status {cpa.status}, geldig "
                f"van {cpa.start:%Y-%m-%d} tot {cpa.end:%Y-%m-%d}).",
                ref,
            )
        )
    from_party = cpa.party(h.from_party.party_id, h.from_party.party_type)
    to_party = cpa.party(h.to_party.party_id, h.to_party.party_type)
    for side, party, found in (("From", h.from_party, from_party), ("To", h.to_party, to_party)):
        if found is None:
            kind = f" van type {party.party_type}" if party.party_type else ""
            errors.append(
                _error(
                    EbmsErrorCode.INCONSISTENT,
                    f"//Header/MessageHeader/{side}/PartyId",
                    f"PartyId {party.party_id}{kind} is geen partij van CPA {cpa.cpa_id}.",
                    ref,
                )
            )
    if from_party is not None and to_party is not None and from_party is to_party:
        errors.append(
            _error(
                EbmsErrorCode.INCONSISTENT,
                "//Header/MessageHeader/To/PartyId",
                "From en To zijn dezelfde partij van de CPA.",
                ref,
            )
        )

    if check_client_certificate:
        sender = _bare(h.from_party)
        if peer_oin is None:
            errors.append(
                _error(
                    EbmsErrorCode.SECURITY_FAILURE,
                    "//Header/MessageHeader/From/PartyId",
                    "Er is geen clientcertificaat met een OIN gebruikt; tweezijdig TLS is "
                    "verplicht.",
                    ref,
                )
            )
        elif strip_party_prefix(peer_oin) != sender:
            errors.append(
                _error(
                    EbmsErrorCode.SECURITY_FAILURE,
                    "//Header/MessageHeader/From/PartyId",
                    f"Het OIN in het clientcertificaat ({peer_oin}) is niet het From-PartyId "
                    f"({sender}).",
                    ref,
                )
            )
    else:
        notes.append(CERTIFICATE_NOT_CHECKED)

    if from_party is None or to_party is None or errors:
        return InboundVerdict(msg, h, tuple(errors), cpa, from_party, notes=tuple(notes))

    if msg.is_signal:
        channel = from_party.default_channel
    else:
        channel = _business_checks(msg, cpa, from_party, to_party, now, known_message, errors)
    duplicate = bool(not errors and seen is not None and seen(h.message_id))
    return InboundVerdict(
        msg, h, tuple(errors), cpa, from_party, channel, duplicate=duplicate, notes=tuple(notes)
    )


def _business_checks(
    msg: EbmsMessage,
    cpa: Cpa,
    from_party: CpaParty,
    to_party: CpaParty,
    now: datetime,
    known_message: Seen | None,
    errors: list[EbmsError],
) -> DeliveryChannel | None:
    h = msg.header
    ref = h.message_id
    service = f"{h.service} ({h.service_type})" if h.service_type else h.service
    for side, party, cpa_party in (
        ("From", h.from_party, from_party),
        ("To", h.to_party, to_party),
    ):
        if party.role is not None and party.role not in cpa_party.roles:
            errors.append(
                _error(
                    EbmsErrorCode.VALUE_NOT_RECOGNIZED,
                    f"//Header/MessageHeader/{side}/Role",
                    f"Rol {party.role} is niet de rol van {cpa_party.name} in CPA {cpa.cpa_id} "
                    f"({', '.join(cpa_party.roles)}).",
                    ref,
                )
            )
    if errors:
        return None
    send = from_party.binding("send", h.service, h.service_type, h.action, h.from_party.role)
    receive = to_party.binding("receive", h.service, h.service_type, h.action, h.to_party.role)
    if send is None:
        errors.append(
            _error(
                EbmsErrorCode.VALUE_NOT_RECOGNIZED,
                "//Header/MessageHeader/Action",
                f"{from_party.name} mag volgens CPA {cpa.cpa_id} geen {h.action} van dienst "
                f"{service} versturen.",
                ref,
            )
        )
    if receive is None:
        errors.append(
            _error(
                EbmsErrorCode.VALUE_NOT_RECOGNIZED,
                "//Header/MessageHeader/Action",
                f"{to_party.name} mag volgens CPA {cpa.cpa_id} geen {h.action} van dienst "
                f"{service} ontvangen.",
                ref,
            )
        )
    ref_to = h.ref_to_message_id
    if ref_to is not None and known_message is not None and not known_message(ref_to):
        errors.append(
            _error(
                EbmsErrorCode.VALUE_NOT_RECOGNIZED,
                "//Header/MessageHeader/MessageData/RefToMessageId",
                f"RefToMessageId {ref_to} verwijst naar een onbekend bericht.",
                ref,
            )
        )
    if h.time_to_live is not None and now >= h.time_to_live:
        errors.append(
            _error(
                EbmsErrorCode.TIME_TO_LIVE_EXPIRED,
                "//Header/MessageHeader/MessageData/TimeToLive",
                f"De TimeToLive ({h.time_to_live:%Y-%m-%d %H:%M:%S} UTC) is verstreken.",
                ref,
            )
        )
    if send is None:
        return None
    channel = from_party.channel_for(send)
    if channel is None:
        return None
    mc = channel.characteristics
    for location, present, value, what in (
        (
            "//Header/MessageHeader/DuplicateElimination",
            h.duplicate_elimination,
            mc.duplicate_elimination,
            "DuplicateElimination",
        ),
        ("//Header/AckRequested", msg.ack_requested, mc.ack_requested, "AckRequested"),
    ):
        if value == ALWAYS and not present:
            errors.append(
                _error(
                    EbmsErrorCode.INCONSISTENT,
                    location,
                    f"{what} ontbreekt, maar de CPA ({channel.channel_id}) vraagt het altijd.",
                    ref,
                )
            )
        elif value == NEVER and present:
            errors.append(
                _error(
                    EbmsErrorCode.INCONSISTENT,
                    location,
                    f"{what} staat erin, maar de CPA ({channel.channel_id}) sluit het uit.",
                    ref,
                )
            )
    if mc.sync and not msg.sync_reply:
        errors.append(
            _error(
                EbmsErrorCode.INCONSISTENT,
                "//Header/SyncReply",
                f"SyncReply ontbreekt, maar de CPA vraagt syncReplyMode {mc.sync_reply_mode}.",
                ref,
            )
        )
    elif not mc.sync and msg.sync_reply:
        errors.append(
            _error(
                EbmsErrorCode.INCONSISTENT,
                "//Header/SyncReply",
                "SyncReply staat erin, maar de CPA vraagt syncReplyMode none.",
                ref,
            )
        )
    return channel
