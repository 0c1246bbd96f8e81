"""The local test PKI of the built-in simulator (TEST MATERIAL, never for production).

The simulator stands in for Logius preprod on this computer. Real two-way TLS needs
certificates on both sides, so this module makes a small PKI in PKIoverheid style:

- a test CA (self-signed);
- a server certificate for the simulator (also usable as its client certificate, for
  when the simulator pushes results to the console);
- a server certificate for the console's own inbound endpoint;
- a client certificate for the organisation, with its OIN in ``subject.serialNumber``.

Every certificate says ``TEST - Berichtenbox console simulator`` in its common name.

Where the keys live: the CA key and the two server keys are simulator test material and
stay in the PKI folder (files mode 0600, folder 0700). The client key is the
organisation's stand-in for its PKIoverheid key; it is handed to the caller, who stores
it in the OS keyring, and is never written to the folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from console.domain.oin import oin_problem

TEST_MARKER = "TEST - Berichtenbox console simulator"
KeyType = Literal["ec", "rsa"]
DEFAULT_SERVER_HOSTNAMES = ("localhost", "127.0.0.1", "::1")
# Renew a certificate that would expire within this window.
RENEW_BEFORE = dt.timedelta(days=30)
_CN_MAX = 64  # ub-common-name (RFC 5280)
_BACKDATE = dt.timedelta(minutes=5)  # tolerate small clock differences between processes

_PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@dataclass(frozen=True)
class IssuedCert:
    """A certificate and its private key, both PEM."""

    cert_pem: bytes
    key_pem: bytes

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pem)


def marked_common_name(name: str) -> str:
    """*name* with the test marker in front, within the 64-character CN limit."""
    if TEST_MARKER in name:
        return name[:_CN_MAX]
    return f"{TEST_MARKER} - {name}"[:_CN_MAX].rstrip()


def _new_key(key_type: KeyType) -> _PrivateKey:
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"onbekend sleuteltype {key_type!r}")


def _key_pem(key: _PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load_key(pem: bytes) -> _PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError("alleen EC- en RSA-sleutels worden ondersteund")
    return key


def _leaf_key_usage(key: _PrivateKey) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=isinstance(key, rsa.RSAPrivateKey),
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _validity(
    days: int, not_before: dt.datetime | None, not_after: dt.datetime | None
) -> tuple[dt.datetime, dt.datetime]:
    start = not_before or (dt.datetime.now(dt.UTC) - _BACKDATE)
    end = not_after or (start + dt.timedelta(days=days))
    if end <= start:
        raise ValueError("not_after moet na not_before liggen")
    return start, end


def _issue(
    ca: IssuedCert,
    subject: x509.Name,
    key: _PrivateKey,
    *,
    san: list[x509.GeneralName] | None,
    usages: list[x509.ObjectIdentifier],
    validity: tuple[dt.datetime, dt.datetime],
) -> IssuedCert:
    ca_cert = ca.certificate
    ca_key = _load_key(ca.key_pem)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_leaf_key_usage(key), critical=True)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    return IssuedCert(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def create_ca(common_name: str, *, days: int = 3650, key_type: KeyType = "ec") -> IssuedCert:
    """A self-signed test CA."""
    key = _new_key(key_type)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, TEST_MARKER),
            x509.NameAttribute(NameOID.COMMON_NAME, marked_common_name(common_name)),
        ]
    )
    start, end = _validity(days, None, None)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return IssuedCert(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def _san(hostnames: list[str] | tuple[str, ...]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in hostnames:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def issue_server_cert(
    ca: IssuedCert,
    hostnames: list[str],
    *,
    oin: str | None,
    days: int = 825,
    key_type: KeyType = "ec",
) -> IssuedCert:
    """A server certificate for *hostnames* (DNS names and IP addresses as SANs).

    It also carries clientAuth, as a PKIoverheid server certificate usually does: the
    simulator uses it as its client certificate when it delivers results to the console.
    """
    if not hostnames:
        raise ValueError("een servercertificaat heeft minstens één hostnaam nodig")
    if oin is not None and (problem := oin_problem(oin)):
        raise ValueError(problem)
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, TEST_MARKER),
    ]
    if oin is not None:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, oin))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, marked_common_name(hostnames[0])))
    return _issue(
        ca,
        x509.Name(attributes),
        _new_key(key_type),
        san=_san(hostnames),
        usages=[ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
        validity=_validity(days, None, None),
    )


def issue_client_cert(
    ca: IssuedCert,
    *,
    oin: str,
    organisation: str,
    common_name: str,
    days: int = 825,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    key_type: KeyType = "ec",
) -> IssuedCert:
    """A PKIoverheid-style client certificate: C=NL, O=*organisation*, serialNumber=*oin*, CN."""
    if problem := oin_problem(oin):
        raise ValueError(problem)
    if not organisation.strip():
        raise ValueError("organisation mag niet leeg zijn")
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:_CN_MAX]),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, oin),
            x509.NameAttribute(NameOID.COMMON_NAME, marked_common_name(common_name)),
        ]
    )
    return _issue(
        ca,
        subject,
        _new_key(key_type),
        san=None,
        usages=[ExtendedKeyUsageOID.CLIENT_AUTH],
        validity=_validity(days, not_before, not_after),
    )


# --- the PKI folder -------------------------------------------------------------------------

_README = f"""{TEST_MARKER}

Deze map bevat TESTcertificaten van de ingebouwde simulator van de Berichtenbox console.
Ze zijn alleen bedoeld voor oefenen op deze computer en hebben geen enkele waarde
buiten de simulator. Gebruik ze nooit voor Logius preprod of productie.

De sleutel van het clientcertificaat staat niet in deze map maar in de sleutelbos
(keyring) van het besturingssysteem.
""".encode()


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _cert_ok(cert: x509.Certificate, ca: x509.Certificate, now: dt.datetime) -> bool:
    """Issued by *ca* (name and signature) and not expiring within :data:`RENEW_BEFORE`."""
    if cert.not_valid_after_utc - RENEW_BEFORE < now:
        return False
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _subject_value(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str | None:
    values = cert.subject.get_attributes_for_oid(oid)
    if not values:
        return None
    value = values[0].value
    return value.decode() if isinstance(value, bytes) else value


@dataclass(frozen=True)
class LocalPki:
    """The simulator's test PKI in *folder*; see the module docstring.

    ``new_client_key_pem`` is set only when :meth:`ensure` had to issue a new client
    certificate: the caller must put that key in the keyring, because it is kept nowhere
    else. Otherwise it is None and the caller uses the key it already stored.
    """

    folder: Path
    ca: IssuedCert
    simulator: IssuedCert
    inbound: IssuedCert
    client_cert_pem: bytes
    new_client_key_pem: bytes | None = None

    CA_CERT = "ca.pem"
    CA_KEY = "ca.key"
    SIMULATOR_CERT = "simulator.pem"
    SIMULATOR_KEY = "simulator.key"
    INBOUND_CERT = "inbound.pem"
    INBOUND_KEY = "inbound.key"
    CLIENT_CERT = "client.pem"

    @property
    def trust_pem(self) -> bytes:
        """What both sides trust: the test CA certificate."""
        return self.ca.cert_pem

    @property
    def simulator_chain_pem(self) -> bytes:
        return self.simulator.cert_pem + self.ca.cert_pem

    @property
    def inbound_chain_pem(self) -> bytes:
        return self.inbound.cert_pem + self.ca.cert_pem

    @property
    def client_chain_pem(self) -> bytes:
        return self.client_cert_pem + self.ca.cert_pem

    @classmethod
    def ensure(
        cls,
        folder: Path | str,
        client_oin: str,
        organisation: str,
        *,
        simulator_oin: str | None = None,
        hostnames: tuple[str, ...] = DEFAULT_SERVER_HOSTNAMES,
        client_key_available: bool = True,
    ) -> LocalPki:
        """Load the PKI in *folder*, making or renewing whatever is missing or stale.

        A certificate is renewed when it is gone, unreadable, not issued by the CA, or
        expires within :data:`RENEW_BEFORE`. The client certificate is also renewed when
        its OIN or organisation changed, or when the caller says it lost the key
        (``client_key_available=False``).
        """
        if problem := oin_problem(client_oin):
            raise ValueError(problem)
        root = Path(folder)
        root.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            os.chmod(root, 0o700)
        readme = root / "LEESMIJ-TESTMATERIAAL.txt"
        if not readme.exists():
            _write_atomic(readme, _README, 0o644)
        now = dt.datetime.now(dt.UTC)

        ca = cls._load_pair(root, cls.CA_CERT, cls.CA_KEY)
        if ca is None or ca.certificate.not_valid_after_utc - RENEW_BEFORE < now:
            ca = create_ca("Test-CA")
            cls._store_pair(root, cls.CA_CERT, cls.CA_KEY, ca)
            for stale in (cls.SIMULATOR_CERT, cls.INBOUND_CERT, cls.CLIENT_CERT):
                with contextlib.suppress(FileNotFoundError):
                    (root / stale).unlink()
        ca_cert = ca.certificate

        simulator = cls._load_pair(root, cls.SIMULATOR_CERT, cls.SIMULATOR_KEY)
        if (
            simulator is None
            or not _cert_ok(simulator.certificate, ca_cert, now)
            or _subject_value(simulator.certificate, NameOID.SERIAL_NUMBER) != simulator_oin
        ):
            simulator = issue_server_cert(ca, list(hostnames), oin=simulator_oin)
            cls._store_pair(root, cls.SIMULATOR_CERT, cls.SIMULATOR_KEY, simulator)

        inbound = cls._load_pair(root, cls.INBOUND_CERT, cls.INBOUND_KEY)
        if (
            inbound is None
            or not _cert_ok(inbound.certificate, ca_cert, now)
            or _subject_value(inbound.certificate, NameOID.SERIAL_NUMBER) != client_oin
        ):
            inbound = issue_server_cert(ca, list(hostnames), oin=client_oin)
            cls._store_pair(root, cls.INBOUND_CERT, cls.INBOUND_KEY, inbound)

        pki = cls(folder=root, ca=ca, simulator=simulator, inbound=inbound, client_cert_pem=b"")
        client_pem = cls._read(root / cls.CLIENT_CERT)
        client_ok = False
        if client_pem is not None and client_key_available:
            try:
                client = x509.load_pem_x509_certificate(client_pem)
                client_ok = (
                    _cert_ok(client, ca_cert, now)
                    and _subject_value(client, NameOID.SERIAL_NUMBER) == client_oin
                    and _subject_value(client, NameOID.ORGANIZATION_NAME) == organisation[:_CN_MAX]
                )
            except ValueError:
                client_ok = False
        if client_ok and client_pem is not None:
            return cls(
                folder=root, ca=ca, simulator=simulator, inbound=inbound, client_cert_pem=client_pem
            )
        issued = pki.issue_client(oin=client_oin, organisation=organisation)
        return cls(
            folder=root,
            ca=ca,
            simulator=simulator,
            inbound=inbound,
            client_cert_pem=issued.cert_pem,
            new_client_key_pem=issued.key_pem,
        )

    def issue_client(
        self,
        *,
        oin: str,
        organisation: str,
        common_name: str | None = None,
        days: int = 825,
    ) -> IssuedCert:
        """(Re)issue the client certificate; writes only the certificate to the folder.

        The returned key is the only copy: store it in the keyring.
        """
        issued = issue_client_cert(
            self.ca,
            oin=oin,
            organisation=organisation,
            common_name=common_name or organisation,
            days=days,
        )
        _write_atomic(self.folder / self.CLIENT_CERT, issued.cert_pem, 0o644)
        return issued

    @staticmethod
    def _read(path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    @classmethod
    def _load_pair(cls, root: Path, cert_name: str, key_name: str) -> IssuedCert | None:
        cert_pem, key_pem = cls._read(root / cert_name), cls._read(root / key_name)
        if cert_pem is None or key_pem is None:
            return None
        try:
            cert = x509.load_pem_x509_certificate(cert_pem)
            key = _load_key(key_pem)
        except (ValueError, TypeError):
            return None
        if cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ) != key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ):
            return None
        return IssuedCert(cert_pem, key_pem)

    @staticmethod
    def _store_pair(root: Path, cert_name: str, key_name: str, issued: IssuedCert) -> None:
        _write_atomic(root / key_name, issued.key_pem, 0o600)
        _write_atomic(root / cert_name, issued.cert_pem, 0o644)
