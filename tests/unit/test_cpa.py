"""CPA parsing, checking, warnings and writing (console.digikoppeling.ebms.cpa).

The 16 CPAs of ebms-core in ../shared/reference/ebms-core/cpas/ are the oracle: one test per
file checks what the console reads from it against what the file name and the file itself
say (profile, sync mode, endpoints, certificates, reliable-messaging schedule).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509

from console.digikoppeling.ebms.cpa import (
    NS_CPPA,
    Cpa,
    CpaError,
    CpaPartySpec,
    CpaSpec,
    Profile,
    build_cpa,
    format_duration,
    iso_duration,
    parse_cpa,
    parse_duration,
)
from console.xml.parser import parse_xml

REFERENCE = (Path(__file__).resolve().parents[2] / ".." / "shared" / "reference").resolve()
CPAS = REFERENCE / "ebms-core" / "cpas"
CPA_FILES = sorted(p.name for p in CPAS.glob("*.xml")) if CPAS.is_dir() else []
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
AFLEVEREN = ("osb:afleveren:1.1$1.0", "urn:osb:services", "afleveren")


@pytest.fixture(scope="module")
def cpa_dir() -> Path:
    if not CPAS.is_dir():
        pytest.skip(f"referentiebestanden ontbreken: {CPAS}")
    return CPAS


def test_all_sixteen_reference_cpas_are_there(cpa_dir: Path) -> None:
    assert len(CPA_FILES) == 16


def _expected_profile(name: str) -> Profile:
    reliable = ".rm." in name
    if "encrypted" in name:
        return Profile.OSB_RM_E if reliable else Profile.OSB_BE_E
    if "signed" in name and "unsigned" not in name:
        return Profile.OSB_RM_S if reliable else Profile.OSB_BE_S
    return Profile.OSB_RM if reliable else Profile.OSB_BE


def _certificates_in_file(path: Path) -> dict[str, str]:
    """certId -> SHA-256 fingerprint, computed here straight from the file."""
    root = parse_xml(path.read_bytes())
    out: dict[str, str] = {}
    for cert in root.iter(f"{{{NS_CPPA}}}Certificate"):
        text = cert.findtext(f".//{{{NS_DS}}}X509Certificate")
        assert text is not None
        der = base64.b64decode("".join(text.split()))
        digest = hashlib.sha256(der).hexdigest().upper()
        out[cert.get(f"{{{NS_CPPA}}}certId") or ""] = ":".join(
            digest[i : i + 2] for i in range(0, 64, 2)
        )
    return out


@pytest.mark.parametrize("name", [n for n in CPA_FILES if n.startswith("cpaStubEBF")])
def test_reference_stub_cpa_is_read_correctly(cpa_dir: Path, name: str) -> None:
    path = cpa_dir / name
    cpa = parse_cpa(path.read_bytes())
    assert cpa.cpa_id == name.removesuffix(".xml")
    assert (cpa.status, cpa.version) == ("agreed", "1.0")
    assert cpa.start == datetime(2011, 1, 1, tzinfo=UTC)
    assert cpa.end == datetime(2031, 1, 1, tzinfo=UTC)
    logius, overheid = cpa.parties
    assert (logius.name, overheid.name) == ("Logius", "Overheid")
    assert [str(p) for p in logius.party_ids] == ["00000000000000000000 (urn:osb:oin)"]
    assert [str(p) for p in overheid.party_ids] == ["00000000000000000001 (urn:osb:oin)"]
    assert (logius.roles, overheid.roles) == (("DIGIPOORT",), ("OVERHEID",))
    assert {b.action for b in logius.can_send} == {"afleveren", "bevestigAanleveren"}
    assert {b.action for b in logius.can_receive} == {"bevestigAfleveren", "aanleveren"}
    assert {b.action for b in overheid.can_send} == {"bevestigAfleveren", "aanleveren"}

    expected = _expected_profile(name)
    assert cpa.profile is expected
    assert cpa.profiles == (expected,)
    route = cpa.send_route(logius, *AFLEVEREN)
    assert route is not None and route.to_party is overheid
    assert route.profile is expected
    mc = route.channel.characteristics
    assert mc.sync_reply_mode == ("signalsAndResponse" if ".sync" in name else "none")
    assert mc.ack_requested == ("always" if expected.reliable else "never")
    assert mc.duplicate_elimination == ("always" if expected.reliable else "never")
    assert mc.ack_signature_requested == ("always" if "ackSigned" in name else "never")
    scheme = "https" if ".https." in name else "http"
    assert route.endpoint == f"{scheme}://localhost:8088/ebms"  # Overheid receives there
    assert logius.endpoints == (f"{scheme}://localhost:8888/ebms",)

    rm = route.reliable_messaging
    if expected.reliable:
        assert rm is not None
        assert (rm.retries, rm.retry_interval) == (5, timedelta(minutes=5))
        assert rm.message_order == "NotGuaranteed"
        minutes = 25 if ("ackSigned" in name or "https.signed.sync" in name) else 30
        assert rm.persist_duration == timedelta(minutes=minutes)
    else:
        assert rm is None

    # Certificates: what we show is what the file holds, fingerprint computed independently.
    in_file = _certificates_in_file(path)
    shown = {c.cert_id: c for p in cpa.parties for c in p.certificates}
    assert {k: c.sha256_fingerprint for k, c in shown.items()} == in_file
    per_party = 0 if "unsigned" in name else (4 if ".https." in name else 1)
    assert len(logius.certificates) == len(overheid.certificates) == per_party
    for cert in shown.values():
        assert cert.subject == "CN=localhost,OU=Rules Matter,O=Ordina,L=Groningen,ST=Groningen,C=NL"
        assert cert.issuer == cert.subject  # self-signed test certificate
        assert cert.not_before is not None and cert.not_after is not None
        assert cert.not_before < cert.not_after
        assert cert.pem is not None
        assert x509.load_pem_x509_certificate(cert.pem.encode()).serial_number == int(
            cert.serial_number or "0"
        )

    warnings = " ".join(cpa.warnings(datetime(2026, 6, 1, tzinfo=UTC)))
    assert ("gebruikt geen HTTPS" in warnings) == (scheme == "http")
    assert ("versturen met deze CPA wordt geweigerd" in warnings) == (not expected.supported)
    assert "langer dan 10 jaar" in warnings


@pytest.mark.parametrize("name", [n for n in CPA_FILES if n.startswith("cpa-cv")])
def test_reference_compliance_cpa_is_read_correctly(cpa_dir: Path, name: str) -> None:
    path = cpa_dir / name
    cpa = parse_cpa(path.read_bytes())
    assert cpa.cpa_id == "CPAID_EchoService-1-0"
    cv, consumer = cpa.parties
    assert cv.name == "DK Compliancevoorziening ebMS" and consumer.name == "Consumer"
    assert str(cv.party_id) == "00000000000000000000 (urn:cv:oin)"
    assert str(consumer.party_id) == "00000000000000000001 (urn:cv:oin)"
    # Six ServiceBindings, one per Digikoppeling profile, each with its own channel.
    assert set(cpa.profiles) == set(Profile)
    expected = {
        "urn:cv:be:services": Profile.OSB_BE,
        "urn:cv:rm:services": Profile.OSB_RM,
        "urn:cv:be:signed:services": Profile.OSB_BE_S,
        "urn:cv:rm:signed:services": Profile.OSB_RM_S,
        "urn:cv:be:encrypted:services": Profile.OSB_BE_E,
        "urn:cv:rm:encrypted:services": Profile.OSB_RM_E,
    }
    for service_type, profile in expected.items():
        route = cpa.send_route(consumer, "EchoService$1.0", service_type, "EchoRequest")
        assert route is not None, service_type
        assert route.profile is profile, service_type
        assert route.receive_binding.action == "EchoRequest"
        reply = cpa.send_route(cv, "EchoService$1.0", service_type, "EchoResponse")
        assert reply is not None and reply.to_party is consumer
    assert cpa.profile is Profile.OSB_RM_E
    scheme = "https" if "https" in name else "http"
    assert all(uri.startswith(f"{scheme}://") for p in cpa.parties for uri in p.endpoints)
    in_file = _certificates_in_file(path)
    shown = {c.cert_id: c.sha256_fingerprint for p in cpa.parties for c in p.certificates}
    assert shown == in_file and len(shown) == (8 if scheme == "https" else 4)


# --- durations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT3H", timedelta(hours=3)),
        ("PT5M", timedelta(minutes=5)),
        ("P1D", timedelta(days=1)),
        ("P5D", timedelta(days=5)),
        ("PT30S", timedelta(seconds=30)),
        ("P1DT2H3M4.5S", timedelta(days=1, hours=2, minutes=3, seconds=4.5)),
        ("P2W", timedelta(days=14)),
        ("P1Y", timedelta(days=365)),
        ("P1M", timedelta(days=30)),
        (" PT10S ", timedelta(seconds=10)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "P", "PT", "3H", "PT3X", "-PT3H", "P1DT", "PT1.5H"])
def test_parse_duration_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    "value",
    [timedelta(seconds=10), timedelta(hours=3), timedelta(days=1), timedelta(days=1, minutes=5)],
)
def test_iso_duration_round_trips(value: timedelta) -> None:
    assert parse_duration(iso_duration(value)) == value


def test_format_duration_in_dutch() -> None:
    assert format_duration(timedelta(hours=3)) == "3 uur"
    assert format_duration(timedelta(minutes=5)) == "5 minuten"
    assert format_duration(timedelta(days=1, hours=2)) == "1 dag en 2 uur"
    assert (
        format_duration(timedelta(days=2, minutes=1, seconds=1)) == "2 dagen, 1 minuut en 1 seconde"
    )


# --- writing and warnings ------------------------------------------------------------------

BB = "urn:osb:services:MIJNOVERHEID.ebMS.BB.2.0"


def _spec(**kw: object) -> CpaSpec:
    now = datetime.now(UTC)
    values: dict[str, object] = {
        "cpa_id": "BB_00000099123456789000_00000004003214345001_1",
        "service": BB,
        "service_type": None,
        "parties": (
            CpaPartySpec(
                "Gemeente Voorbeeld",
                "00000099123456789000",
                "SR",
                "https://gemeente.example/ebms",
                ("GLOBE-R-BV-Request",),
                ("GLOBE-R-BV-Result",),
            ),
            CpaPartySpec(
                "Logius",
                "00000004003214345001",
                "SP",
                "https://logius.example/ebms",
                ("GLOBE-R-BV-Result",),
                ("GLOBE-R-BV-Request",),
            ),
        ),
        "start": now - timedelta(days=1),
        "end": now + timedelta(days=365),
    }
    values.update(kw)
    return CpaSpec(**values)  # type: ignore[arg-type]


def test_built_cpa_reads_back_with_the_same_values() -> None:
    spec = _spec(
        retries=7,
        retry_interval=timedelta(minutes=20),
        persist_duration=timedelta(days=2),
        sync_reply_mode="mshSignalsOnly",
    )
    cpa = parse_cpa(build_cpa(spec))
    assert cpa.cpa_id == spec.cpa_id and cpa.status == "agreed"
    ours, logius = cpa.parties
    route = cpa.send_route(ours, BB, None, "GLOBE-R-BV-Request")
    assert route is not None and route.to_party is logius
    assert route.endpoint == "https://logius.example/ebms"
    assert route.profile is Profile.OSB_RM
    rm = route.reliable_messaging
    assert rm is not None
    assert (rm.retries, rm.retry_interval, rm.persist_duration) == (
        7,
        timedelta(minutes=20),
        timedelta(days=2),
    )
    assert route.channel.characteristics.sync_reply_mode == "mshSignalsOnly"
    assert cpa.send_route(ours, BB, None, "GLOBE-R-BV-Result") is None  # only Logius sends it
    assert cpa.send_route(logius, BB, None, "GLOBE-R-BV-Result") is not None
    assert cpa.warnings() == ()


def test_warnings_for_expiry_status_and_certificates() -> None:
    now = datetime.now(UTC)
    soon = parse_cpa(build_cpa(_spec(end=now + timedelta(days=30))))
    assert any("verloopt op" in w and "over 29 dagen" in w for w in soon.warnings(now))
    later = parse_cpa(build_cpa(_spec(end=now + timedelta(days=90))))
    assert later.warnings(now) == ()
    proposed = parse_cpa(build_cpa(_spec(status="proposed")))
    assert any("'proposed', niet 'agreed'" in w for w in proposed.warnings(now))
    assert not proposed.is_valid_at(now)
    expired = parse_cpa(
        build_cpa(_spec(start=now - timedelta(days=400), end=now - timedelta(days=1)))
    )
    assert any("is verlopen op" in w for w in expired.warnings(now))
    assert not expired.is_valid_at(now)


# --- refusals -------------------------------------------------------------------------------


def _problems(data: bytes) -> str:
    with pytest.raises(CpaError) as info:
        parse_cpa(data)
    return str(info.value)


def test_not_xml_and_wrong_root_are_refused() -> None:
    assert "niet in orde" in _problems(b"dit is geen xml")
    text = _problems(b"<Envelope xmlns='urn:x'/>")
    assert "Dit is geen CPA" in text and "Envelope" in text


def test_doctype_and_entities_are_refused_without_expanding(tmp_path: Path) -> None:
    secret = tmp_path / "geheim.txt"
    secret.write_text("GEHEIM-123")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file://{secret}">]>'
        f'<tns:CollaborationProtocolAgreement xmlns:tns="{NS_CPPA}" tns:cpaid="&x;" '
        'tns:version="1"/>'
    ).encode()
    text = _problems(xxe)
    assert "DOCTYPE" in text and "GEHEIM" not in text
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
            for i in range(1, 10)
        )
        + f']><tns:CollaborationProtocolAgreement xmlns:tns="{NS_CPPA}">&lol9;'
        "</tns:CollaborationProtocolAgreement>"
    ).encode()
    assert "DOCTYPE" in _problems(laughs)


def _mutated(
    cpa_dir: Path, old: str, new: str, name: str = "cpaStubEBF.rm.https.signed.xml"
) -> bytes:
    text = (cpa_dir / name).read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1).encode()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('tns:cpaid="cpaStubEBF.rm.https.signed" ', "", "cpaid ontbreekt"),
        ('<tns:Status tns:value="agreed" />', '<tns:Status tns:value="klaar" />', "Status 'klaar'"),
        (
            "<tns:End>2031-01-01T00:00:00Z</tns:End>",
            "<tns:End>2010-01-01T00:00:00Z</tns:End>",
            "End ligt niet na Start",
        ),
        (
            "<tns:Start>2011-01-01T00:00:00Z</tns:Start>",
            "<tns:Start>morgen</tns:Start>",
            "geen geldige datum",
        ),
        (
            "<tns:ChannelId>DIGIPOORT_defaultDeliveryChannel_ProfileReliableMessagingSigned",
            "<tns:ChannelId>Nergens",
            "DeliveryChannel Nergens bestaat niet",
        ),
        ("<tns:Retries>5</tns:Retries>", "<tns:Retries>vijf</tns:Retries>", "geen geheel getal"),
        (
            "<tns:RetryInterval>PT5M</tns:RetryInterval>",
            "<tns:RetryInterval>5 minuten</tns:RetryInterval>",
            "geen geldige xs:duration",
        ),
        ('tns:packageId="XMLMessagePackage"', 'tns:packageId="Onbekend"', "Packaging Onbekend"),
        (
            "<tns:OtherPartyActionBinding>OVERHEID_R_Afleveren<",
            "<tns:OtherPartyActionBinding>OVERHEID_X<",
            "OtherPartyActionBinding OVERHEID_X bestaat niet",
        ),
        ('tns:syncReplyMode="none"', 'tns:syncReplyMode="soms"', "syncReplyMode 'soms'"),
    ],
)
def test_broken_cpas_are_refused_with_a_dutch_reason(
    cpa_dir: Path, old: str, new: str, expected: str
) -> None:
    assert expected in _problems(_mutated(cpa_dir, old, new))


def test_a_cpa_has_exactly_two_parties(cpa_dir: Path) -> None:
    text = (cpa_dir / "cpaStubEBF.rm.http.unsigned.xml").read_text(encoding="utf-8")
    start = text.index("<tns:PartyInfo")
    end = text.index("</tns:PartyInfo>") + len("</tns:PartyInfo>")
    assert "precies twee PartyInfo" in _problems((text[:start] + text[end:]).encode())


def test_party_lookup_by_type_and_oin(cpa_dir: Path) -> None:
    cpa: Cpa = parse_cpa((cpa_dir / "cpaStubEBF.rm.http.unsigned.xml").read_bytes())
    logius = cpa.parties[0]
    assert cpa.party("00000000000000000000", "urn:osb:oin") is logius
    assert cpa.party("urn:osb:oin:00000000000000000000", None) is logius
    assert cpa.party("00000000000000000000", "type") is None
    assert cpa.party_by_oin("00000000000000000001") is cpa.parties[1]
    assert cpa.other(logius) is cpa.parties[1]
