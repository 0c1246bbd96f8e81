"""Composition root: data dir, logging, database upgrade, services, then the Qt window."""

from __future__ import annotations

import argparse
import logging
import sys

log = logging.getLogger(__name__)


def run_gui(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QCoreApplication, QLocale
    from PySide6.QtWidgets import QApplication, QMessageBox

    from console.logs import setup_logging
    from console.services.bootstrap import open_workspace
    from console.services.errors import ServiceError
    from console.settings import resolve_paths

    paths = resolve_paths(args.data_dir, temp=args.temp_data_dir, database_url=args.database_url)
    setup_logging(paths.logs_dir, verbose=args.verbose)
    QCoreApplication.setOrganizationName("Berichtenbox console")
    QCoreApplication.setApplicationName("Berichtenbox console")
    QLocale.setDefault(QLocale(QLocale.Language.Dutch, QLocale.Country.Netherlands))
    app = QApplication.instance() or QApplication(sys.argv[:1])

    from console.ui.crash_dialog import install_excepthook
    from console.ui.theme import apply_application_style

    apply_application_style(app)  # type: ignore[arg-type]
    install_excepthook()

    try:
        services = open_workspace(paths, start_engine=True)
    except ServiceError as exc:
        QMessageBox.critical(None, "Berichtenbox console", str(exc))
        return 1
    except Exception as exc:  # anything else: still a Dutch message, and the log has the rest
        log.exception("De werkmap kon niet worden geopend")
        QMessageBox.critical(
            None,
            "Berichtenbox console",
            "De console kon niet starten: de werkmap kon niet worden geopend "
            f"({type(exc).__name__}).\n\nDe details staan in het logbestand in "
            f"{paths.logs_dir}. Stuur dat mee als u hulp vraagt.",
        )
        return 1

    from console.ui.main_window import MainWindow

    window = MainWindow(services)
    window.show()
    try:
        return int(app.exec())
    finally:
        services.close()
