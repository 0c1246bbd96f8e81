"""Render the main screens to PNG files, to look at them (not a test).

    python -m tests.gui.render_screenshots OUTDIR [--scale 1.5] [--real]

By default it uses the in-memory fake services with generated letters. ``--real`` opens a real
workspace on a temporary data dir (SQLite, engine and simulator on loopback) and sends letters
to the simulator's test citizens first. Offscreen unless a display is set.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Test citizens of the simulator: subscribed, not subscribed, no box, technical fault.
SIMULATOR_BSNS = ("999990019", "999990020", "999990044", "999990068", "999990093")


def _wait(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    from PySide6.QtTest import QTest

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("het scherm werd niet op tijd klaar")
        QTest.qWait(20)


@contextmanager
def _fake_services(letters: int) -> Iterator[Any]:
    from tests.gui.fake_services import ORGANISATIONS, FakeServices

    services = FakeServices(organisations=ORGANISATIONS, certificate_days_left=43)
    services.letters.add_generated(letters)
    # The configuration pages (issue 5) use the real services on the demo database.
    from tests.gui.flow_gui_support import config_services

    with tempfile.TemporaryDirectory() as config_dir:
        config = config_services(Path(config_dir))
        for name in ("organisations", "connections", "berichttypes", "flows", "audit"):
            setattr(services, name, getattr(config, name))
        services.config_transfer = config.config_transfer
        services.settings = _settings_service(config.db, Path(config_dir))  # Instellingen
        services.onboarding = _onboarding_service(config)  # Aansluiten
        services.batch_import = _batch_import_service(config)  # Verzenden: batch import
        try:
            yield services
        finally:
            config.db.dispose()


def _settings_service(db: Any, data_dir: Path) -> Any:
    """The real SettingsService on the screenshot database, with a keyring that persists."""
    from console.services.privacy import PrivacyService
    from console.services.settings import SettingsService
    from console.settings import AppPaths

    class _Keyring:
        description = "Windows Referentiebeheer (Credential Manager)"
        persistent = True

    return SettingsService(
        db,
        paths=AppPaths(data_dir),
        secrets=_Keyring(),  # type: ignore[arg-type]
        privacy=PrivacyService(db, user="j.jansen"),
    )


def _onboarding_service(config: Any) -> Any:
    """The real OnboardingService on the screenshot database, with answers filled in."""
    from decimal import Decimal

    from console.domain.onboarding import Answers, LetterKind, OrganisationType
    from console.services.onboarding import OnboardingService

    service = OnboardingService(config.db)
    organisation = service.find_organisation("Gemeente Voorbeeld")
    answers = Answers(
        organisation_type=OrganisationType.GEMEENTE,
        letter_kinds=(
            LetterKind("Aanslag gemeentelijke belastingen", 38_000),
            LetterKind("WOZ-beschikking", 36_500),
            LetterKind("Herinnering verlopen reisdocument", 3_600),
        ),
        cost_per_letter=Decimal("0.92"),
        yearly_costs=Decimal("1500"),
        one_off_costs=(("aanvraag", Decimal("2400")), ("bronsysteem", Decimal("6000"))),
    )
    service.save_answers(organisation.id, answers, actor="j.jansen")
    service.set_manual(organisation.id, "intentieverklaring", actor="j.jansen")
    return service


def _batch_import_service(config: Any) -> Any:
    """The real BatchImportService on the screenshot database."""
    from console.services.batch_import import BatchImportService
    from console.services.preflight import PreflightService

    preflight = PreflightService(config.db, config.workspace)
    return BatchImportService(
        config.db, config.workspace, preflight, guard=config.production_guard, user="j.jansen"
    )


def _letters_file(folder: Path) -> Path:
    """A batch file as a municipality would make it: most rows fine, a few to fix."""
    from tests.gui.fake_services import valid_bsns
    from tests.unit.test_preflight import make_pdf

    (folder / "aanslagen").mkdir(exist_ok=True)
    bsns = ["999990019", "999990020", "999990032", *valid_bsns(40, start=999_990_100)]
    lines = ["bsn;berichttype;onderwerp;berichttekst;referentie;bijlage;omschrijving"]
    for n, bsn in enumerate(bsns, start=1):
        pdf = folder / "aanslagen" / f"aanslag-{n:05d}.pdf"
        pdf.write_bytes(make_pdf("1", "A") if n % 9 else make_pdf("1", "B"))
        subject = "Aanslag gemeentelijke belastingen 2026"
        bsn_text = bsn
        if n == 4:
            bsn_text = "123456789"  # elfproef
        if n == 7:
            subject = "Aanslag gemeentelijke belastingen 2026 en WOZ-beschikking"  # > 50
        berichttype = "NIEUW" if n == 12 else "BELAST"
        attachment = f"aanslagen/aanslag-{n:05d}.pdf" if n != 15 else "aanslagen/ontbreekt.pdf"
        lines.append(
            f"{bsn_text};{berichttype};{subject};Beste inwoner,\\nIn de bijlage vindt u uw "
            f"aanslag.;ZK-2026-{n:05d};{attachment};Aanslag 2026"
        )
    path = folder / "aanslagen-maart.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@contextmanager
def _real_services(tmp: Path) -> Iterator[Any]:
    from console.domain.letter import LetterDraft
    from console.secrets.store import MemoryStore
    from console.services.bootstrap import open_workspace
    from console.services.dto import LetterQuery
    from console.settings import EngineSettings, resolve_paths

    fast = EngineSettings(tick_seconds=0.05, inbound_port=0, simulator_port=0)
    services = open_workspace(
        resolve_paths(tmp / "data"),
        secrets=MemoryStore(),
        engine_settings=fast,
        simulator_result_delay=0.2,
    )
    try:
        status = services.workspace.status()
        assert status.organisation_id is not None
        for n, bsn in enumerate(SIMULATOR_BSNS):
            draft = LetterDraft(
                bsn=bsn,
                berichttype="BELAST",
                onderwerp=f"Aanslag gemeentelijke belastingen {2021 + n}",
                berichttekst="Geachte heer/mevrouw,\n\nIn de bijlage vindt u de aanslag.",
                referentie=f"ZK-2025-{n + 1:05d}",
            )
            services.letters.submit(draft, status.organisation_id)
        services.engine.wake()
        total = len(SIMULATOR_BSNS)

        def settled() -> bool:
            rows = services.letters.rows(services.letters.ids(LetterQuery()))
            return len(rows) == total and all(r.verwerkings_code for r in rows)

        deadline = time.monotonic() + 60
        while not settled() and time.monotonic() < deadline:
            time.sleep(0.1)
        yield services
    finally:
        services.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--scale", default="1", help="QT_SCALE_FACTOR, bijvoorbeeld 1.5")
    parser.add_argument("--letters", type=int, default=1234, help="aantal nepberichten")
    parser.add_argument("--real", action="store_true", help="echte services met de simulator")
    args = parser.parse_args(argv)
    args.outdir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["QT_SCALE_FACTOR"] = str(args.scale)

    from PySide6.QtCore import QSettings
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QWidget

    from console.domain.lifecycle import LetterStatus
    from console.services.dto import LetterQuery
    from console.ui.main_window import MainWindow
    from console.ui.tasks import TaskRunner
    from console.ui.theme import apply_application_style

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    apply_application_style(app)
    suffix = "" if args.scale in ("1", "1.0") else f"-{args.scale}x"
    suffix += "-echt" if args.real else ""
    shots: list[Path] = []

    def save(widget: QWidget, name: str) -> None:
        path = args.outdir / f"{name}{suffix}.png"
        widget.grab().save(str(path))
        shots.append(path)

    runner = TaskRunner()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        source = _real_services(tmp) if args.real else _fake_services(args.letters)
        with source as services:
            settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
            window = MainWindow(services, runner, settings=settings)
            # At 150 % a 1920x1080 screen offers 1280x720 logical pixels.
            size = (1280, 800) if args.scale in ("1", "1.0") else (1280, 720)
            window.resize(*size)
            window.show()
            _wait(lambda: window.workspace_status is not None and bool(window.overview.counts))
            QTest.qWait(50)
            save(window, "01-overzicht")

            # The log with a letter selected that has a result with a code.
            window.open_log(LetterQuery())
            log = window.log_view
            expected = services.letters.count(LetterQuery())
            _wait(lambda: log.model.rowCount() == expected and not log.model.loading)
            target = services.letters.ids(LetterQuery(status=LetterStatus.NOT_SUBSCRIBED))[0]
            log.select_letter(target)
            _wait(lambda: log.detail.detail is not None and log.detail.detail.row.id == target)
            _wait(lambda: runner.pending == 0)
            QTest.qWait(50)
            save(window, "02-berichten")

            # The test-letter dialog with validation errors.
            window.show_page("verzenden")
            save(window, "03-verzenden")
            dialog = window.open_test_letter_dialog()
            assert dialog is not None
            _wait(lambda: dialog.berichttype() is not None)
            QTest.keyClicks(dialog.bsn_edit, "123456789")
            dialog.onderwerp_edit.setFocus()
            QTest.keyClicks(
                dialog.onderwerp_edit, "Uw aanslag gemeentelijke belastingen 2025 is bekend"
            )
            QTest.keyClicks(dialog.tekst_edit, "Geachte heer/mevrouw,")
            QTest.keyClick(dialog.tekst_edit, "\r")  # a line break counts as four characters
            QTest.keyClicks(
                dialog.tekst_edit, "Bekijk de aanslag op https://www.example.nl/belasting."
            )
            QTest.qWait(50)
            save(dialog, "04-testbericht-fouten")
            dialog.reject()

            # Batch import: the preview of a file with a few rows to fix.
            batch = window.open_batch_import_dialog(_letters_file(tmp))
            assert batch is not None
            _wait(lambda: batch.preview is not None or bool(batch.error))
            _wait(lambda: runner.pending == 0)
            batch.table.selectRow(3)  # a refused row: its points in full under the table
            QTest.qWait(50)
            save(batch, "12-batch-importeren")
            batch.send()
            _wait(lambda: batch.import_result is not None or bool(batch.error))
            _wait(lambda: runner.pending == 0)
            QTest.qWait(50)
            save(batch, "13-batch-geimporteerd")
            batch.reject()

            window.show_page("stromen")
            _wait(lambda: runner.pending == 0)
            QTest.qWait(300)
            _wait(lambda: runner.pending == 0)
            save(window, "05-stromen")
            window.show_page("organisaties")
            _wait(lambda: runner.pending == 0)
            QTest.qWait(300)
            _wait(lambda: runner.pending == 0)
            save(window, "07-organisaties")
            # The Instellingen page: the top, and scrolled down to privacy and the data folder.
            window.show_page("instellingen")
            _wait(lambda: window.settings_view.overview is not None)
            _wait(lambda: runner.pending == 0)
            QTest.qWait(50)
            save(window, "08-instellingen")
            about = window.settings_view.about_card
            assert about is not None
            window.settings_view.scroll_area.ensureWidgetVisible(about, 0, 0)
            QTest.qWait(50)
            save(window, "09-instellingen-gegevens")
            # The Aansluiten page: questionnaire and estimate, then the checklist.
            window.show_page("aansluiten")
            _wait(lambda: window.onboarding_view.overview is not None)
            _wait(lambda: runner.pending == 0)
            QTest.qWait(50)
            save(window, "10-aansluiten")
            onboarding = window.onboarding_view
            onboarding.scroll_area.verticalScrollBar().setValue(
                onboarding.progress.mapTo(
                    onboarding.scroll_area.widget(), onboarding.progress.rect().topLeft()
                ).y()
                - 60
            )
            QTest.qWait(50)
            save(window, "11-aansluiten-checklist")
            window.close()

        if not args.real:
            from tests.gui.fake_services import FakeServices

            empty_window = MainWindow(FakeServices(), runner, settings=settings)
            empty_window.resize(*size)
            empty_window.show()
            empty_window.show_page("berichten")
            _wait(lambda: empty_window.log_view.model.loaded_once)
            _wait(lambda: empty_window.workspace_status is not None)
            QTest.qWait(50)
            save(empty_window, "06-berichten-leeg")
            empty_window.close()
    runner.shutdown(wait=True)
    for path in shots:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
