"""``self-test``: does this installation work? Four checks, each with a plain Dutch verdict.

Written for the frozen build (``packaging/``): everything that is read from disk or loaded
late at run time is touched once, in a data dir of its own.

1. the project's XSDs in ``schemas/`` are found and compile;
2. the Alembic migrations shipped in the package build a new SQLite file up to head;
3. the secret store: which one is in use (the OS keyring, or memory for this session only);
   reported, never a failure, because a machine without a keyring still works;
4. one test letter through the engine and the embedded simulator, over two-way TLS on
   loopback, until it reaches a final state.

The test letter never touches the user's data or keyring: the data dir must be new (or one a
previous self-test made), the key of the local test PKI stays in memory, and both the
inbound endpoint and the simulator listen on free loopback ports.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from console.db.database import SQLITE_FILENAME

log = logging.getLogger(__name__)

MARKER_FILE = "self-test.txt"
MIGRATION_TEST_FILE = "migratietest.sqlite3"
TEST_BSN = "999990019"  # a simulator test citizen with an active, subscribed Berichtenbox
TEST_BERICHTTYPE = "BELAST"  # active for the simulator in the demo workspace
DEFAULT_LETTER_TIMEOUT = 120.0

# A small, valid PDF (one empty A4 page), so the attachment path is exercised too.
_PDF_OBJECTS = (
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
)


def _test_pdf() -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(_PDF_OBJECTS, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(_PDF_OBJECTS) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(_PDF_OBJECTS) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check: its Dutch name, whether it passed, and a short reason or finding."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class SelfTestReport:
    data_dir: Path
    checks: tuple[CheckResult, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)


def format_check(result: CheckResult) -> str:
    """The line the command prints: ``OK   Schema's: ...`` or ``FOUT Schema's: ...``."""
    return f"{'OK' if result.ok else 'FOUT':<4} {result.name}: {result.detail}"


def data_dir_refusal(data_dir: Path) -> str | None:
    """Why *data_dir* must not be used for a self-test, or None when it may.

    A folder with a console database that a self-test did not make holds someone's data
    (possibly a production connection): the test letter would be sent from it.
    """
    if (data_dir / SQLITE_FILENAME).exists() and not (data_dir / MARKER_FILE).exists():
        return (
            f"De map {data_dir} bevat al gegevens van de console. De self-test gebruikt "
            "alleen een nieuwe map (of een map van een eerdere self-test), zodat hij niets "
            "aan uw gegevens verandert en niets verstuurt via uw koppelingen. Laat --data-dir "
            "weg of kies een lege map."
        )
    return None


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text if text else type(exc).__name__


# --- 1. schemas -----------------------------------------------------------------------------


def check_schemas(schema_dir: Path | None = None) -> CheckResult:
    """Every XSD in the schema folder compiles (imports resolved inside the folder only)."""
    from console.xml.schemas import (
        BERICHTVERWERK_REQUEST,
        BERICHTVERWERK_RESPONSE,
        SchemaLoadError,
        SchemaRegistry,
        default_registry,
    )

    name = "Schema's"
    try:
        if schema_dir is None:
            registry = default_registry()
        else:
            if not schema_dir.is_dir():
                raise SchemaLoadError(f"De schemamap {schema_dir} is niet gevonden.")
            registry = SchemaRegistry(schema_dir)
        found = sorted(p.name for p in registry.schema_dir.glob("*.xsd"))
        missing = [s for s in (BERICHTVERWERK_REQUEST, BERICHTVERWERK_RESPONSE) if s not in found]
        if missing:
            return CheckResult(
                name,
                False,
                f"{' en '.join(missing)} {'ontbreekt' if len(missing) == 1 else 'ontbreken'} "
                f"in {registry.schema_dir}; de installatie is niet compleet.",
            )
        for xsd in found:
            registry.schema(xsd)
    except SchemaLoadError as exc:
        return CheckResult(name, False, _reason(exc))
    except Exception as exc:
        return CheckResult(name, False, f"De schema's konden niet worden geladen: {_reason(exc)}")
    return CheckResult(
        name, True, f"{len(found)} XSD's gevonden en gecompileerd in {registry.schema_dir}"
    )


# --- 2. migrations --------------------------------------------------------------------------


def check_migrations(data_dir: Path, migrations_dir: Path | None = None) -> CheckResult:
    """The shipped migrations build a new SQLite file in *data_dir* up to head."""
    from console.db.database import (
        MIGRATIONS_DIR,
        current_revision,
        head_revision,
        open_database,
        table_names,
        upgrade,
    )

    name = "Database"
    script_location = migrations_dir or MIGRATIONS_DIR
    target = data_dir / MIGRATION_TEST_FILE
    try:
        for suffix in ("", "-wal", "-shm"):  # what an earlier self-test in this folder left
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        if not script_location.is_dir():
            return CheckResult(
                name,
                False,
                f"De databasemigraties zijn niet gevonden in {script_location}; de installatie "
                "is niet compleet.",
            )
        db = open_database("sqlite:///" + target.resolve().as_posix())
        try:
            report = upgrade(db, backup_dir=None, script_location=script_location)
            reached = current_revision(db)
            head = head_revision(script_location)
            tables = [t for t in table_names(db) if t != "alembic_version"]
        finally:
            db.dispose()
    except Exception as exc:
        return CheckResult(
            name, False, f"De databasemigraties konden niet worden uitgevoerd: {_reason(exc)}"
        )
    if not report.created or reached != head:
        return CheckResult(
            name,
            False,
            f"De nieuwe database staat op versie {reached or '(geen)'}, verwacht {head}.",
        )
    return CheckResult(
        name,
        True,
        f"migraties uitgevoerd op een nieuwe SQLite-database tot versie {head} "
        f"({len(tables)} tabellen)",
    )


# --- 3. secret store ------------------------------------------------------------------------


def check_secret_store() -> CheckResult:
    """Which store the console would use. A missing OS keyring is reported, not failed."""
    name = "Sleutelbos"
    try:
        from console.secrets.store import KeyringStore, open_secret_store

        store = open_secret_store()
    except Exception as exc:
        return CheckResult(name, False, f"De sleutelbos kon niet worden bepaald: {_reason(exc)}")
    if isinstance(store, KeyringStore):
        return CheckResult(name, True, store.description)
    return CheckResult(
        name,
        True,
        f"geen sleutelbos van het besturingssysteem{_backend_hint()}; sleutels blijven "
        "alleen in het geheugen, voor deze sessie. Geen fout, maar dan importeert u het "
        "certificaat na elke start opnieuw.",
    )


def _backend_hint() -> str:
    try:
        import keyring

        backend = keyring.get_keyring()
    except Exception:
        return ""
    module = type(backend).__module__.removeprefix("keyring.backends.")
    return f" (keyring: {module}.{type(backend).__name__})"


# --- 4. a test letter through the simulator ---------------------------------------------------


def check_test_letter(
    data_dir: Path,
    *,
    timeout: float = DEFAULT_LETTER_TIMEOUT,
    result_delay: float = 0.5,
) -> CheckResult:
    """One letter to a subscribed test citizen, through the engine and the simulator.

    The workspace is opened as the GUI and ``send-test`` open it, with two differences that
    keep the user's machine untouched: the test PKI's key stays in memory (not in the OS
    keyring, where it could meet a real connection's key of the same name), and the engine
    and the simulator listen on free ports (a running console keeps 8443 and 8444).
    """
    from console.domain.environment import Environment
    from console.domain.letter import AttachmentDraft, LetterDraft
    from console.domain.lifecycle import FINAL, LetterStatus
    from console.secrets.store import MemoryStore
    from console.services.bootstrap import open_workspace
    from console.services.errors import ServiceError
    from console.settings import EngineSettings, resolve_paths

    name = "Testbericht"
    settings = EngineSettings(inbound_port=0, simulator_port=0)
    try:
        services = open_workspace(
            resolve_paths(data_dir),
            start_engine=True,
            secrets=MemoryStore(),
            engine_settings=settings,
            simulator_result_delay=result_delay,
        )
    except Exception as exc:
        log.exception("Self-test: werkruimte openen mislukt")
        return CheckResult(name, False, f"De console kon niet starten: {_reason(exc)}")
    try:
        status = services.workspace.status()
        if status.environment is not Environment.SIMULATOR or services.simulator is None:
            return CheckResult(
                name,
                False,
                "De actieve koppeling gebruikt de simulator niet; de self-test verstuurt "
                "alleen naar de ingebouwde simulator.",
            )
        if status.organisation_id is None:
            return CheckResult(name, False, "Er is geen organisatie ingesteld.")
        draft = LetterDraft(
            bsn=TEST_BSN,
            berichttype=TEST_BERICHTTYPE,
            onderwerp="Self-test",
            berichttekst="Dit is een testbericht van de self-test van de console.",
            referentie="self-test",
            attachments=(AttachmentDraft("self-test.pdf", _test_pdf()),),
        )
        try:
            submitted = services.letters.submit(draft, status.organisation_id, actor="self-test")
        except ServiceError as exc:
            issues = getattr(exc, "issues", None)
            reasons = [i.message for i in issues if i.blocking] if issues else [str(exc)]
            return CheckResult(name, False, "Het testbericht is geweigerd: " + "; ".join(reasons))
        deadline = time.monotonic() + timeout
        detail = services.letters.detail(submitted.letter_id)
        while detail.row.status not in FINAL and time.monotonic() < deadline:
            time.sleep(0.1)
            detail = services.letters.detail(submitted.letter_id)
        row = detail.row
        where = f"via de simulator op {services.simulator.url}, tweezijdig TLS"
        if row.status not in FINAL:
            engine_error = services.engine.snapshot().last_error
            extra = f"; laatste fout van de engine: {engine_error}" if engine_error else ""
            return CheckResult(
                name,
                False,
                f"geen resultaat binnen {timeout:g} seconden (BerichtID {row.bericht_id}, "
                f"status {row.status_label}){extra}",
            )
        summary = (
            f"BerichtID {row.bericht_id}, status {row.status_label} "
            f"({row.verwerkings_code or '-'}), {where}"
        )
        if row.status is not LetterStatus.DELIVERED:
            return CheckResult(name, False, f"{summary}; verwacht was Verwerkt. {row.explanation}")
        return CheckResult(name, True, summary)
    except Exception as exc:
        log.exception("Self-test: testbericht mislukt")
        return CheckResult(name, False, f"Het testbericht is mislukt: {_reason(exc)}")
    finally:
        services.close()


# --- all together -----------------------------------------------------------------------------


def run_self_test(
    data_dir: Path,
    *,
    schema_dir: Path | None = None,
    migrations_dir: Path | None = None,
    letter_timeout: float = DEFAULT_LETTER_TIMEOUT,
    on_check: Callable[[CheckResult], None] | None = None,
) -> SelfTestReport:
    """Run every check in *data_dir* (new, or made by an earlier self-test), one after another.

    Each check runs even when an earlier one failed: the report shows every problem at once.
    *schema_dir* and *migrations_dir* replace the installed ones (for tests of a broken
    installation). Raises ValueError when :func:`data_dir_refusal` refuses the folder.
    """
    refusal = data_dir_refusal(data_dir)
    if refusal is not None:
        raise ValueError(refusal)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER_FILE).write_text(
        "Deze map is gemaakt door 'berichtenbox-console self-test'. De gegevens hierin zijn "
        "testgegevens en mogen weg.\n",
        encoding="utf-8",
    )
    checks: list[CheckResult] = []
    steps: tuple[Callable[[], CheckResult], ...] = (
        lambda: check_schemas(schema_dir),
        lambda: check_migrations(data_dir, migrations_dir),
        check_secret_store,
        lambda: check_test_letter(data_dir, timeout=letter_timeout),
    )
    for step in steps:
        result = step()
        log.info("Self-test %s: %s", "OK" if result.ok else "FOUT", format_check(result))
        checks.append(result)
        if on_check is not None:
            on_check(result)
    return SelfTestReport(data_dir, tuple(checks))
