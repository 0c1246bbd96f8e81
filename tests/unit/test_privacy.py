"""BSNs masked by default; a full BSN only with a reason, and every look recorded."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.domain.lifecycle import LetterStatus
from console.logs import setup_logging
from console.services.errors import ServiceError
from console.services.letters import LetterService
from console.services.privacy import NotAllowed, PrivacyService
from console.services.workspace import WorkspaceService
from tests.letter_factory import Workspace, add_letter, letter_events, workspace_db

BSN = "999990019"


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = workspace_db(tmp_path)
    yield workspace
    workspace.db.dispose()


def test_lists_show_only_the_last_four_digits(ws: Workspace) -> None:
    letter_id = add_letter(ws, bsn=BSN, status=LetterStatus.DELIVERED, code="Verwerkt")
    letters = LetterService(ws.db, WorkspaceService(ws.db))
    row = letters.rows([letter_id])[0]
    assert row.bsn_masked == "*****0019"
    assert BSN not in repr(letters.detail(letter_id))


def test_reveal_asks_a_reason_and_records_who_when_why(ws: Workspace) -> None:
    letter_id = add_letter(ws, bsn=BSN)
    privacy = PrivacyService(ws.db, user="jan")
    with pytest.raises(ServiceError, match="reden"):
        privacy.reveal_bsn(letter_id, "  ok ")
    assert privacy.lookups() == []  # nothing shown, nothing recorded

    revealed = privacy.reveal_bsn(letter_id, "telefoon burger,   zaak 2025-123")
    assert revealed.bsn == BSN
    [row] = privacy.lookups()
    assert (row.actor, row.kind, row.bsn, row.letter_id) == ("jan", "reveal", BSN, letter_id)
    assert row.reason == "telefoon burger, zaak 2025-123"
    assert row.kind_label == "BSN getoond"
    # The letter's own timeline says so too (without the number).
    event = letter_events(ws.db, letter_id)[-1]
    assert event.kind == "bsn_revealed" and "jan" in event.detail and BSN not in event.detail


def test_searches_exports_and_evidence_are_recorded(ws: Workspace) -> None:
    privacy = PrivacyService(ws.db, user="piet")
    privacy.record_search(BSN, matches=3)
    privacy.record_export(count=120, reason="verzoek burger", detail="CSV-export naar x.csv.")
    kinds = [(r.kind, r.bsn, r.letter_count) for r in privacy.lookups()]
    assert kinds == [("export", None, 120), ("search", BSN, 3)]  # newest first
    assert [r.bsn for r in privacy.lookups(bsn=BSN)] == [BSN]


def test_only_administrators_read_the_lookup_log(ws: Workspace) -> None:
    anyone = PrivacyService(ws.db, user="piet")
    access = anyone.lookup_access()
    assert access.allowed and "nog geen beheerder" in access.note
    anyone.set_administrators(["marie", "piet"])

    stranger = PrivacyService(ws.db, user="klaas")
    assert not stranger.lookup_access().allowed
    with pytest.raises(NotAllowed, match="Alleen een beheerder"):
        stranger.lookups()
    with pytest.raises(NotAllowed):
        stranger.set_administrators(["klaas"])

    marie = PrivacyService(ws.db, user="marie")
    assert marie.lookup_access().allowed
    marie.lookups()
    with pytest.raises(NotAllowed, match="uzelf"):
        marie.set_administrators(["piet"])


def test_no_full_bsn_reaches_the_log_file(ws: Workspace, tmp_path: Path) -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    setup_logging(tmp_path / "logs")
    try:
        letter_id = add_letter(ws, bsn=BSN)
        privacy = PrivacyService(ws.db, user="jan")
        privacy.reveal_bsn(letter_id, "telefoon burger")
        privacy.record_search(BSN, matches=1)
        logging.getLogger("console.test").warning("Gezocht op %s door %s", BSN, "jan")
        for handler in root.handlers:
            handler.flush()
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)
                handler.close()
    text = (tmp_path / "logs" / "console.log").read_text(encoding="utf-8")
    assert "*****0019" in text
    assert BSN not in text
