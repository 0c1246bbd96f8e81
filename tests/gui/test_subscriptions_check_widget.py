"""The support check "Zou deze burger het bericht nu digitaal krijgen?"."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from console.services.errors import ServiceError
from console.services.subscriptions import (
    CitizenCheck,
    SubscriptionCheckResult,
    SubscriptionService,
)
from console.ui.subscription_check_widget import SubscriptionCheckWidget


class FakeSubscriptions:
    input_problems = staticmethod(SubscriptionService.input_problems)

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], str, int | None]] = []
        self.fail: str | None = None
        self.gate: threading.Event | None = None

    def check(
        self, bsns: list[str], berichttype: str, organisation_id: int | None
    ) -> SubscriptionCheckResult:
        self.calls.append((bsns, berichttype, organisation_id))
        if self.gate is not None:
            self.gate.wait(5)
        if self.fail:
            raise ServiceError(self.fail)
        results = tuple(
            CitizenCheck(
                b,
                "*****" + b[-4:],
                b == "999990019",
                "Krijgt het bericht digitaal"
                if b == "999990019"
                else "Krijgt het bericht niet digitaal: verstuur per post",
                "green" if b == "999990019" else "amber",
                "Abonnementsoverzicht van 01-11-2026: krijgt digitale post"
                if b == "999990019"
                else "",
            )
            for b in bsns
        )
        return SubscriptionCheckResult(
            "Gemeente Voorbeeld", berichttype, datetime.now(UTC), results, "live"
        )


def make(services, task_runner, qtbot) -> SubscriptionCheckWidget:  # type: ignore[no-untyped-def]
    services.subscriptions = FakeSubscriptions()
    widget = SubscriptionCheckWidget(services, task_runner, organisation_id=1)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitUntil(lambda: widget.berichttype() != "")
    return widget


def test_answer_per_citizen_in_words_and_colour(services, task_runner, qtbot) -> None:
    widget = make(services, task_runner, qtbot)
    assert not widget.check_button.isEnabled()
    widget.bsn_edit.setPlainText("999990019\n999990044")
    assert widget.check_button.isEnabled()
    with qtbot.waitSignal(widget.checked, timeout=5000):
        widget.check_button.click()
    (call,) = services.subscriptions.calls
    assert call == (["999990019", "999990044"], widget.berichttype(), 1)
    assert widget.answer_title.text().endswith("1 van 2 krijgt het bericht digitaal.")
    badges = [(b.text(), b.tone_name) for b, _note in widget.rows]
    assert badges == [
        ("Krijgt het bericht digitaal", "green"),
        ("Krijgt het bericht niet digitaal: verstuur per post", "amber"),
    ]
    assert "Abonnementsoverzicht van 01-11-2026" in widget.rows[0][1].text()


def test_bad_bsn_disables_the_button_with_the_reason(services, task_runner, qtbot) -> None:
    widget = make(services, task_runner, qtbot)
    qtbot.keyClicks(widget.bsn_edit, "999990018")
    assert not widget.check_button.isEnabled()
    assert "elfproef" in widget.problem_label.text()
    widget.bsn_edit.setPlainText(" ".join(f"{n:09d}" for n in range(251)))
    assert "maximaal 250" in widget.problem_label.text()


def test_a_fault_is_shown_in_dutch_and_the_form_stays_usable(services, task_runner, qtbot) -> None:
    widget = make(services, task_runner, qtbot)
    services.subscriptions.fail = (
        "MijnOverheid weigerde de abonnementscontrole (ApplicationFault): x."
    )
    qtbot.keyClicks(widget.bsn_edit, "999990019")
    widget.check()
    qtbot.waitUntil(lambda: widget.error_label.isVisible())
    assert "(ApplicationFault)" in widget.error_label.text()
    assert widget.check_button.isEnabled()


def test_the_window_stays_responsive_while_asking(services, task_runner, qtbot) -> None:
    widget = make(services, task_runner, qtbot)
    services.subscriptions.gate = threading.Event()
    qtbot.keyClicks(widget.bsn_edit, "999990019")
    widget.check()
    assert (
        widget.check_button.text() == "Bezig met controleren…"
        and not widget.check_button.isEnabled()
    )
    services.subscriptions.gate.set()
    qtbot.waitUntil(lambda: widget.result is not None)
