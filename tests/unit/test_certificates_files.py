"""Reading certificate files and looking inside: PKCS#12, PEM, DER, PKCS#7, OIN, CSR."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from console.secrets.certificates import (
    CertificateError,
    CsrSubject,
    PasswordRequired,
    WrongPassword,
    build_csr,
    client_certificate_problems,
    generate_key,
    inspect_certificate,
    key_from_secret,
    key_public_sha256,
    key_to_secret,
    load_bundle,
    load_trust_certificates,
    public_key_sha256,
    read_csr,
)
from tests.certificate_factory import (
    NOW,
    OIN,
    Made,
    encrypted_key_pem,
    make_ca,
    make_leaf,
    p7b,
    p12,
)

PASSWORD = "Zomer-2026!geheim"


@pytest.fixture(scope="module")
def root() -> Made:
    return make_ca("Root")


@pytest.fixture(scope="module")
def intermediate(root: Made) -> Made:
    return make_ca("Intermediate", issuer=root)


@pytest.fixture(scope="module")
def leaf(intermediate: Made) -> Made:
    return make_leaf(intermediate)


def test_pkcs12_with_password_gives_leaf_chain_and_key(
    leaf: Made, intermediate: Made, root: Made
) -> None:
    data = p12(leaf, [root, intermediate], PASSWORD.encode())  # chain out of order on purpose

    bundle = load_bundle(data, PASSWORD)

    assert bundle.certificate == leaf.cert
    assert bundle.chain == (intermediate.cert, root.cert)  # ordered: issuer first
    assert bundle.key is not None
    assert key_public_sha256(bundle.key) == inspect_certificate(leaf.cert).public_key_sha256
    assert bundle.file_format == "PKCS#12"


def test_pkcs12_without_password_asks_for_one(leaf: Made, intermediate: Made) -> None:
    data = p12(leaf, [intermediate], PASSWORD.encode())
    with pytest.raises(PasswordRequired):
        load_bundle(data)


def test_wrong_password_is_refused_without_repeating_it(leaf: Made, intermediate: Made) -> None:
    data = p12(leaf, [intermediate], PASSWORD.encode())
    with pytest.raises(WrongPassword) as caught:
        load_bundle(data, "verkeerd-wachtwoord-123")
    assert "verkeerd-wachtwoord-123" not in str(caught.value)
    exc = caught.value
    assert exc.__cause__ is None and (exc.__context__ is None or exc.__suppress_context__)


def test_unprotected_pkcs12_needs_no_password(leaf: Made) -> None:
    bundle = load_bundle(p12(leaf, [], None))
    assert bundle.certificate == leaf.cert and bundle.key is not None


def test_pem_with_encrypted_key(leaf: Made, intermediate: Made) -> None:
    data = leaf.cert_pem + intermediate.cert_pem + encrypted_key_pem(leaf, PASSWORD.encode())
    with pytest.raises(PasswordRequired):
        load_bundle(data)
    with pytest.raises(WrongPassword):
        load_bundle(data, "nee")
    bundle = load_bundle(data, PASSWORD)
    assert bundle.certificate == leaf.cert
    assert bundle.chain == (intermediate.cert,)
    assert bundle.file_format == "PEM"


def test_pem_key_first_and_unrelated_certificate_left_out(
    leaf: Made, intermediate: Made, root: Made
) -> None:
    stranger = make_ca("Vreemde CA")
    data = leaf.key_pem + stranger.cert_pem + root.cert_pem + leaf.cert_pem + intermediate.cert_pem
    bundle = load_bundle(data)
    assert bundle.certificate == leaf.cert
    assert bundle.chain == (intermediate.cert, root.cert)
    assert bundle.ignored == (stranger.cert,)


def test_key_that_belongs_to_no_certificate_is_refused(leaf: Made) -> None:
    other = make_leaf(make_ca("Ander"))
    with pytest.raises(CertificateError, match="hoort bij geen"):
        load_bundle(leaf.cert_pem + other.key_pem)


def test_der_and_pkcs7_without_key(leaf: Made, intermediate: Made) -> None:
    der = leaf.cert.public_bytes(serialization.Encoding.DER)
    bundle = load_bundle(der)
    assert bundle.certificate == leaf.cert and bundle.key is None and bundle.file_format == "DER"

    bundle = load_bundle(p7b([intermediate, leaf]))
    assert bundle.certificate == leaf.cert
    assert bundle.chain == (intermediate.cert,)


def test_only_ca_certificates_point_to_the_trust_store(root: Made, intermediate: Made) -> None:
    with pytest.raises(CertificateError, match="trust store"):
        load_bundle(root.cert_pem + intermediate.cert_pem)


def test_csr_and_garbage_are_refused_with_advice() -> None:
    key = generate_key("ec256")
    csr = build_csr(key, CsrSubject(OIN, "Gemeente Voorbeeld", "koppeling")).encode()
    with pytest.raises(CertificateError, match="certificaataanvraag"):
        load_bundle(csr)
    with pytest.raises(CertificateError, match="geen geldig certificaatbestand"):
        load_bundle(b"\x30\x03\x02\x01\x00 dit is geen certificaat")
    with pytest.raises(CertificateError, match="leeg"):
        load_bundle(b"")


def test_short_rsa_key_is_refused() -> None:
    weak = make_leaf(make_ca(), key_kind="rsa1024")
    with pytest.raises(CertificateError, match="2048"):
        load_bundle(weak.cert_pem + weak.key_pem)


def test_inspect_reads_oin_and_recognises_the_test_prefix(leaf: Made) -> None:
    info = inspect_certificate(leaf.cert)
    assert info.oin == OIN
    assert info.oin_problem is None
    assert info.oin_is_test is True
    assert info.oin_kind == "test-OIN"
    assert any("test-OIN" in n for n in info.oin_notes)
    assert info.key_type == "EC" and info.key_size == 256
    assert info.key_usage == ("digitalSignature",)
    assert info.extended_key_usage == ("clientAuth",)
    assert len(info.fingerprint_sha256) == 64 and len(info.fingerprint_sha1) == 40
    assert info.subject_fields == (
        ("C", "NL"),
        ("O", "Gemeente Voorbeeld"),
        ("serialNumber", OIN),
        ("CN", "Berichtenbox koppeling"),
    )
    assert info.days_left(NOW) in (364, 365)
    assert client_certificate_problems(info) == []


@pytest.mark.parametrize(
    ("oin", "expected"),
    [
        (None, "geen OIN"),
        ("1234", "20 cijfers"),
        ("12345678901234567890", "geen bekend OIN-prefix"),
        ("0000000400321434500A", "alleen uit cijfers"),
    ],
)
def test_inspect_explains_a_missing_or_malformed_oin(oin: str | None, expected: str) -> None:
    info = inspect_certificate(make_leaf(make_ca(), oin=oin).cert)
    assert info.oin_problem is not None and expected in info.oin_problem
    assert info.oin_is_test is False


def test_production_oin_with_unusual_suffix_gets_a_note() -> None:
    info = inspect_certificate(make_leaf(make_ca(), oin="00000004003214345001").cert)
    assert info.oin_problem is None and not info.oin_is_test
    assert info.oin_kind == "subOIN"
    assert any("001" in n for n in info.oin_notes)


def test_validity_problems() -> None:
    expired = inspect_certificate(
        make_leaf(
            make_ca(), not_before=NOW - dt.timedelta(days=400), not_after=NOW - dt.timedelta(days=2)
        ).cert
    )
    future = inspect_certificate(
        make_leaf(
            make_ca(), not_before=NOW + dt.timedelta(days=3), not_after=NOW + dt.timedelta(days=300)
        ).cert
    )
    assert "verlopen" in (expired.validity_problem(NOW) or "")
    assert expired.days_left(NOW) < 0
    assert "nog niet geldig" in (future.validity_problem(NOW) or "")


def test_server_only_certificate_is_not_a_client_certificate(root: Made) -> None:
    info = inspect_certificate(root.cert)
    assert any("CA-certificaat" in p for p in client_certificate_problems(info))


def test_csr_carries_the_oin_in_the_subject_serial_number() -> None:
    key = generate_key("rsa2048")
    pem = build_csr(key, CsrSubject(OIN, "Gemeente Voorbeeld", "bb.voorbeeld.nl"))
    csr = read_csr(pem)
    assert csr.is_signature_valid
    assert csr.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == OIN
    assert csr.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "NL"
    assert (
        csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
        == "Gemeente Voorbeeld"
    )
    assert public_key_sha256(csr.public_key()) == key_public_sha256(key)


def test_csr_with_a_bad_oin_names_the_field() -> None:
    with pytest.raises(CertificateError) as caught:
        build_csr(generate_key("ec256"), CsrSubject("123", "", "x" * 65))
    text = str(caught.value)
    assert "OIN" in text and "Organisatie" in text and "maximaal 64" in text


def test_key_secret_round_trip() -> None:
    key = generate_key("ec384")
    again = key_from_secret(key_to_secret(key))
    assert key_public_sha256(again) == key_public_sha256(key)
    with pytest.raises(CertificateError, match="sleutelbos"):
        key_from_secret("geen sleutel")


def test_trust_files_refuse_private_keys(leaf: Made, root: Made) -> None:
    assert load_trust_certificates(root.cert_pem) == [root.cert]
    with pytest.raises(CertificateError, match="privésleutel"):
        load_trust_certificates(root.cert_pem + leaf.key_pem)
