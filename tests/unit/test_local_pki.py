"""The simulator's local test PKI: certificate contents, the folder, and what never hits disk."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import stat
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from console.digikoppeling.tls import client_context, oin_from_certificate, server_context
from console.secrets import local_pki
from console.secrets.local_pki import TEST_MARKER, LocalPki

OIN = "00000099000000001000"
OTHER_OIN = "00000099000000002000"
ORG = "Gemeente Voorbeeld"
POSIX = sys.platform != "win32"


def _subject(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    return str(cert.subject.get_attributes_for_oid(oid)[0].value)


def _eku(cert: x509.Certificate) -> set[x509.ObjectIdentifier]:
    return set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)


@pytest.fixture(scope="module")
def ca() -> local_pki.IssuedCert:
    return local_pki.create_ca("Unit-CA")


def test_ca_is_a_marked_ca(ca: local_pki.IssuedCert) -> None:
    cert = ca.certificate
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    assert TEST_MARKER in _subject(cert, NameOID.COMMON_NAME)
    assert cert.issuer == cert.subject
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)


def test_client_cert_is_pkioverheid_style(ca: local_pki.IssuedCert) -> None:
    issued = local_pki.issue_client_cert(
        ca, oin=OIN, organisation=ORG, common_name="Berichtenbox koppeling"
    )
    cert = issued.certificate
    assert _subject(cert, NameOID.COUNTRY_NAME) == "NL"
    assert _subject(cert, NameOID.ORGANIZATION_NAME) == ORG
    assert _subject(cert, NameOID.SERIAL_NUMBER) == OIN
    cn = _subject(cert, NameOID.COMMON_NAME)
    assert TEST_MARKER in cn and "Berichtenbox koppeling" in cn
    assert [a.oid for a in cert.subject] == [
        NameOID.COUNTRY_NAME,
        NameOID.ORGANIZATION_NAME,
        NameOID.SERIAL_NUMBER,
        NameOID.COMMON_NAME,
    ]
    assert _eku(cert) == {ExtendedKeyUsageOID.CLIENT_AUTH}
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    cert.verify_directly_issued_by(ca.certificate)
    key = cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    assert oin_from_certificate(issued.cert_pem) == OIN
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days in (825, 824)


def test_rsa_option_and_validity_window(ca: local_pki.IssuedCert) -> None:
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(2020, 6, 1, tzinfo=dt.UTC)
    issued = local_pki.issue_client_cert(
        ca,
        oin=OIN,
        organisation=ORG,
        common_name="x",
        not_before=start,
        not_after=end,
        key_type="rsa",
    )
    cert = issued.certificate
    key = cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048
    assert cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_encipherment
    assert (cert.not_valid_before_utc, cert.not_valid_after_utc) == (start, end)
    with pytest.raises(ValueError):
        local_pki.issue_client_cert(
            ca, oin=OIN, organisation=ORG, common_name="x", not_before=end, not_after=start
        )


def test_bad_oin_is_refused(ca: local_pki.IssuedCert) -> None:
    with pytest.raises(ValueError, match="20 cijfers"):
        local_pki.issue_client_cert(ca, oin="123", organisation=ORG, common_name="x")
    with pytest.raises(ValueError):
        local_pki.issue_server_cert(ca, ["localhost"], oin="abc")


def test_server_cert_has_dns_and_ip_sans(ca: local_pki.IssuedCert) -> None:
    issued = local_pki.issue_server_cert(ca, ["localhost", "127.0.0.1", "::1"], oin=None)
    cert = issued.certificate
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert san.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]
    assert _eku(cert) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    assert not cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    assert TEST_MARKER in _subject(cert, NameOID.COMMON_NAME)
    with pytest.raises(ValueError):
        local_pki.issue_server_cert(ca, [], oin=None)


def test_long_names_stay_within_the_cn_limit() -> None:
    cn = local_pki.marked_common_name("x" * 200)
    assert len(cn) == 64 and cn.startswith(TEST_MARKER)
    assert local_pki.marked_common_name(f"{TEST_MARKER} CA") == f"{TEST_MARKER} CA"


# --- the folder -----------------------------------------------------------------------------


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_ensure_creates_the_pki_without_the_client_key(tmp_path: Path) -> None:
    folder = tmp_path / "simulator" / "pki"
    pki = LocalPki.ensure(folder, OIN, ORG)
    assert pki.new_client_key_pem is not None
    assert pki.new_client_key_pem not in _all_bytes(folder)
    key_body = pki.new_client_key_pem.split(b"\n")[1]
    assert key_body not in _all_bytes(folder)
    client = x509.load_pem_x509_certificate(pki.client_cert_pem)
    assert _subject(client, NameOID.SERIAL_NUMBER) == OIN
    assert _subject(client, NameOID.ORGANIZATION_NAME) == ORG
    client.verify_directly_issued_by(pki.ca.certificate)
    inbound = pki.inbound.certificate
    assert _subject(inbound, NameOID.SERIAL_NUMBER) == OIN
    for issued in (pki.simulator, pki.inbound):
        issued.certificate.verify_directly_issued_by(pki.ca.certificate)
        assert TEST_MARKER in _subject(issued.certificate, NameOID.COMMON_NAME)
    assert (folder / "LEESMIJ-TESTMATERIAAL.txt").read_text().startswith(TEST_MARKER)
    if POSIX:
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
        for name in ("ca.key", "simulator.key", "inbound.key"):
            assert stat.S_IMODE(os.stat(folder / name).st_mode) == 0o600, name
    assert sorted(p.name for p in folder.iterdir()) == [
        "LEESMIJ-TESTMATERIAAL.txt",
        "ca.key",
        "ca.pem",
        "client.pem",
        "inbound.key",
        "inbound.pem",
        "simulator.key",
        "simulator.pem",
    ]


def test_ensure_again_reuses_everything(tmp_path: Path) -> None:
    first = LocalPki.ensure(tmp_path, OIN, ORG)
    again = LocalPki.ensure(tmp_path, OIN, ORG)
    assert again.new_client_key_pem is None
    assert (
        again.ca == first.ca
        and again.simulator == first.simulator
        and again.inbound == first.inbound
    )
    assert again.client_cert_pem == first.client_cert_pem


def test_client_is_reissued_when_oin_changes_or_key_is_lost(tmp_path: Path) -> None:
    first = LocalPki.ensure(tmp_path, OIN, ORG)
    moved = LocalPki.ensure(tmp_path, OTHER_OIN, ORG)
    assert moved.new_client_key_pem is not None and moved.ca == first.ca
    assert oin_from_certificate(moved.client_cert_pem) == OTHER_OIN
    assert oin_from_certificate(moved.inbound.cert_pem) == OTHER_OIN
    lost = LocalPki.ensure(tmp_path, OTHER_OIN, ORG, client_key_available=False)
    assert lost.new_client_key_pem not in (None, moved.new_client_key_pem)
    assert lost.client_cert_pem != moved.client_cert_pem
    renamed = LocalPki.ensure(tmp_path, OTHER_OIN, "Gemeente Anders")
    assert renamed.new_client_key_pem is not None


def test_issue_client_writes_only_the_certificate(tmp_path: Path) -> None:
    pki = LocalPki.ensure(tmp_path, OIN, ORG)
    issued = pki.issue_client(oin=OIN, organisation=ORG, common_name="Nieuwe sleutel")
    assert (tmp_path / "client.pem").read_bytes() == issued.cert_pem
    assert issued.key_pem not in _all_bytes(tmp_path)
    assert LocalPki.ensure(tmp_path, OIN, ORG).client_cert_pem == issued.cert_pem


def test_broken_or_foreign_material_is_replaced(tmp_path: Path) -> None:
    first = LocalPki.ensure(tmp_path, OIN, ORG)
    (tmp_path / "simulator.key").write_bytes(b"kapot")
    fixed = LocalPki.ensure(tmp_path, OIN, ORG)
    assert fixed.simulator != first.simulator and fixed.ca == first.ca
    assert fixed.new_client_key_pem is None

    (tmp_path / "ca.pem").unlink()
    fresh = LocalPki.ensure(tmp_path, OIN, ORG)
    assert fresh.ca != first.ca
    assert fresh.new_client_key_pem is not None, "a new CA means a new client certificate"
    for pem in (fresh.simulator.cert_pem, fresh.inbound.cert_pem, fresh.client_cert_pem):
        x509.load_pem_x509_certificate(pem).verify_directly_issued_by(fresh.ca.certificate)


def test_pki_material_loads_into_tls_contexts(tmp_path: Path) -> None:
    pki = LocalPki.ensure(tmp_path, OIN, ORG)
    assert pki.new_client_key_pem is not None
    client_context(pki.client_chain_pem, pki.new_client_key_pem, pki.trust_pem)
    server_context(pki.simulator_chain_pem, pki.simulator.key_pem, pki.trust_pem)
    server_context(pki.inbound_chain_pem, pki.inbound.key_pem, pki.trust_pem)


def test_bad_client_oin_is_refused_before_touching_the_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        LocalPki.ensure(tmp_path / "pki", "123", ORG)
    assert not (tmp_path / "pki").exists()
