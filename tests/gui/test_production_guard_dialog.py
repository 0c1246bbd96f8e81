"""The production guard in the GUI: type the organisation's name once per session."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from console.domain.environment import Environment
from console.services.production_guard import GuardTarget
from console.ui.production_guard_dialog import ProductionGuardDialog, confirm_production
from console.ui.tasks import TaskRunner
from console.ui.test_letter_dialog import TestLetterDialog
from tests.gui.flow_gui_support import ConfigServices, config_services


@pytest.fixture
def config(tmp_path: Path) -> Iterator[ConfigServices]:
    real = config_services(tmp_path / "data")
    yield real
    real.db.dispose()


class ProductionGuardStub:
    """The guard as the dialogs see it, pointing at production (no Logius set-up needed)."""

    def __init__(self, target: GuardTarget) -> None:
        self.target_value = target
        self.confirmed: set[tuple[int, int]] = set()

    def target(self, organisation_id: int | None = None) -> GuardTarget:
        key = (self.target_value.connection_id, self.target_value.organisation_id)
        return replace(self.target_value, confirmed=key in self.confirmed)

    def confirm(self, organisation_id: int, typed: str) -> GuardTarget:
        from console.domain.environment_guard import confirmation_matches
        from console.services.production_guard import ConfirmationRefused

        if not confirmation_matches(typed, self.target_value.organisation_name):
            raise ConfirmationRefused("Typ de naam precies over.")
        self.remember(self.target_value.connection_id, organisation_id)
        return self.target(organisation_id)

    def is_confirmed(self, connection_id: int | None, organisation_id: int | None) -> bool:
        return (connection_id, organisation_id) in self.confirmed

    def remember(self, connection_id: int, organisation_id: int) -> None:
        self.confirmed.add((connection_id, organisation_id))


def _target(config: ConfigServices) -> GuardTarget:
    status = config.workspace.status()
    assert status.connection_id is not None and status.organisation_id is not None
    return GuardTarget(
        connection_id=status.connection_id,
        connection_name="Productie",
        environment=Environment.PRODUCTIE,
        organisation_id=status.organisation_id,
        organisation_name=status.organisation_name,
        organisation_oin=status.organisation_oin,
        confirmed=False,
    )


def test_the_dialog_only_confirms_the_exact_name(
    qtbot: QtBot, config: ConfigServices, task_runner: TaskRunner
) -> None:
    stub = ProductionGuardStub(_target(config))
    services = replace(config, production_guard=stub)  # type: ignore[arg-type]
    dialog = ProductionGuardDialog(services, task_runner, stub.target(), what="1 testbericht")
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.ok_button.isEnabled()
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)  # Enter cannot confirm a wrong name
    assert dialog.isVisible() and not dialog.confirmed
    qtbot.keyClicks(dialog.name_edit, "Gemeente Voorbee")
    assert not dialog.ok_button.isEnabled()
    assert "precies over: Gemeente Voorbeeld" in dialog.hint_label.text()
    qtbot.keyClicks(dialog.name_edit, "LD")  # case does not matter
    assert dialog.ok_button.isEnabled() and "klopt" in dialog.hint_label.text()
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.confirmed and stub.target().confirmed


def test_a_refused_confirmation_shows_why_and_can_be_tried_again(
    qtbot: QtBot, config: ConfigServices, task_runner: TaskRunner
) -> None:
    """The service may still refuse a name that looks right here (the organisation was
    renamed in the meantime): the dialog says why and stays usable."""
    from console.services.production_guard import ConfirmationRefused

    stub = ProductionGuardStub(_target(config))

    def refuse(organisation_id: int, typed: str) -> GuardTarget:
        raise ConfirmationRefused("De organisatie heet intussen anders.")

    stub.confirm = refuse  # type: ignore[method-assign]
    services = replace(config, production_guard=stub)  # type: ignore[arg-type]
    dialog = ProductionGuardDialog(services, task_runner, stub.target(), what="1 testbericht")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.name_edit, stub.target().organisation_name)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error_label.isVisible())
    assert dialog.error_label.text() == "De organisatie heet intussen anders."
    assert dialog.ok_button.isEnabled() and not dialog.confirmed and dialog.isVisible()


def test_confirm_production_asks_only_when_needed(
    qtbot: QtBot, config: ConfigServices, task_runner: TaskRunner
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    went: list[str] = []
    # The demo sends to the simulator: no question at all.
    confirm_production(parent, config, task_runner, None, lambda: went.append("simulator"))
    qtbot.waitUntil(lambda: went == ["simulator"])
    stub = ProductionGuardStub(_target(config))
    services = replace(config, production_guard=stub)  # type: ignore[arg-type]
    confirm_production(parent, services, task_runner, None, lambda: went.append("productie"))
    qtbot.waitUntil(lambda: _open_guard_dialog() is not None)
    dialog = _open_guard_dialog()
    assert dialog is not None and went == ["simulator"]
    qtbot.keyClicks(dialog.name_edit, "Gemeente Voorbeeld")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: went == ["simulator", "productie"])
    # Second send in this session: straight through.
    confirm_production(parent, services, task_runner, None, lambda: went.append("weer"))
    qtbot.waitUntil(lambda: went[-1] == "weer")


def _open_guard_dialog() -> ProductionGuardDialog | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, ProductionGuardDialog) and widget.isVisible():
            return widget
    return None


def test_the_test_letter_dialog_asks_for_the_name_once_per_session(
    qtbot: QtBot, services: Any, task_runner: TaskRunner, config: ConfigServices
) -> None:
    # The fake letter services of the GUI suite, with the production guard beside them.
    status = replace(services.workspace.status(), environment=Environment.PRODUCTIE, is_demo=False)
    stub = ProductionGuardStub(_target(config))
    services.production_guard = stub
    first = TestLetterDialog(services, task_runner, status)
    qtbot.addWidget(first)
    first.show()
    qtbot.waitUntil(lambda: first.berichttype() is not None)
    assert first.rows["Bevestiging"].isVisible()
    org = first.organisation_id()
    assert org is not None and status.connection_id is not None
    stub.remember(status.connection_id, org)  # as after the first production send
    second = TestLetterDialog(services, task_runner, status)
    qtbot.addWidget(second)
    second.show()
    qtbot.waitUntil(lambda: second.berichttype() is not None)
    assert not second.rows["Bevestiging"].isVisible()
    assert second.production_warning.isVisible()  # the red warning stays
    assert all(i.field != "Bevestiging" for i in second.issues)
