"""Hardened parsing: DOCTYPE refused (XXE, billion laughs), size limits, big text nodes."""

from __future__ import annotations

import pytest
from lxml import etree

from console.xml.names import (
    find_local,
    find_path_local,
    findall_local,
    local_name,
    namespace_of,
    text_local,
)
from console.xml.parser import XmlInputError, parse_xml, pretty_xml

XXE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<foo>&xxe;</foo>
"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>
"""


def test_parses_plain_document() -> None:
    root = parse_xml(b'<?xml version="1.0"?><a xmlns="urn:x"><b>tekst</b></a>')
    assert local_name(root) == "a"
    assert find_local(root, "b") is not None


def test_xxe_on_etc_passwd_is_refused_without_reading_it() -> None:
    with pytest.raises(XmlInputError) as info:
        parse_xml(XXE)
    message = str(info.value)
    assert "DOCTYPE" in message
    assert "root:" not in message


def test_billion_laughs_is_refused() -> None:
    with pytest.raises(XmlInputError, match="DOCTYPE"):
        parse_xml(BILLION_LAUGHS)


def test_external_dtd_reference_is_refused() -> None:
    doc = b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd"><r/>'
    with pytest.raises(XmlInputError, match="DOCTYPE"):
        parse_xml(doc)


def test_doctype_after_comments_and_bom_is_refused() -> None:
    doc = (
        b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- commentaar -->\n<?pi x?>" + XXE.split(b"?>", 1)[1]
    )
    with pytest.raises(XmlInputError, match="DOCTYPE"):
        parse_xml(doc)


def test_doctype_in_utf16_document_is_refused() -> None:
    doc = XXE.decode().replace("UTF-8", "UTF-16").encode("utf-16")
    assert doc.startswith(b"\xff\xfe")
    with pytest.raises(XmlInputError, match="DOCTYPE"):
        parse_xml(doc)


def test_doctype_beyond_the_prolog_scan_is_still_refused_after_parsing() -> None:
    # A long comment pushes the DOCTYPE past the cheap pre-scan; the docinfo check catches it.
    doc = b"<?xml version='1.0'?><!--" + b"x" * 100_000 + b"--><!DOCTYPE r [<!ENTITY e 'v'>]><r/>"
    with pytest.raises(XmlInputError, match="DOCTYPE"):
        parse_xml(doc)


def test_doctype_text_inside_cdata_is_not_mistaken_for_a_doctype() -> None:
    root = parse_xml(b"<r><![CDATA[<!DOCTYPE niet echt>]]></r>")
    assert root.text == "<!DOCTYPE niet echt>"


def test_undeclared_entity_is_malformed() -> None:
    with pytest.raises(XmlInputError, match="niet goed gevormd"):
        parse_xml(b"<r>&xxe;</r>")


def test_size_is_checked_before_parsing() -> None:
    # Not even well-formed: the size error must come first.
    with pytest.raises(XmlInputError, match="maximaal 10 bytes"):
        parse_xml(b"<" * 11, max_bytes=10)
    assert local_name(parse_xml(b"<r>12345</r>", max_bytes=12)) == "r"


def test_malformed_document_reports_the_line() -> None:
    with pytest.raises(XmlInputError) as info:
        parse_xml(b"<a>\n<b>\n</a>")
    assert info.value.line == 3
    assert "regel 3" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_empty_document_is_refused() -> None:
    with pytest.raises(XmlInputError, match="leeg"):
        parse_xml(b"  \n")


def test_text_node_over_ten_megabytes_is_accepted() -> None:
    size = 10_500_000  # above libxml2's default 10,000,000 limit for one text node
    root = parse_xml(b"<Inhoud>" + b"QUFB" * (size // 4) + b"</Inhoud>")
    assert root.text is not None
    assert len(root.text) == size


def test_pretty_xml_indents_and_is_hardened() -> None:
    text = pretty_xml(b'<a xmlns:p="urn:p"><p:b>x</p:b><c/></a>')
    assert text.splitlines() == ['<a xmlns:p="urn:p">', "  <p:b>x</p:b>", "  <c/>", "</a>"]
    with pytest.raises(XmlInputError, match="DOCTYPE"):
        pretty_xml(XXE)


def test_pretty_xml_can_shorten_long_text() -> None:
    text = pretty_xml(b"<a><b>" + b"A" * 5000 + b"</b><c>kort</c></a>", max_text_chars=10)
    assert "AAAAAAAAAA… (5.000 tekens)" in text
    assert "<c>kort</c>" in text
    assert "A" * 11 not in text


def test_local_name_helpers_ignore_prefixes_and_comments() -> None:
    root = parse_xml(
        b'<x:r xmlns:x="urn:a" xmlns:y="urn:b"><!-- c --><y:item>1</y:item>'
        b"<item>2</item><x:other><item>3</item></x:other><y:leeg/></x:r>"
    )
    assert local_name(root) == "r"
    assert namespace_of(root) == "urn:a"
    items = findall_local(root, "item")
    assert [i.text for i in items] == ["1", "2"]  # direct children only
    assert namespace_of(items[1]) is None
    assert find_local(root, "missing") is None
    nested = find_path_local(root, "other", "item")
    assert nested is not None and nested.text == "3"
    assert find_path_local(root, "missing", "item") is None
    assert text_local(root, "leeg") == ""
    assert text_local(root, "missing") is None
    comment = etree.Comment("x")
    assert local_name(comment) == ""
