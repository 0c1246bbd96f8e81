"""XSD validation against schema files on disk, never the network.

:class:`SchemaRegistry` compiles XSDs from one folder at run time. ``xs:import`` and
``xs:include`` are resolved by an lxml resolver that only hands out files inside that
folder:

- a relative or ``file:`` location inside the folder is read from disk;
- an ``http(s)`` location is mapped by its file name to a file in the folder (also the
  ``...?xsd=xsd2`` form of a WCF service, mapped to ``xsd2.xsd``);
- everything else (files outside the folder, other URL schemes, names that are not
  there) is refused, and compiling the schema fails with :class:`SchemaLoadError`.

Compiled schemas are cached. Validation returns problems as data (:class:`SchemaIssue`).
"""

from __future__ import annotations

import functools
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from lxml import etree

import console
from console.xml.parser import DEFAULT_MAX_BYTES, parse_xml


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    """One validation problem: the line in the document (0 if unknown) and libxml2's text."""

    line: int
    message: str


class SchemaLoadError(RuntimeError):
    """A schema could not be found or compiled. This is an installation problem, not bad input."""


class _LocalOnlyResolver(etree.Resolver):
    """Hands out files from *root* only; records what it refused."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self._root = root
        self.refused: list[str] = []

    def _inside(self, path: Path) -> Path | None:
        try:
            resolved = path.resolve()
        except OSError:
            return None
        if resolved.is_file() and resolved.is_relative_to(self._root):
            return resolved
        return None

    def _by_file_name(self, name: str) -> Path | None:
        if not name or "/" in name or "\\" in name or name in {".", ".."}:
            return None
        direct = self._inside(self._root / name)
        if direct is not None:
            return direct
        matches = [p for p in self._root.rglob(name) if p.is_file()]
        if len(matches) == 1:
            return self._inside(matches[0])
        return None

    def local_path(self, url: str) -> Path | None:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme in {"http", "https"}:
            name = unquote(parts.path.rsplit("/", 1)[-1])
            query = parse_qs(parts.query)
            if "xsd" in query:  # WCF style: .../Service?xsd=xsd2
                name = query["xsd"][0]
                if not name.endswith(".xsd"):
                    name += ".xsd"
            return self._by_file_name(name)
        if scheme == "file":
            return self._inside(Path(unquote(parts.path)))
        if scheme == "" or (len(scheme) == 1 and url[1:3] in {":\\", ":/"}):
            # A plain path (libxml2 has already made relative locations absolute), or a
            # Windows drive letter that urlsplit took for a scheme.
            return self._inside(Path(url))
        return None

    def resolve(self, system_url: str, public_id: str, context: Any = None) -> Any:
        url = system_url or ""
        path = self.local_path(url)
        if path is None:
            self.refused.append(url)
            raise SchemaLoadError(f"Schemaverwijzing {url!r} is geweigerd.")
        api: Any = self  # lxml-stubs lack resolve_filename
        return api.resolve_filename(str(path), context)


class _CompiledSchema:
    def __init__(self, schema: etree.XMLSchema) -> None:
        self.schema = schema
        self.lock = threading.Lock()  # error_log lives on the schema object


class SchemaRegistry:
    """Compiles and caches the XSDs in *schema_dir*; validates documents against them."""

    def __init__(self, schema_dir: Path) -> None:
        self._dir = Path(schema_dir).resolve()
        self._cache: dict[Path, _CompiledSchema] = {}
        self._lock = threading.Lock()

    @property
    def schema_dir(self) -> Path:
        return self._dir

    def _path_for(self, schema: str) -> Path:
        name = schema if schema.endswith(".xsd") else f"{schema}.xsd"
        path = (self._dir / name).resolve()
        if not path.is_relative_to(self._dir):
            raise SchemaLoadError(f"Schema {schema!r} ligt buiten de schemamap {self._dir}.")
        if not path.is_file():
            raise SchemaLoadError(f"Schema {schema!r} niet gevonden in {self._dir}.")
        return path

    def _compile(self, path: Path) -> _CompiledSchema:
        resolver = _LocalOnlyResolver(self._dir)
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False
        )
        parser.resolvers.add(resolver)
        try:
            doc = etree.parse(str(path), parser)
            compiled = etree.XMLSchema(doc)
        except (etree.XMLSyntaxError, etree.XMLSchemaParseError, OSError) as exc:
            detail = (
                f"; geweigerde verwijzingen: {', '.join(resolver.refused)}"
                if resolver.refused
                else ""
            )
            raise SchemaLoadError(
                f"Schema {path.name} kon niet worden geladen: {exc}{detail}"
            ) from exc
        return _CompiledSchema(compiled)

    def _get(self, schema: str) -> _CompiledSchema:
        path = self._path_for(schema)
        with self._lock:
            compiled = self._cache.get(path)
            if compiled is None:
                compiled = self._compile(path)
                self._cache[path] = compiled
            return compiled

    def schema(self, schema: str) -> etree.XMLSchema:
        """The compiled schema (cached): a path relative to the folder, ``.xsd`` optional."""
        return self._get(schema).schema

    def validate(
        self,
        doc: etree._Element | etree._ElementTree | bytes,
        schema: str,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> list[SchemaIssue]:
        """Problems of *doc* against *schema*; an empty list means valid.

        Bytes are parsed with :func:`console.xml.parser.parse_xml` first, so XML that is
        not well-formed (or carries a DOCTYPE) raises ``XmlInputError`` rather than
        giving issues.
        """
        element = parse_xml(doc, max_bytes=max_bytes) if isinstance(doc, bytes) else doc
        compiled = self._get(schema)
        with compiled.lock:
            if compiled.schema.validate(element):
                return []
            errors: Any = compiled.schema.error_log
            return [SchemaIssue(err.line or 0, err.message) for err in errors]

    def is_valid(self, doc: etree._Element | etree._ElementTree | bytes, schema: str) -> bool:
        return not self.validate(doc, schema)


def _schema_dir_candidates() -> list[Path]:
    """Where ``schemas/`` may be: the frozen build's bundle, the source tree, the package."""
    package_dir = Path(console.__file__).resolve().parent
    candidates = [package_dir.parent / "schemas", package_dir / "schemas"]
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        # packaging/berichtenbox-console.spec puts schemas/ at the top of the bundle.
        candidates.insert(0, Path(bundle) / "schemas")
    return list(dict.fromkeys(candidates))


def _locate_schema_dir() -> Path:
    candidates = _schema_dir_candidates()
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise SchemaLoadError(
        f"De schemamap is niet gevonden (gezocht in {', '.join(str(c) for c in candidates)})."
    )


@functools.cache
def default_registry() -> SchemaRegistry:
    """The registry for the project's own ``schemas/`` folder (shared, thread-safe)."""
    return SchemaRegistry(_locate_schema_dir())


# Names of the project's own schemas in ``schemas/``.
BERICHTVERWERK_REQUEST = "berichtverwerk-request.xsd"
BERICHTVERWERK_RESPONSE = "berichtverwerk-response.xsd"
