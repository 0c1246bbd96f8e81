"""ebMS 2.0 on HTTP: SOAP with Attachments (``multipart/related``) in and out.

Outgoing (:func:`package`): a message with payloads becomes ``multipart/related;
type="text/xml"`` with the SOAP envelope as the start part and every payload in its own
part, raw (no Content-Transfer-Encoding, so binary data passes unchanged). A message
without payloads (Acknowledgment, MessageError, Ping, ...) is sent as plain ``text/xml``.
Every POST carries the HTTP header ``SOAPAction: "ebXML"`` (:data:`SOAP_ACTION`).

Incoming (:func:`parse_http`): the size and the MIME structure are checked before any XML
parser sees a byte; then the start part is parsed with the hardened
:func:`console.xml.parser.parse_xml` and read by
:func:`console.digikoppeling.ebms.reader.read_envelope`. Both ``multipart/related`` and
plain ``text/xml`` are accepted. Problems raise :class:`EbmsReceiveError`.
"""

from __future__ import annotations

import base64
import binascii
import email.message
import email.utils
import quopri
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from console.digikoppeling.ebms.envelope import build_envelope
from console.digikoppeling.ebms.model import SOAP_ACTION_HEADER, EbmsMessage, Payload
from console.digikoppeling.ebms.reader import EbmsReceiveError, read_envelope, receive_error
from console.domain.ebms_errors import EbmsErrorCode
from console.xml.parser import XmlInputError, parse_xml

__all__ = [
    "MAX_MIME_PARTS",
    "SOAP_ACTION",
    "SOAP_CONTENT_TYPE",
    "EbmsReceiveError",
    "is_ebms_soap_action",
    "package",
    "parse_http",
]

SOAP_ACTION = SOAP_ACTION_HEADER
SOAP_CONTENT_TYPE = "text/xml; charset=UTF-8"
MAX_MIME_PARTS = 1000
_MAX_PART_HEADER_BYTES = 16 * 1024
_LINE_END = re.compile(rb"[ \t]*\r?\n")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_BLANK_LINE = re.compile(rb"\r?\n")
# RFC 2046 bchars, without the space (a trailing space is not allowed anyway)
_BOUNDARY = re.compile(r"^[0-9A-Za-z'()+_,\-./:=?]{1,70}$")
_IDENTITY_ENCODINGS = frozenset({"", "7bit", "8bit", "binary"})
_CID_HOST = "berichtenbox-console.local"


def is_ebms_soap_action(value: str | None) -> bool:
    """True when an HTTP ``SOAPAction`` header says ebXML (quoted as required, or bare)."""
    return value is not None and value.strip().strip('"') == "ebXML"


# --- outgoing -------------------------------------------------------------------------------


def _mime_problem(description: str, location: str | None = None) -> EbmsReceiveError:
    return receive_error(EbmsErrorCode.MIME_PROBLEM, location, description)


def package(msg: EbmsMessage) -> tuple[str, bytes]:
    """``(Content-Type, body)`` for the HTTP POST of *msg*."""
    envelope = build_envelope(msg)
    if not msg.payloads:
        return SOAP_CONTENT_TYPE, envelope
    start = f"soap-{secrets.token_hex(12)}@{_CID_HOST}"
    parts: list[tuple[str, str, bytes | memoryview]] = [
        ("text/xml; charset=UTF-8", start, envelope)
    ]
    parts += [(p.content_type, p.content_id, p.data) for p in msg.payloads]
    boundary = f"MIMEBoundary_{secrets.token_hex(16)}"
    while any(boundary.encode("ascii") in bytes(data) for _, _, data in parts):  # pragma: no cover
        boundary = f"MIMEBoundary_{secrets.token_hex(16)}"
    delimiter = b"--" + boundary.encode("ascii")
    chunks: list[bytes | memoryview] = []
    for content_type, content_id, data in parts:
        chunks += [
            delimiter,
            b"\r\nContent-Type: ",
            content_type.encode("ascii"),
            b"\r\nContent-ID: <",
            content_id.encode("ascii"),
            b">\r\n\r\n",
            data,
            b"\r\n",
        ]
    chunks += [delimiter, b"--\r\n"]
    content_type = f'multipart/related; type="text/xml"; boundary="{boundary}"; start="<{start}>"'
    return content_type, b"".join(chunks)


# --- incoming -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Part:
    headers: dict[str, str]
    data: bytes | memoryview

    @property
    def content_id(self) -> str | None:
        raw = self.headers.get("content-id")
        if raw is None:
            return None
        return _strip_angle(raw)


def _strip_angle(value: str) -> str:
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    return value


def _content_type(value: str) -> tuple[str, dict[str, str]]:
    """Media type (lower case) and parameters (names in lower case, values unquoted)."""
    holder = email.message.Message()
    try:
        holder["content-type"] = value
        media = holder.get_content_type()
        raw_params = holder.get_params() or []
    except (ValueError, TypeError, IndexError) as exc:
        raise _mime_problem(f"Content-Type {value!r} is ongeldig.", "Content-Type") from exc
    params: dict[str, str] = {}
    for name, param in raw_params[1:]:
        params[name.lower()] = email.utils.collapse_rfc2231_value(param)
    declared = value.split(";", 1)[0].strip().lower()
    if declared != media:  # the email package falls back to text/plain on nonsense
        raise _mime_problem(f"Content-Type {value!r} is ongeldig.", "Content-Type")
    return media, params


def _check_charset(params: dict[str, str], where: str) -> None:
    charset = params.get("charset", "utf-8").strip().lower()
    if charset not in {"utf-8", "utf8"}:
        raise _mime_problem(f"Alleen UTF-8 is toegestaan, niet {charset!r}.", where)


def _delimiters(body: bytes, delimiter: bytes) -> Iterator[tuple[int, int, bool]]:
    """``(start, content_start, is_close)`` of each boundary line in *body*."""
    i = 0
    while (j := body.find(delimiter, i)) >= 0:
        i = j + 1
        if j and body[j - 1 : j] != b"\n":
            continue
        k = j + len(delimiter)
        if body.startswith(b"--", k):
            yield j, k + 2, True
            return
        line_end = _LINE_END.match(body, k)
        if line_end is None:
            continue  # the boundary text followed by more text: not a delimiter line
        yield j, line_end.end(), False


def _split(body: bytes, boundary: str) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of each part's content (headers included) in *body*."""
    delimiter = b"--" + boundary.encode("ascii")
    parts: list[tuple[int, int]] = []
    content_start: int | None = None
    closed = False
    for start, after, is_close in _delimiters(body, delimiter):
        if content_start is not None:
            end = start - 2 if body[start - 2 : start] == b"\r\n" else start - 1
            parts.append((content_start, max(end, content_start)))
            if len(parts) > MAX_MIME_PARTS:
                raise _mime_problem(f"Meer dan {MAX_MIME_PARTS} MIME-delen.")
        if is_close:
            closed = True
            break
        content_start = after
    if content_start is None:
        raise _mime_problem("De boundary uit de Content-Type komt niet voor in het bericht.")
    if not closed:
        raise _mime_problem("De afsluitende boundary ontbreekt; het bericht is afgebroken.")
    return parts


def _part(body: bytes, start: int, end: int, index: int) -> _Part:
    """One MIME part of *body* between the offsets.

    Content that needs no decoding is a view into *body*, not a copy: a batch payload is up to
    100 MB, and a fresh buffer that size costs more than the rest of the check.
    """
    where = f"MIME-deel {index}"
    blank = _BLANK_LINE.match(body, start, end)
    if blank is not None:  # no headers at all
        header_block, data_start = b"", blank.end()
    else:
        found = _HEADER_END.search(body, start, min(end, start + _MAX_PART_HEADER_BYTES))
        if found is None:
            raise _mime_problem(f"{where}: de kopregels zijn niet afgesloten met een lege regel.")
        header_block, data_start = body[start : found.start()], found.end()
    headers: dict[str, str] = {}
    lines: list[str] = []
    for line in header_block.decode("latin-1").replace("\r\n", "\n").split("\n"):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    for line in lines:
        if not line:
            continue
        name, sep, value = line.partition(":")
        name = name.strip().lower()
        if not sep or not name or " " in name:
            raise _mime_problem(f"{where}: ongeldige kopregel {line[:80]!r}.")
        if name in headers and name in {"content-id", "content-type", "content-transfer-encoding"}:
            raise _mime_problem(f"{where}: kopregel {name} komt twee keer voor.")
        headers[name] = value.strip()
    encoding = headers.get("content-transfer-encoding", "").strip().lower()
    data: bytes | memoryview
    if encoding == "base64":
        try:
            data = base64.b64decode(b"".join(body[data_start:end].split()), validate=True)
        except binascii.Error as exc:
            raise _mime_problem(f"{where}: ongeldige base64-inhoud.") from exc
    elif encoding == "quoted-printable":
        data = quopri.decodestring(body[data_start:end])
    elif encoding in _IDENTITY_ENCODINGS:
        data = memoryview(body)[data_start:end]
    else:
        raise _mime_problem(
            f"{where}: Content-Transfer-Encoding {encoding!r} wordt niet ondersteund."
        )
    return _Part(headers=headers, data=data)


def _related(params: dict[str, str], body: bytes) -> tuple[bytes, dict[str, Payload]]:
    boundary = params.get("boundary")
    if not boundary:
        raise _mime_problem(
            "De Content-Type multipart/related heeft geen boundary.", "Content-Type"
        )
    if not _BOUNDARY.match(boundary):
        raise _mime_problem(f"Ongeldige boundary {boundary!r}.", "Content-Type")
    root_type = params.get("type")
    if root_type is not None and root_type.strip().lower() != "text/xml":
        raise _mime_problem(
            f"multipart/related type moet text/xml zijn, niet {root_type!r}.", "Content-Type"
        )

    parts = [
        _part(body, start, end, index)
        for index, (start, end) in enumerate(_split(body, boundary), start=1)
    ]
    start_cid = _strip_angle(params["start"]) if params.get("start") else None
    if start_cid is None:
        start_part = parts[0]
    else:
        matches = [p for p in parts if p.content_id == start_cid]
        if not matches:
            raise _mime_problem(f"Het startdeel <{start_cid}> ontbreekt.", f"cid:{start_cid}")
        start_part = matches[0]
    media, part_params = _content_type(start_part.headers.get("content-type", ""))
    if media != "text/xml":
        raise _mime_problem(f"Het startdeel moet text/xml zijn (SOAP 1.1), niet {media!r}.")
    _check_charset(part_params, "Content-Type van het startdeel")

    attachments: dict[str, Payload] = {}
    for part in parts:
        cid = part.content_id
        if part is start_part or cid is None:
            continue
        if cid in attachments or cid == start_cid:
            raise _mime_problem(f"Content-ID <{cid}> komt meer dan eens voor.", f"cid:{cid}")
        try:
            attachments[cid] = Payload(
                content_id=cid,
                content_type=part.headers.get("content-type") or "application/octet-stream",
                data=part.data,
            )
        except ValueError as exc:
            raise _mime_problem(f"MIME-deel met ongeldige kopregels: {exc}", f"cid:{cid}") from exc
    return bytes(start_part.data), attachments


def split_http(content_type: str, body: bytes) -> tuple[bytes, list[Payload]]:
    """The SOAP envelope and the other MIME parts of a stored exchange, without reading XML.

    For showing evidence; raises :class:`EbmsReceiveError` (MimeProblem) as :func:`parse_http`.
    """
    media, params = _content_type(content_type or "")
    if media == "multipart/related":
        soap, attachments = _related(params, body)
        return soap, list(attachments.values())
    return body, []


def parse_http(content_type: str, body: bytes, *, max_bytes: int) -> EbmsMessage:
    """Read an ebMS message from an HTTP request or response body.

    Raises :class:`EbmsReceiveError` (MimeProblem, OtherXml, Inconsistent, ...) when the
    message is refused; its ``header`` is set when the header itself could be read.
    """
    size = len(body)
    if size > max_bytes:
        raise _mime_problem(
            f"Het bericht is {size} bytes; de grens is {max_bytes} bytes.", "Content-Length"
        )
    if not body or body.isspace():
        raise _mime_problem("Het bericht is leeg.")
    media, params = _content_type(content_type or "")
    if media == "multipart/related":
        soap, attachments = _related(params, body)
    elif media == "text/xml":
        _check_charset(params, "Content-Type")
        soap, attachments = body, {}
    else:
        raise _mime_problem(
            f"Content-Type {media!r} wordt niet ondersteund; verwacht multipart/related of text/xml.",
            "Content-Type",
        )
    try:
        root = parse_xml(soap, max_bytes=max_bytes)
    except XmlInputError as exc:
        raise receive_error(EbmsErrorCode.OTHER_XML, None, str(exc)) from exc
    return read_envelope(root, attachments, raw=soap)
