"""Find elements by local name, whatever namespace prefix (or namespace) they carry.

Live GLOBE responses use other prefixes than the request side (berichtenbox-interface.md
section 5.1), and some children are unqualified. Parsers of outside messages therefore
look at local names, not at qualified names.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree


def local_name(el: etree._Element) -> str:
    """The local part of an element's tag; ``""`` for comments and processing instructions."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def namespace_of(el: etree._Element) -> str | None:
    """The namespace URI of an element, or None when it is unqualified."""
    tag = el.tag
    if not isinstance(tag, str) or not tag.startswith("{"):
        return None
    return tag[1:].split("}", 1)[0]


def iter_local(el: etree._Element, name: str) -> Iterator[etree._Element]:
    """Direct children of *el* with local name *name*, in document order."""
    for child in el:
        if local_name(child) == name:
            yield child


def find_local(el: etree._Element, name: str) -> etree._Element | None:
    """The first direct child of *el* with local name *name*, or None."""
    return next(iter_local(el, name), None)


def findall_local(el: etree._Element, name: str) -> list[etree._Element]:
    """All direct children of *el* with local name *name*."""
    return list(iter_local(el, name))


def find_path_local(el: etree._Element, *names: str) -> etree._Element | None:
    """Follow a path of local names through direct children, e.g. ``("BatchInformatie", "BatchID")``."""
    current: etree._Element | None = el
    for name in names:
        if current is None:
            return None
        current = find_local(current, name)
    return current


def text_local(el: etree._Element, name: str) -> str | None:
    """Text of the first direct child named *name*: None if absent, ``""`` if empty."""
    child = find_local(el, name)
    if child is None:
        return None
    return child.text or ""
