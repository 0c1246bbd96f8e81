"""Hardened XML parsing for everything that comes from outside.

Rules (architecture.md, "Hardened XML"):

- the size is checked before libxml2 sees a single byte;
- no DTD is loaded, no entity is resolved, nothing is fetched from the network;
- a document that carries a DOCTYPE at all is refused, so XXE and "billion laughs"
  documents fail before anything in them is expanded;
- ``huge_tree`` is switched on only for documents big enough to hold a text node over
  libxml2's 10 MB default limit (a 100 MB batch holds base64 attachments as big text
  nodes).

Every problem is raised as :class:`XmlInputError`, a ``ValueError`` with a plain Dutch
message meant for the user.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
# libxml2 refuses text nodes of 10,000,000 bytes or more unless XML_PARSE_HUGE is set.
# A document smaller than that cannot hold such a node, so it is parsed without it.
_HUGE_TREE_FROM = 10_000_000
# How far into the document the DOCTYPE pre-scan looks (comments and PIs may precede it).
_PROLOG_SCAN_BYTES = 64 * 1024

_DOCTYPE_IN_PROLOG = re.compile(
    r"\A\ufeff?(?:\s+|<\?.*?\?>|<!--.*?-->)*<!DOCTYPE", re.DOTALL | re.IGNORECASE
)


class XmlInputError(ValueError):
    """XML from outside could not be accepted. The message is plain Dutch for the user."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def _decode_prolog(data: bytes) -> str:
    """Decode the start of *data* well enough to look for a DOCTYPE."""
    head = data[:_PROLOG_SCAN_BYTES]
    if head.startswith((b"\xff\xfe", b"<\x00?\x00", b"<\x00!\x00")):
        return head.decode("utf-16-le", errors="ignore")
    if head.startswith((b"\xfe\xff", b"\x00<\x00?", b"\x00<\x00!")):
        return head.decode("utf-16-be", errors="ignore")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    # Latin-1 maps every byte to one character; enough to spot ASCII markup in UTF-8 too.
    return head.decode("latin-1")


def _refuse_doctype() -> XmlInputError:
    return XmlInputError(
        "Het XML-document bevat een DOCTYPE-declaratie. Die is om veiligheidsredenen niet "
        "toegestaan; verwijder de DOCTYPE en probeer het opnieuw."
    )


def _make_parser(*, huge: bool, remove_blank_text: bool = False) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=huge,
        remove_blank_text=remove_blank_text,
        collect_ids=False,
    )


def _parse(data: bytes, *, max_bytes: int, remove_blank_text: bool = False) -> Any:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("parse_xml verwacht bytes")
    data = bytes(data)
    size = len(data)
    if size > max_bytes:
        raise XmlInputError(
            f"Het XML-document is {size:,} bytes; maximaal {max_bytes:,} bytes toegestaan.".replace(
                ",", "."
            )
        )
    if not data.strip():
        raise XmlInputError("Het XML-document is leeg.")
    if _DOCTYPE_IN_PROLOG.match(_decode_prolog(data)):
        raise _refuse_doctype()

    parser = _make_parser(huge=size >= _HUGE_TREE_FROM, remove_blank_text=remove_blank_text)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) else None
        where = f" (regel {line})" if line else ""
        raise XmlInputError(
            f"Het XML-document is niet goed gevormd{where}: {exc.msg}", line=line
        ) from None
    if root is None:  # pragma: no cover - recover=False never gives None without an error
        raise XmlInputError("Het XML-document bevat geen element.")

    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise _refuse_doctype()
    return root


def parse_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse XML from outside the console; raise :class:`XmlInputError` when it is refused."""
    root: etree._Element = _parse(data, max_bytes=max_bytes)
    return root


def pretty_xml(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_text_chars: int | None = None,
) -> str:
    """Indented XML text for display, parsed with the same hardening as :func:`parse_xml`.

    With *max_text_chars*, longer text nodes (base64 attachments) are shortened for
    display and say how long they really are. The result is for people, not for sending.
    """
    root: etree._Element = _parse(data, max_bytes=max_bytes, remove_blank_text=True)
    if max_text_chars is not None:
        for el in root.iter():
            text = el.text
            if isinstance(el.tag, str) and text is not None and len(text) > max_text_chars:
                el.text = f"{text[:max_text_chars]}… ({len(text):,} tekens)".replace(",", ".")
    return str(etree.tostring(root, pretty_print=True, encoding="unicode"))
