"""PKIoverheid certificates: read them, look inside, and make keys and requests (CSRs).

Everything here is pure cryptography on bytes in memory; nothing touches the disk or the
database. The private key that comes out of :func:`load_bundle` or :func:`generate_key`
goes only to the secret store (:mod:`console.secrets.store`), as the text returned by
:func:`key_to_secret`.

Rules for what leaves this module:

- Exceptions are :class:`CertificateError` subclasses with a plain Dutch message. They never
  carry the passphrase or key material, and errors from ``cryptography`` are not chained
  (``from None``): their text is not ours to vouch for.
- :class:`CertificateInfo` describes a certificate (public data only).

The OIN sits in the subject ``serialNumber`` of a PKIoverheid certificate (interface
reference §1.2 and §4.7, Digikoppeling PKI001).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from console.domain.oin import TEST_PREFIX, is_test_oin, oin_kind, oin_problem

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
KeySpec = Literal["rsa2048", "rsa3072", "rsa4096", "ec256", "ec384"]
KEY_SPECS: dict[str, str] = {
    "rsa2048": "RSA 2048 bits",
    "rsa3072": "RSA 3072 bits",
    "rsa4096": "RSA 4096 bits",
    "ec256": "EC P-256",
    "ec384": "EC P-384",
}
DEFAULT_KEY_SPEC: KeySpec = "rsa3072"
MIN_RSA_BITS = 2048
MAX_BUNDLE_BYTES = 1_000_000  # a certificate file is a few kB; anything this big is not one
_CN_MAX = 64  # ub-common-name, ub-organization-name (RFC 5280)

_PEM_BLOCK = re.compile(
    rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n.*?-----END \1-----", re.DOTALL | re.ASCII
)
_KEY_LABELS = {
    b"PRIVATE KEY",
    b"ENCRYPTED PRIVATE KEY",
    b"RSA PRIVATE KEY",
    b"EC PRIVATE KEY",
}
_CERT_LABELS = {b"CERTIFICATE", b"TRUSTED CERTIFICATE", b"X509 CERTIFICATE"}
_PKCS7_LABELS = {b"PKCS7", b"CERTIFICATE CHAIN"}

_KEY_USAGE_NAMES = (
    ("digital_signature", "digitalSignature"),
    ("content_commitment", "nonRepudiation"),
    ("key_encipherment", "keyEncipherment"),
    ("data_encipherment", "dataEncipherment"),
    ("key_agreement", "keyAgreement"),
    ("key_cert_sign", "keyCertSign"),
    ("crl_sign", "cRLSign"),
)
_EKU_NAMES = {
    ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
    ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
    ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
    ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
}
_SUBJECT_SHORT = {
    NameOID.COUNTRY_NAME: "C",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.COMMON_NAME: "CN",
    NameOID.LOCALITY_NAME: "L",
    NameOID.STATE_OR_PROVINCE_NAME: "ST",
    NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier",
}


class CertificateError(ValueError):
    """A certificate file or request could not be used. ``str()`` is Dutch advice."""


class PasswordRequired(CertificateError):
    """The file is protected with a password and none was given."""

    def __init__(self) -> None:
        super().__init__(
            "Dit bestand is beveiligd met een wachtwoord. Geef het wachtwoord op dat u bij "
            "het certificaat van uw certificaatleverancier hebt gekregen."
        )


class WrongPassword(CertificateError):
    """The password does not open the file (the message never repeats it)."""

    def __init__(self) -> None:
        super().__init__(
            "Het wachtwoord klopt niet: het bestand kan er niet mee worden geopend. Let op "
            "hoofdletters en kleine letters en probeer het opnieuw."
        )


# --- looking inside a certificate -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """What a certificate says about itself (public data only)."""

    subject: str
    issuer: str
    subject_fields: tuple[tuple[str, str], ...]
    common_name: str
    organisation: str
    serial_number: str  # hex, colon-separated
    not_before: datetime
    not_after: datetime
    key_type: str  # "RSA" or "EC"
    key_size: int
    key_usage: tuple[str, ...]
    extended_key_usage: tuple[str, ...]
    dns_names: tuple[str, ...]
    fingerprint_sha256: str  # lowercase hex, no separators
    fingerprint_sha1: str
    public_key_sha256: str  # of the SubjectPublicKeyInfo: matches a key to its certificates
    is_ca: bool
    self_signed: bool
    oin: str | None  # the subject serialNumber, as written
    oin_problem: str | None  # Dutch; None for a well-formed OIN
    oin_is_test: bool
    oin_kind: str
    oin_notes: tuple[str, ...] = field(default_factory=tuple)

    def days_left(self, now: datetime | None = None) -> int:
        """Whole days until expiry; negative once expired (-1 on the first day after)."""
        return days_until(self.not_after, now)

    def validity_problem(self, now: datetime | None = None) -> str | None:
        return validity_problem(self.not_before, self.not_after, now)

    @property
    def display_name(self) -> str:
        return self.common_name or self.organisation or self.subject

    @property
    def key_description(self) -> str:
        return f"{self.key_type} {self.key_size} bits"


def days_until(moment: datetime, now: datetime | None = None) -> int:
    """Whole days from *now* until *moment*, rounded down; negative once *moment* has passed."""
    current = now or datetime.now(UTC)
    seconds = (moment - current).total_seconds()
    return int(seconds // 86400)


def format_date(moment: datetime) -> str:
    """``3 maart 2026`` (the Dutch way; local time)."""
    months = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ]
    local = moment.astimezone()
    return f"{local.day} {months[local.month - 1]} {local.year}"


def validity_problem(
    not_before: datetime, not_after: datetime, now: datetime | None = None
) -> str | None:
    current = now or datetime.now(UTC)
    if current < not_before:
        return f"Het certificaat is nog niet geldig: het gaat in op {format_date(not_before)}."
    if current >= not_after:
        return f"Het certificaat is verlopen op {format_date(not_after)}."
    return None


def format_fingerprint(hex_digest: str) -> str:
    """``AB:CD:...`` as certificate tools show it."""
    upper = hex_digest.upper()
    return ":".join(upper[i : i + 2] for i in range(0, len(upper), 2))


def _attr_text(value: str | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _name_fields(name: x509.Name) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for attribute in name:
        label = _SUBJECT_SHORT.get(attribute.oid, attribute.oid.dotted_string)
        out.append((label, _attr_text(attribute.value)))
    return tuple(out)


def _name_text(name: x509.Name) -> str:
    return ", ".join(f"{k}={v}" for k, v in _name_fields(name))


def _first(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    return _attr_text(values[0].value).strip() if values else ""


def public_key_sha256(public_key: object) -> str:
    """SHA-256 of the SubjectPublicKeyInfo (DER): the same for a key and its certificates."""
    if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise CertificateError(
            "Dit certificaat gebruikt een sleuteltype dat Digikoppeling niet ondersteunt; "
            "alleen RSA- en EC-sleutels worden geaccepteerd."
        )
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def oin_notes(oin: str) -> tuple[str, ...]:
    """Remarks on a well-formed OIN: its kind, the test prefix, an unusual suffix."""
    notes = [f"Soort OIN: {oin_kind(oin)} (prefix {oin[:8]})."]
    if is_test_oin(oin):
        notes.append(
            f"Dit is een test-OIN (prefix {TEST_PREFIX}): alleen bedoeld voor test- en "
            "preproductieomgevingen, nooit voor productie."
        )
    if not oin.endswith("000"):
        notes.append(
            f"Het achtervoegsel is {oin[-3:]} in plaats van 000. Dat komt voor bij sub-OIN's "
            "(Logius zelf gebruikt 001); controleer het OIN bij het OIN-register."
        )
    return tuple(notes)


def inspect_certificate(cert: x509.Certificate) -> CertificateInfo:
    """Describe *cert*: names, validity, key, usages, fingerprints and the OIN."""
    public_key = cert.public_key()
    if isinstance(public_key, rsa.RSAPublicKey):
        key_type, key_size = "RSA", public_key.key_size
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        key_type, key_size = "EC", public_key.curve.key_size
    else:
        key_type, key_size = type(public_key).__name__, 0
    usages: list[str] = []
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        usages = [label for attr, label in _KEY_USAGE_NAMES if getattr(ku, attr)]
    except x509.ExtensionNotFound:
        pass
    ekus: list[str] = []
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        ekus = [_EKU_NAMES.get(oid, oid.dotted_string) for oid in eku]
    except x509.ExtensionNotFound:
        pass
    dns: list[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = [*san.get_values_for_type(x509.DNSName)]
        dns += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        pass
    is_ca = False
    with contextlib.suppress(x509.ExtensionNotFound):
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    der = cert.public_bytes(serialization.Encoding.DER)
    oin = _first(cert.subject, NameOID.SERIAL_NUMBER) or None
    problem: str | None
    if oin is None:
        problem = (
            "Het certificaat bevat geen OIN: het veld serialNumber in de subject ontbreekt. "
            "Een PKIoverheid-certificaat voor Digikoppeling heeft daar het OIN van de "
            "organisatie."
        )
    else:
        problem = oin_problem(oin)
        if problem is not None:
            problem = f"Het serialNumber in het certificaat ({oin}) is geen geldig OIN: {problem}"
    try:
        key_hash = public_key_sha256(public_key)
    except CertificateError:
        key_hash = ""
    return CertificateInfo(
        subject=_name_text(cert.subject),
        issuer=_name_text(cert.issuer),
        subject_fields=_name_fields(cert.subject),
        common_name=_first(cert.subject, NameOID.COMMON_NAME),
        organisation=_first(cert.subject, NameOID.ORGANIZATION_NAME),
        serial_number=":".join(
            f"{b:02X}" for b in cert.serial_number.to_bytes(20, "big").lstrip(b"\0") or b"\0"
        ),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        key_type=key_type,
        key_size=key_size,
        key_usage=tuple(usages),
        extended_key_usage=tuple(ekus),
        dns_names=tuple(dns),
        fingerprint_sha256=hashlib.sha256(der).hexdigest(),
        fingerprint_sha1=hashlib.sha1(der, usedforsecurity=False).hexdigest(),
        public_key_sha256=key_hash,
        is_ca=is_ca,
        self_signed=cert.issuer == cert.subject,
        oin=oin,
        oin_problem=problem,
        oin_is_test=bool(oin) and problem is None and is_test_oin(oin or ""),
        oin_kind=oin_kind(oin) if oin and problem is None else "onbekend",
        oin_notes=oin_notes(oin) if oin and problem is None else (),
    )


def client_certificate_problems(info: CertificateInfo) -> list[str]:
    """Why *info* cannot serve as a Digikoppeling client certificate (Dutch; empty if fine)."""
    problems: list[str] = []
    if info.is_ca:
        problems.append(
            "Dit is een CA-certificaat (een uitgever), geen certificaat van uw organisatie."
        )
    if info.key_type == "RSA" and info.key_size < MIN_RSA_BITS:
        problems.append(
            f"De RSA-sleutel is {info.key_size} bits; Digikoppeling vraagt minimaal "
            f"{MIN_RSA_BITS} bits."
        )
    if info.key_type not in ("RSA", "EC"):
        problems.append("Alleen RSA- en EC-sleutels worden ondersteund.")
    if info.key_usage and "digitalSignature" not in info.key_usage:
        problems.append(
            "Het certificaat mag niet voor digitale handtekeningen worden gebruikt "
            "(keyUsage zonder digitalSignature); een TLS-clientcertificaat heeft dat nodig."
        )
    if info.extended_key_usage and "clientAuth" not in info.extended_key_usage:
        problems.append(
            "Het certificaat is niet bedoeld voor clientauthenticatie (extendedKeyUsage "
            "zonder clientAuth). Vraag uw leverancier om een servercertificaat met "
            "clientAuth of een apart clientcertificaat."
        )
    return problems


def load_certificate_pem(pem: str | bytes) -> x509.Certificate:
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        raise CertificateError("Het certificaat is geen geldig PEM-certificaat.") from None


def load_certificates_pem(pem: str | bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM text, in order."""
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    if not data.strip():
        return []
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        raise CertificateError("De certificaatketen is geen geldige PEM-tekst.") from None


def certificate_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def chain_pem(certs: Iterable[x509.Certificate]) -> str:
    return "".join(certificate_pem(c) for c in certs)


# --- reading a certificate file ------------------------------------------------------------


@dataclass(frozen=True)
class CertificateBundle:
    """What a certificate file held: the organisation's certificate, its chain, maybe a key.

    ``repr`` leaves the key out, so a bundle in a traceback shows no key material.
    """

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]  # issuer of the certificate first, towards the root
    key: PrivateKey | None = field(default=None, repr=False)
    ignored: tuple[x509.Certificate, ...] = ()  # certificates that were not part of the chain
    file_format: str = ""

    @property
    def info(self) -> CertificateInfo:
        return inspect_certificate(self.certificate)


def _is_issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def order_chain(
    leaf: x509.Certificate, others: Sequence[x509.Certificate]
) -> tuple[tuple[x509.Certificate, ...], tuple[x509.Certificate, ...]]:
    """Follow issuers from *leaf* through *others*; return (chain, certificates left over)."""
    pool = [c for c in others if c != leaf]
    chain: list[x509.Certificate] = []
    current = leaf
    while current.issuer != current.subject:
        parent = next((c for c in pool if _is_issued_by(current, c)), None)
        if parent is None:
            break
        chain.append(parent)
        pool.remove(parent)
        current = parent
    return tuple(chain), tuple(pool)


def _key_matches(key: PrivateKey, cert: x509.Certificate) -> bool:
    try:
        return public_key_sha256(key.public_key()) == public_key_sha256(cert.public_key())
    except CertificateError:
        return False


def _checked_key(key: object) -> PrivateKey:
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            raise CertificateError(
                f"De RSA-sleutel is {key.key_size} bits; Digikoppeling vraagt minimaal "
                f"{MIN_RSA_BITS} bits."
            )
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key
    raise CertificateError(
        "De privésleutel heeft een type dat Digikoppeling niet ondersteunt; alleen RSA- en "
        "EC-sleutels worden geaccepteerd."
    )


def _password_bytes(password: str | bytes | None) -> bytes | None:
    if password is None:
        return None
    return password.encode("utf-8") if isinstance(password, str) else password


def _load_pem_key(block: bytes, password: bytes | None) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(block, password=password)
    except TypeError:
        # "Password was not given but private key is encrypted" or "Password was given but
        # private key is not encrypted": in the second case, read it without.
        if password is None:
            raise PasswordRequired() from None
        try:
            key = serialization.load_pem_private_key(block, password=None)
        except (TypeError, ValueError, UnsupportedAlgorithm):
            raise WrongPassword() from None
    except ValueError:
        if password is None:
            raise CertificateError(
                "De privésleutel in het bestand kan niet worden gelezen; het bestand is "
                "mogelijk beschadigd."
            ) from None
        raise WrongPassword() from None
    except UnsupportedAlgorithm:
        raise CertificateError(
            "De privésleutel gebruikt een versleuteling die niet wordt ondersteund."
        ) from None
    return _checked_key(key)


def _from_pem(
    data: bytes, password: bytes | None
) -> tuple[list[x509.Certificate], PrivateKey | None]:
    certs: list[x509.Certificate] = []
    key_blocks: list[bytes] = []
    for match in _PEM_BLOCK.finditer(data):
        label, block = match.group(1), match.group(0)
        if label in _CERT_LABELS:
            try:
                certs.append(x509.load_pem_x509_certificate(block.replace(label, b"CERTIFICATE")))
            except ValueError:
                raise CertificateError(
                    "Een certificaat in het bestand kan niet worden gelezen; het bestand is "
                    "mogelijk beschadigd."
                ) from None
        elif label in _KEY_LABELS:
            key_blocks.append(block)
        elif label in _PKCS7_LABELS:
            try:
                certs.extend(pkcs7.load_pem_pkcs7_certificates(block.replace(label, b"PKCS7")))
            except ValueError:
                raise CertificateError(
                    "De certificaatketen (PKCS#7) in het bestand kan niet worden gelezen."
                ) from None
        elif label == b"CERTIFICATE REQUEST":
            raise CertificateError(
                "Dit is een certificaataanvraag (CSR), geen certificaat. Stuur de CSR naar uw "
                "certificaatleverancier en importeer het certificaat dat u terugkrijgt."
            )
    if len(key_blocks) > 1:
        raise CertificateError(
            "Het bestand bevat meer dan één privésleutel. Importeer één certificaat met zijn "
            "eigen sleutel per keer."
        )
    key = _load_pem_key(key_blocks[0], password) if key_blocks else None
    return certs, key


def _from_pkcs12(
    data: bytes, password: bytes | None
) -> tuple[list[x509.Certificate], PrivateKey | None]:
    attempts = [password] if password is not None else [None, b""]
    for attempt in attempts:
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(data, attempt)
        except ValueError as exc:
            if "password" in str(exc).lower():
                continue
            raise CertificateError(
                "Het bestand is geen geldig certificaatbestand (PKCS#12, PEM, DER of PKCS#7)."
            ) from None
        except UnsupportedAlgorithm:
            raise CertificateError(
                "Het PKCS#12-bestand gebruikt een versleuteling die niet wordt ondersteund. "
                "Exporteer het opnieuw met AES-256 (in Windows: 'AES256-SHA256')."
            ) from None
        certs = ([cert] if cert is not None else []) + list(extra)
        return certs, _checked_key(key) if key is not None else None
    if password is None:
        raise PasswordRequired()
    raise WrongPassword()


def _from_der(data: bytes) -> list[x509.Certificate] | None:
    try:
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        pass
    try:
        return list(pkcs7.load_der_pkcs7_certificates(data))
    except ValueError:
        return None


def load_bundle(data: bytes, password: str | bytes | None = None) -> CertificateBundle:
    """Read a PKCS#12 (.p12/.pfx), PEM, DER (.cer/.crt) or PKCS#7 (.p7b) certificate file.

    The organisation's certificate is the one that belongs to the key in the file; without
    a key, the one certificate that is not a CA. The others form its chain, ordered from
    its issuer towards the root. Raises :class:`PasswordRequired` when the file needs a
    password, :class:`WrongPassword` when the one given does not open it.
    """
    if not data:
        raise CertificateError("Het bestand is leeg.")
    if len(data) > MAX_BUNDLE_BYTES:
        raise CertificateError(
            f"Het bestand is {len(data):,} bytes; een certificaatbestand is hooguit "
            f"{MAX_BUNDLE_BYTES:,} bytes. Kies het juiste bestand.".replace(",", ".")
        )
    secret = _password_bytes(password)
    if b"-----BEGIN " in data:
        certs, key = _from_pem(data, secret)
        file_format = "PEM"
    else:
        der = _from_der(data)
        if der is not None:
            certs, key, file_format = der, None, "DER"
        else:
            certs, key = _from_pkcs12(data, secret)
            file_format = "PKCS#12"
    if not certs:
        raise CertificateError(
            "Het bestand bevat geen certificaat. Een alleen-sleutelbestand kan niet worden "
            "geïmporteerd: kies het bestand met certificaat en sleutel (.p12 of .pfx)."
        )
    if key is not None:
        leaf = next((c for c in certs if _key_matches(key, c)), None)
        if leaf is None:
            raise CertificateError(
                "De privésleutel in het bestand hoort bij geen van de certificaten erin. "
                "Kies het bestand waarin certificaat en sleutel bij elkaar horen."
            )
    else:
        leaves = [c for c in certs if not inspect_certificate(c).is_ca]
        if len(leaves) == 1:
            leaf = leaves[0]
        elif not leaves:
            raise CertificateError(
                "Het bestand bevat alleen CA-certificaten (uitgevers). Wilt u ze vertrouwen "
                "voor de server van Logius, importeer ze dan in de trust store."
            )
        else:
            raise CertificateError(
                "Het bestand bevat meerdere certificaten van organisaties en geen sleutel; "
                "het is niet duidelijk welke u bedoelt. Importeer één certificaat per keer."
            )
    chain, ignored = order_chain(leaf, certs)
    return CertificateBundle(leaf, chain, key, ignored, file_format)


def load_trust_certificates(data: bytes) -> list[x509.Certificate]:
    """Certificates to trust from a PEM, DER or PKCS#7 file (no keys expected or kept)."""
    if not data:
        raise CertificateError("Het bestand is leeg.")
    if len(data) > MAX_BUNDLE_BYTES:
        raise CertificateError("Het bestand is te groot voor een certificaatbestand.")
    if b"-----BEGIN " in data:
        if b"PRIVATE KEY-----" in data:
            raise CertificateError(
                "Dit bestand bevat een privésleutel. Een trust store heeft alleen de "
                "certificaten van de server of zijn uitgevers nodig, nooit een sleutel."
            )
        certs, _ = _from_pem(data, None)
    else:
        der = _from_der(data)
        if der is None:
            raise CertificateError(
                "Het bestand is geen certificaatbestand (PEM, DER of PKCS#7 verwacht)."
            )
        certs = der
    if not certs:
        raise CertificateError("Het bestand bevat geen certificaat.")
    return certs


# --- keys ----------------------------------------------------------------------------------


def generate_key(spec: KeySpec | str = DEFAULT_KEY_SPEC) -> PrivateKey:
    """A new private key (for a renewal). Keep it only in the secret store."""
    if spec == "rsa2048":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if spec == "rsa3072":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    if spec == "rsa4096":
        return rsa.generate_private_key(public_exponent=65537, key_size=4096)
    if spec == "ec256":
        return ec.generate_private_key(ec.SECP256R1())
    if spec == "ec384":
        return ec.generate_private_key(ec.SECP384R1())
    raise CertificateError(f"Onbekend sleuteltype {spec!r}; kies uit {', '.join(KEY_SPECS)}.")


def key_to_secret(key: PrivateKey) -> str:
    """The key as the secret store keeps it (PKCS#8 PEM; the store itself protects it)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def key_from_secret(secret: str) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(secret.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError, UnsupportedAlgorithm):
        raise CertificateError(
            "De sleutel in de sleutelbos kan niet worden gelezen. Importeer het certificaat "
            "met zijn sleutel opnieuw."
        ) from None
    return _checked_key(key)


def key_public_sha256(key: PrivateKey) -> str:
    return public_key_sha256(key.public_key())


# --- certificate signing requests ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CsrSubject:
    """The subject of a PKIoverheid request: C=NL, O=organisation, serialNumber=OIN, CN."""

    oin: str
    organisation: str
    common_name: str
    country: str = "NL"

    def problems(self) -> list[str]:
        out: list[str] = []
        if problem := oin_problem(self.oin):
            out.append(f"OIN: {problem}")
        if not self.organisation.strip():
            out.append("Organisatie: vul de naam van de organisatie in.")
        elif len(self.organisation) > _CN_MAX:
            out.append(f"Organisatie is {len(self.organisation)} tekens; maximaal {_CN_MAX}.")
        if not self.common_name.strip():
            out.append(
                "Naam (CN): vul een naam in, meestal de hostnaam of de naam van de koppeling."
            )
        elif len(self.common_name) > _CN_MAX:
            out.append(f"Naam (CN) is {len(self.common_name)} tekens; maximaal {_CN_MAX}.")
        if len(self.country) != 2 or not self.country.isalpha():
            out.append("Land: gebruik de landcode van twee letters (NL).")
        return out

    def name(self) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, self.country.upper()),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organisation.strip()),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, self.oin),
                x509.NameAttribute(NameOID.COMMON_NAME, self.common_name.strip()),
            ]
        )


def build_csr(key: PrivateKey, subject: CsrSubject, *, dns_names: Sequence[str] = ()) -> str:
    """A PEM certificate signing request for *key* with the OIN in the subject serialNumber."""
    problems = subject.problems()
    if problems:
        raise CertificateError(
            "De aanvraag is niet gemaakt:\n" + "\n".join(f"- {p}" for p in problems)
        )
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject.name())
    if dns_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False
        )
    builder = builder.add_extension(
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
    )
    csr = builder.sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")


def read_csr(pem: str) -> x509.CertificateSigningRequest:
    try:
        return x509.load_pem_x509_csr(pem.encode("ascii"))
    except ValueError:
        raise CertificateError("De certificaataanvraag is geen geldige PEM-tekst.") from None


__all__ = [
    "DEFAULT_KEY_SPEC",
    "KEY_SPECS",
    "CertificateBundle",
    "CertificateError",
    "CertificateInfo",
    "CsrSubject",
    "PasswordRequired",
    "PrivateKey",
    "WrongPassword",
    "build_csr",
    "certificate_pem",
    "chain_pem",
    "client_certificate_problems",
    "days_until",
    "format_date",
    "format_fingerprint",
    "generate_key",
    "inspect_certificate",
    "key_from_secret",
    "key_public_sha256",
    "key_to_secret",
    "load_bundle",
    "load_certificate_pem",
    "load_certificates_pem",
    "load_trust_certificates",
    "oin_notes",
    "order_chain",
    "public_key_sha256",
    "read_csr",
    "validity_problem",
]
