"""Hardened XML for the console: parsing, local-name lookup, schema validation.

Every parser of outside XML goes through :func:`parse_xml` (no DTD, no entities, no
network, bounded size). See architecture.md, "Hardened XML".
"""

from __future__ import annotations

from console.xml.names import (
    find_local,
    find_path_local,
    findall_local,
    iter_local,
    local_name,
    namespace_of,
    text_local,
)
from console.xml.parser import DEFAULT_MAX_BYTES, XmlInputError, parse_xml, pretty_xml
from console.xml.schemas import SchemaIssue, SchemaLoadError, SchemaRegistry, default_registry
from console.xml.timestamps import format_xs_datetime, parse_xs_datetime

__all__ = [
    "DEFAULT_MAX_BYTES",
    "SchemaIssue",
    "SchemaLoadError",
    "SchemaRegistry",
    "XmlInputError",
    "default_registry",
    "find_local",
    "find_path_local",
    "findall_local",
    "format_xs_datetime",
    "iter_local",
    "local_name",
    "namespace_of",
    "parse_xml",
    "parse_xs_datetime",
    "pretty_xml",
    "text_local",
]
