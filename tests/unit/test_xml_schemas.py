"""SchemaRegistry: local-only resolution of imports and includes, caching, issues as data."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from lxml import etree

import console
from console.xml.parser import XmlInputError
from console.xml.schemas import SchemaIssue, SchemaLoadError, SchemaRegistry, default_registry

XS = 'xmlns:xs="http://www.w3.org/2001/XMLSchema"'


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def schema_dir(tmp_path: Path) -> Path:
    d = tmp_path / "xsd"
    _write(
        d / "common.xsd",
        f"""<xs:schema {XS}>
  <xs:simpleType name="Code"><xs:restriction base="xs:string">
    <xs:pattern value="[A-Z]{{3}}"/></xs:restriction></xs:simpleType>
</xs:schema>""",
    )
    _write(
        d / "sub" / "item.xsd",
        f"""<xs:schema {XS} xmlns:i="urn:item" targetNamespace="urn:item"
           elementFormDefault="qualified">
  <xs:include schemaLocation="../common.xsd"/>
  <xs:element name="Item" type="i:Code"/>
</xs:schema>""",
    )
    _write(
        d / "main.xsd",
        f"""<xs:schema {XS} xmlns:m="urn:main" xmlns:i="urn:item" targetNamespace="urn:main"
           elementFormDefault="qualified">
  <xs:include schemaLocation="common.xsd"/>
  <xs:import namespace="urn:item" schemaLocation="sub/item.xsd"/>
  <xs:element name="Main">
    <xs:complexType><xs:sequence>
      <xs:element name="Code" type="m:Code"/>
      <xs:element ref="i:Item" maxOccurs="2"/>
    </xs:sequence></xs:complexType>
  </xs:element>
</xs:schema>""",
    )
    return d


VALID = b'<Main xmlns="urn:main" xmlns:i="urn:item"><Code>ABC</Code><i:Item>XYZ</i:Item></Main>'
INVALID = b"""<Main xmlns="urn:main" xmlns:i="urn:item">
  <Code>abc</Code>
  <i:Item>XYZ</i:Item>
</Main>"""


def test_include_and_import_resolve_locally(schema_dir: Path) -> None:
    reg = SchemaRegistry(schema_dir)
    assert reg.validate(VALID, "main.xsd") == []
    issues = reg.validate(INVALID, "main")
    assert len(issues) == 1
    assert isinstance(issues[0], SchemaIssue)
    assert issues[0].line == 2
    assert "abc" in issues[0].message


def test_validate_accepts_parsed_elements_and_trees(schema_dir: Path) -> None:
    reg = SchemaRegistry(schema_dir)
    root = etree.fromstring(VALID)
    assert reg.validate(root, "main.xsd") == []
    assert reg.is_valid(root.getroottree(), "main.xsd")
    assert not reg.is_valid(INVALID, "main.xsd")


def test_compiled_schemas_are_cached(schema_dir: Path) -> None:
    reg = SchemaRegistry(schema_dir)
    first = reg.schema("main.xsd")
    assert reg.schema("main") is first
    assert SchemaRegistry(schema_dir).schema("main.xsd") is not first


def test_schema_can_be_named_by_a_sub_path(schema_dir: Path) -> None:
    reg = SchemaRegistry(schema_dir)
    assert reg.validate(b'<Item xmlns="urn:item">ABC</Item>', "sub/item.xsd") == []


def test_http_location_is_mapped_by_file_name(schema_dir: Path) -> None:
    _write(
        schema_dir / "remote.xsd",
        f"""<xs:schema {XS} xmlns:i="urn:item" targetNamespace="urn:r" elementFormDefault="qualified">
  <xs:import namespace="urn:item" schemaLocation="http://127.0.0.1:9/schemas/item.xsd"/>
  <xs:element name="R"><xs:complexType><xs:sequence><xs:element ref="i:Item"/></xs:sequence>
  </xs:complexType></xs:element>
</xs:schema>""",
    )
    reg = SchemaRegistry(schema_dir)
    assert reg.validate(b'<R xmlns="urn:r"><Item xmlns="urn:item">ABC</Item></R>', "remote") == []
    assert reg.validate(b'<R xmlns="urn:r"><Item xmlns="urn:item">x</Item></R>', "remote") != []


def test_wcf_style_query_location_is_mapped_to_a_file(tmp_path: Path) -> None:
    d = tmp_path / "wcf"
    _write(
        d / "xsd2.xsd",
        f"""<xs:schema {XS} targetNamespace="urn:two" elementFormDefault="qualified">
  <xs:element name="Two" type="xs:int"/></xs:schema>""",
    )
    _write(
        d / "xsd0.xsd",
        f"""<xs:schema {XS} xmlns:t="urn:two" targetNamespace="urn:zero" elementFormDefault="qualified">
  <xs:import namespace="urn:two" schemaLocation="http://rdw.example.invalid:9002/Service?xsd=xsd2"/>
  <xs:element name="Zero"><xs:complexType><xs:sequence><xs:element ref="t:Two"/></xs:sequence>
  </xs:complexType></xs:element>
</xs:schema>""",
    )
    reg = SchemaRegistry(d)
    assert reg.validate(b'<Zero xmlns="urn:zero"><Two xmlns="urn:two">5</Two></Zero>', "xsd0") == []


def test_unknown_http_location_is_refused(schema_dir: Path) -> None:
    _write(
        schema_dir / "net.xsd",
        f"""<xs:schema {XS} targetNamespace="urn:n">
  <xs:import namespace="urn:x" schemaLocation="http://127.0.0.1:9/nergens.xsd"/>
</xs:schema>""",
    )
    with pytest.raises(SchemaLoadError, match=r"nergens\.xsd"):
        SchemaRegistry(schema_dir).schema("net.xsd")


def test_file_outside_the_folder_is_refused(tmp_path: Path, schema_dir: Path) -> None:
    outside = _write(
        tmp_path / "outside.xsd",
        f'<xs:schema {XS}><xs:simpleType name="Code"><xs:restriction base="xs:string"/>'
        "</xs:simpleType></xs:schema>",
    )
    _write(
        schema_dir / "escape.xsd",
        f"""<xs:schema {XS} targetNamespace="urn:e">
  <xs:include schemaLocation="../outside.xsd"/>
</xs:schema>""",
    )
    _write(
        schema_dir / "absolute.xsd",
        f"""<xs:schema {XS} targetNamespace="urn:e">
  <xs:include schemaLocation="{outside.as_uri()}"/>
</xs:schema>""",
    )
    reg = SchemaRegistry(schema_dir)
    for name in ("escape.xsd", "absolute.xsd"):
        with pytest.raises(SchemaLoadError, match="geweigerde verwijzingen"):
            reg.schema(name)


def test_schema_name_outside_folder_or_missing_is_an_error(
    tmp_path: Path, schema_dir: Path
) -> None:
    _write(tmp_path / "buiten.xsd", f"<xs:schema {XS}/>")
    reg = SchemaRegistry(schema_dir)
    with pytest.raises(SchemaLoadError, match="buiten de schemamap"):
        reg.schema("../buiten.xsd")
    with pytest.raises(SchemaLoadError, match="niet gevonden"):
        reg.schema("bestaat-niet.xsd")


def test_broken_schema_is_a_load_error(schema_dir: Path) -> None:
    _write(
        schema_dir / "broken.xsd", f'<xs:schema {XS}><xs:element name="x" type="nope"/></xs:schema>'
    )
    with pytest.raises(SchemaLoadError, match=r"broken\.xsd"):
        SchemaRegistry(schema_dir).schema("broken.xsd")


def test_bytes_that_are_not_xml_raise_input_error(schema_dir: Path) -> None:
    reg = SchemaRegistry(schema_dir)
    with pytest.raises(XmlInputError):
        reg.validate(b"<Main", "main.xsd")
    with pytest.raises(XmlInputError, match="DOCTYPE"):
        reg.validate(b'<!DOCTYPE Main [<!ENTITY x "y">]><Main xmlns="urn:main"/>', "main.xsd")


def test_validation_from_many_threads_keeps_results_apart(schema_dir: Path) -> None:
    reg = SchemaRegistry(schema_dir)
    valid_root = etree.fromstring(VALID)
    invalid_root = etree.fromstring(INVALID)
    outcomes: list[tuple[bool, int]] = []
    lock = threading.Lock()

    def work(valid: bool) -> None:
        for _ in range(200):
            issues = reg.validate(valid_root if valid else invalid_root, "main.xsd")
            with lock:
                outcomes.append((valid, len(issues)))

    threads = [threading.Thread(target=work, args=(i % 2 == 0,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 1200
    assert all(count == (0 if valid else 1) for valid, count in outcomes)


def test_default_registry_uses_the_repository_schemas() -> None:
    reg = default_registry()
    assert reg is default_registry()
    assert reg.schema_dir == (Path(console.__file__).resolve().parent.parent / "schemas")
    for name in ("berichtverwerk-request.xsd", "berichtverwerk-response.xsd"):
        assert isinstance(reg.schema(name), etree.XMLSchema)
