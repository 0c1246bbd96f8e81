"""Inbound ebMS on PostgreSQL: a value longer than its column is refused clearly, not a 500.

SQLite stores any length in a VARCHAR column; PostgreSQL refuses a value that does not fit.
A partner's MessageId of more than 255 characters must then give the partner a MessageError
that says so (and leave nothing half stored), and the endpoint must go on working.
"""

from __future__ import annotations

from console.digikoppeling.ebms.mime import package, parse_http
from console.services.bootstrap import ConsoleServices
from console.services.demo import LOGIUS_OIN
from tests.integration.test_ebms_inbound import _post, _result, _stored
from tests.postgres.support import require_server

require_server()


def test_a_message_id_too_long_to_store_gets_a_message_error(
    pg_workspace: ConsoleServices,
) -> None:
    ws = pg_workspace
    long_id = "x" * 300 + "@logius.nl"
    response = _post(ws, LOGIUS_OIN, *package(_result(message_id=long_id)))

    assert response.status_code == 200
    error = parse_http(response.headers["content-type"], response.content, max_bytes=1_000_000)
    assert error.is_message_error
    assert [e.code for e in error.errors] == ["NotSupported"]
    assert "meer dan 255 tekens" in (error.errors[0].description or "")
    assert error.header.ref_to_message_id == long_id
    assert _stored(ws, long_id) == 0

    # The endpoint goes on: a normal message right after is taken in as usual.
    ok = _result(conversation_id="c" * 255)
    again = _post(ws, LOGIUS_OIN, *package(ok))
    assert again.status_code == 200 and again.content == b""
    assert _stored(ws, ok.header.message_id) == 1


def test_a_refusal_about_a_too_long_message_keeps_its_own_reason(
    pg_workspace: ConsoleServices,
) -> None:
    """An unknown CPA and a MessageId that does not fit: both reasons go back."""
    response = _post(pg_workspace, LOGIUS_OIN, *package(_result("onbekend", message_id="y" * 300)))
    error = parse_http(response.headers["content-type"], response.content, max_bytes=1_000_000)
    assert [e.code for e in error.errors] == ["ValueNotRecognized", "NotSupported"]
