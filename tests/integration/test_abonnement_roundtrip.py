"""AbonnementService end to end: request over ebMS, gzipped answer from the simulator, import."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from console.db import models as m
from console.db import models_subscriptions as ms
from console.services.bootstrap import ConsoleServices
from console.services.subscriptions import SubscriptionRequestInfo
from tests.gui.fake_services import valid_bsns

from .conftest import submit, wait_for


def _answered(
    workspace: ConsoleServices, info: SubscriptionRequestInfo, timeout: float = 120
) -> SubscriptionRequestInfo:
    assert workspace.subscriptions is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = workspace.subscriptions.request(info.id)
        if info.status in ("answered", "failed"):
            return info
        time.sleep(0.05)
    return info


@pytest.fixture
def subs(workspace: ConsoleServices):  # type: ignore[no-untyped-def]
    assert workspace.simulator is not None and workspace.subscriptions is not None
    workspace.simulator.store.set_setting("abs_delay_seconds", 0)
    return workspace.subscriptions


def _org(workspace: ConsoleServices) -> int:
    org = workspace.workspace.status().organisation_id
    assert org is not None
    return org


def test_volledig_lists_the_subscribed_citizens(workspace: ConsoleServices, subs) -> None:  # type: ignore[no-untyped-def]
    info = _answered(workspace, subs.request_volledig())
    assert info.status == "answered", info
    (snapshot,) = subs.snapshots(_org(workspace))
    assert snapshot.soort_label == "Volledig" and not snapshot.stale
    # 019, 020, 032 are subscribed; 093 (fault injection) has a subscribed box too.
    assert (snapshot.entry_count, snapshot.subscribed_count) == (4, 4)
    lookup = subs.lookup(_org(workspace), ["999990019", "999990044", "123456782"])
    # Absent from a full list means: not subscribed on that date.
    assert lookup == {
        "999990019": "subscribed",
        "999990044": "not_subscribed",
        "123456782": "not_subscribed",
    }
    assert subs.freshness(_org(workspace)).stale is False


def test_mutatie_gives_the_changes_since_a_date(workspace: ConsoleServices, subs) -> None:  # type: ignore[no-untyped-def]
    assert workspace.simulator is not None
    oin = workspace.workspace.status().organisation_oin
    since = datetime.now(UTC) - timedelta(seconds=5)
    workspace.simulator.store.set_citizen_state(oin, "999990044", "subscribed")
    workspace.simulator.store.set_citizen_state(oin, "999990020", "not_subscribed")
    info = _answered(workspace, subs.request_mutatie(since))
    assert info.status == "answered" and info.soort_label == "Mutatie"
    assert subs.lookup(_org(workspace), ["999990044", "999990020", "999990019"]) == {
        "999990044": "subscribed",
        "999990020": "not_subscribed",
    }


def test_an_organisation_outside_the_cpa_gets_a_message_error(
    workspace: ConsoleServices, subs
) -> None:  # type: ignore[no-untyped-def]
    assert workspace.simulator is not None
    party = workspace.simulator.store.parties()[0]
    from dataclasses import replace

    workspace.simulator.store.register_party(replace(party, allowed_oins=("00000099000000009000",)))
    info = subs.request_volledig()
    deadline = time.monotonic() + 30
    while info.status != "failed" and time.monotonic() < deadline:
        time.sleep(0.05)
        info = subs.request(info.id)
    assert info.status == "failed" and info.status_label == "Aanvraag mislukt"
    assert "hoort niet bij de CPA" in info.detail


def test_stale_snapshot_warns_in_preflight_and_in_the_batch(
    workspace: ConsoleServices, subs
) -> None:  # type: ignore[no-untyped-def]
    _answered(workspace, subs.request_lijst(["999990019", "999990044"]))
    with workspace.db.session() as s:
        snap = s.scalar(select(ms.SubscriptionSnapshot))
        assert snap is not None
        snap.peil_datum = datetime.now(UTC) - timedelta(days=8)
        s.commit()
    assert subs.freshness(_org(workspace)).stale
    from console.domain.letter import LetterDraft

    assert workspace.preflight is not None
    report = workspace.preflight.check_one(
        LetterDraft(bsn="999990044", berichttype="BELAST", onderwerp="Aanslag"), _org(workspace)
    )
    assert report.passed
    messages = [i.message for i in report.warnings]
    assert any("8 dagen oud" in msg for msg in messages)
    assert any("heeft de burger deze organisatie uitgezet" in msg for msg in messages)
    detail = wait_for(workspace, submit(workspace, "999990019"))
    batched = next(t for t in detail.timeline if t.kind == "batched")
    assert (
        "Let op: de abonnementsgegevens van" in batched.detail and "8 dagen oud" in batched.detail
    )


@pytest.mark.slow
def test_bsn_list_of_100000_round_trip(workspace: ConsoleServices, subs) -> None:  # type: ignore[no-untyped-def]
    bsns = ["999990019", "999990044", "999990068", *valid_bsns(99_997, start=100_000_000)]
    info = _answered(workspace, subs.request_lijst(bsns), timeout=600)
    assert info.status == "answered", info
    assert info.bsn_count == 100_000
    (snapshot,) = subs.snapshots(_org(workspace))
    assert (snapshot.entry_count, snapshot.subscribed_count) == (100_000, 1)
    with workspace.db.session() as s:
        counts = {
            status: n
            for status, n in s.execute(
                select(ms.SubscriptionEntry.status, func.count()).group_by(
                    ms.SubscriptionEntry.status
                )
            ).tuples()
        }
        sent = s.scalar(
            select(m.EbmsMessage).where(
                m.EbmsMessage.message_id == s.scalar(select(ms.SubscriptionRequest.message_id))
            )
        )
        assert sent is not None and sent.action == "GLOBE-R-A-Request" and len(sent.raw) > 2_000_000
    assert counts == {"subscribed": 1, "not_subscribed": 1, "no_box": 99_998}
    assert subs.lookup(_org(workspace), ["999990019", bsns[-1]]) == {
        "999990019": "subscribed",
        bsns[-1]: "no_box",
    }
