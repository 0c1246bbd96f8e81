"""The preflight report widget, alone and in the send dialog."""

from __future__ import annotations

from console.berichtenbox.preflight import PreflightReport
from console.domain.letter import FieldIssue
from console.ui.preflight_report_widget import PreflightReportWidget
from tests.gui.test_test_letter_dialog import fill_valid, make_dialog


def test_one_report_per_letter_with_verdict_and_every_point(qtbot) -> None:
    widget = PreflightReportWidget()
    qtbot.addWidget(widget)
    reports = [
        PreflightReport("regel 2", ()),
        PreflightReport(
            "regel 3", (FieldIssue("Bijlagen", "Bijlage 1 (a.pdf) is PDF/A-1b.", blocking=False),)
        ),
        PreflightReport(
            "regel 4", (FieldIssue("Onderwerp", "Onderwerp is 51 tekens; maximaal 50."),)
        ),
    ]
    widget.set_reports(reports)
    assert widget.badge.text() == "Afgekeurd" and widget.badge.tone_name == "red"
    assert widget.summary.text() == "3 berichten: 1 goedgekeurd, 1 met waarschuwingen, 1 afgekeurd."
    assert widget.tree.topLevelItemCount() == 3
    refused = widget.tree.topLevelItem(2)
    assert refused.text(0) == "regel 4" and refused.text(2).startswith("Afgekeurd")
    child = refused.child(0)
    assert (child.text(0), child.text(1), child.text(2)) == (
        "Onderwerp",
        "FOUT",
        "Onderwerp is 51 tekens; maximaal 50.",
    )
    assert widget.tree.topLevelItem(1).child(0).text(1) == "let op"


def test_no_issues_is_a_green_badge_with_the_word(qtbot) -> None:
    widget = PreflightReportWidget(compact=True)
    qtbot.addWidget(widget)
    widget.set_issues([])
    assert (widget.badge.text(), widget.badge.tone_name) == ("Goedgekeurd", "green")
    widget.set_issues([FieldIssue("BerichtType", "Niet actief.", blocking=False)])
    assert (widget.badge.text(), widget.badge.tone_name) == ("Goedgekeurd, let op", "amber")
    assert widget.messages() == ["BerichtType: Niet actief."]


def test_the_send_dialog_shows_the_preflight_report(services, task_runner, qtbot) -> None:
    dialog = make_dialog(services, task_runner, qtbot)
    fill_valid(qtbot, dialog)
    assert dialog.preflight_report.badge.text() == "Goedgekeurd"
    qtbot.keyClicks(dialog.onderwerp_edit, "x" * 40)
    assert dialog.preflight_report.badge.text() == "Afgekeurd"
    assert any(
        "Onderwerp is" in m and "maximaal 50" in m for m in dialog.preflight_report.messages()
    )
