"""Starting the window: a workspace that cannot be opened gets a Dutch message, not a trace."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from console import app
from console.cli import build_parser


def test_an_unexpected_failure_opening_the_workspace_is_explained(
    qapp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []

    def broken(*_a: object, **_k: object) -> None:
        raise OSError("schijf vol")

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_gui installs its own
    monkeypatch.setattr("console.services.bootstrap.open_workspace", broken)
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text: shown.append(text))
    args = build_parser().parse_args(["--data-dir", str(tmp_path / "data")])
    assert app.run_gui(args) == 1
    (text,) = shown
    assert text.startswith("De console kon niet starten: de werkmap kon niet worden geopend")
    assert "(OSError)" in text and str(tmp_path / "data" / "logs") in text
    assert "schijf vol" not in text  # the detail is in the log, not in the user's face
    log = (tmp_path / "data" / "logs" / "console.log").read_text(encoding="utf-8")
    assert "schijf vol" in log and "De werkmap kon niet worden geopend" in log
