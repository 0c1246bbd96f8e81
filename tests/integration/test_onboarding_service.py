"""Aansluiten on a real console: the checklist turns green from what the console itself did.

A test letter goes through the engine and the simulator over two-way TLS; the step
"Testbericht verstuurd en resultaat ontvangen (simulator)" then names its BerichtID. The
connection test of a preprod connection really runs (and fails at TCP, on a closed loopback
port) and is kept as evidence.
"""

from __future__ import annotations

import socket

from console.domain.onboarding import StepState
from console.services.bootstrap import ConsoleServices
from console.services.connections import ConnectionInput
from console.services.demo import DEMO_OIN, demo_cpa_document
from tests.certificate_factory import make_ca, make_leaf, p12

from .conftest import submit, wait_for


def test_a_test_letter_through_the_simulator_is_the_evidence_of_its_step(
    workspace: ConsoleServices,
) -> None:
    onboarding = workspace.onboarding
    assert onboarding is not None
    org = workspace.workspace.status().organisation_id
    assert org is not None
    before = onboarding.checklist(org).step("testbericht_simulator")
    assert before.state is StepState.OPEN and before.evidence == ()

    delivered = wait_for(workspace, submit(workspace, "999990019"))
    not_subscribed = wait_for(workspace, submit(workspace, "999990044"))
    assert delivered.row.verwerkings_code == "Verwerkt"
    assert not_subscribed.row.verwerkings_code == "NietActiefOfGeabonneerd"

    checklist = onboarding.checklist(org)
    step = checklist.step("testbericht_simulator")
    assert step.state is StepState.DONE and step.next_step == ""
    evidence = "\n".join(step.evidence)
    assert f"BerichtID {delivered.row.bericht_id}: verstuurd op " in evidence
    assert f"BerichtID {not_subscribed.row.bericht_id}: verstuurd op " in evidence
    assert "resultaat Verwerkt ontvangen op" in evidence
    assert "resultaat NietActiefOfGeabonneerd ontvangen op" in evidence
    assert "(SIMULATOR, koppeling Demo-simulator)" in evidence
    # The simulator is practice: preprod still waits for its own test letter.
    assert checklist.step("testbericht_preprod").state is StepState.BLOCKED

    report = onboarding.report_text(org)
    assert "[Gedaan] Testbericht verstuurd en resultaat ontvangen (simulator)" in report
    assert delivered.row.bericht_id in report


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _preprod_connection(workspace: ConsoleServices) -> tuple[int, str]:
    """A preprod connection for the demo organisation whose endpoint refuses connections."""
    connections = workspace.connections
    assert connections is not None
    org = workspace.workspace.status().organisation_id
    assert org is not None
    ca = make_ca("Preprod-CA")
    cert = workspace.certificates.import_file(
        p12(make_leaf(ca, oin=DEMO_OIN), [ca], None), label="Preprod-certificaat"
    )
    url = f"https://127.0.0.1:{_closed_port()}/ebms"
    connections.create(
        ConnectionInput(
            name="Logius preprod",
            owner_organisation_id=org,
            environment="preprod",
            certificate_id=cert.certificate.id,
            cpa_document=demo_cpa_document(
                client_cert_pem=None,
                inbound_cert_pem=None,
                simulator_cert_pem=None,
                cpa_id="BB_PREPROD_1",
                simulator_url=url,
            ),
            cpa_filename="preprod.xml",
        )
    )
    return org, url


def test_the_connection_test_of_a_preprod_connection_is_kept_as_evidence(
    workspace: ConsoleServices,
) -> None:
    onboarding = workspace.onboarding
    assert onboarding is not None
    org, url = _preprod_connection(workspace)
    checklist = onboarding.checklist(org)
    assert checklist.step("certificaat_preprod").state is StepState.DONE
    assert checklist.step("cpa_preprod").state is StepState.DONE
    assert checklist.step("verbindingstest_preprod").state is StepState.OPEN

    result = onboarding.run_connection_test(org, actor="j.jansen")
    assert not result.ok and result.url == url

    step = onboarding.checklist(org).step("verbindingstest_preprod")
    assert step.state is StepState.BLOCKED and step.tone == "red"
    assert step.problem is not None and step.problem.startswith("TCP-verbinding: ")
    assert step.evidence[0].startswith("Verbindingstest op ")
    assert (
        "door j.jansen (koppeling Logius preprod): De verbindingstest is mislukt bij: "
        in (step.evidence[0])
    )
    # The user may still tick it (for a test done elsewhere); the mark then wins.
    ticked = onboarding.set_manual(org, "verbindingstest_preprod", actor="j.jansen")
    assert ticked.step("verbindingstest_preprod").state is StepState.DONE


def test_a_connection_test_started_elsewhere_is_evidence_too(workspace: ConsoleServices) -> None:
    """Certificaten and the command line run the same test; its outcome counts on Aansluiten."""
    onboarding = workspace.onboarding
    assert onboarding is not None
    org, _ = _preprod_connection(workspace)
    assert onboarding.checklist(org).step("verbindingstest_preprod").evidence == ()

    result = workspace.connection_test.run("Logius preprod", actor="k.klant")
    assert not result.ok
    step = onboarding.checklist(org).step("verbindingstest_preprod")
    assert step.state is StepState.BLOCKED
    assert "door k.klant (koppeling Logius preprod)" in step.evidence[0]
