"""Use cases around certificates: import, inspect, check, trust stores, expiry and renewal.

The private key of a certificate goes only to the secret store (OS keyring, or memory for
this session); the database keeps the certificate, its chain and metadata, and the name of
the key in the store. Nothing here logs, returns or raises key material or passphrases.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from console.db import models as m
from console.db.database import Database
from console.db.models_certificates import (
    Certificate,
    CertificateRequest,
    CertificateSource,
    TrustAnchor,
)
from console.domain.environment import Environment
from console.domain.letter import FieldIssue
from console.domain.oin import is_test_oin, oin_problem, strip_party_prefix
from console.domain.verwerkingscode import VerwerkingsCode
from console.secrets.certificates import (
    DEFAULT_KEY_SPEC,
    KEY_SPECS,
    CertificateBundle,
    CertificateError,
    CertificateInfo,
    CsrSubject,
    PasswordRequired,
    WrongPassword,
    build_csr,
    certificate_pem,
    chain_pem,
    client_certificate_problems,
    days_until,
    format_date,
    format_fingerprint,
    generate_key,
    inspect_certificate,
    key_from_secret,
    key_public_sha256,
    key_to_secret,
    load_bundle,
    load_certificate_pem,
    load_certificates_pem,
    load_trust_certificates,
)
from console.secrets.store import SecretStore, SecretStoreError
from console.services.errors import NotFound, ServiceError
from console.services.workspace import ACTIVE_CONNECTION

log = logging.getLogger(__name__)

#: Days before expiry at which the console warns (on start and in a tray notification).
WARNING_THRESHOLDS = (90, 60, 30, 7)
OIN_MISMATCH_CODE = VerwerkingsCode.OIN_MISMATCH.value
NOTIFIED_SETTING = "certificates.expiry_notified"
_CACHE_SECONDS = 5.0


class PasswordNeeded(ServiceError):
    """The certificate file needs a password (ask for it, then import again)."""


class IncorrectPassword(ServiceError):
    """The password given does not open the file."""


class CertificateRefused(ServiceError):
    """The certificate, trust certificate or request cannot be used; the message says why."""


# --- what the services return ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChainEntry:
    subject: str
    issuer: str
    not_after: datetime
    fingerprint_sha256: str  # formatted AB:CD:...
    is_root: bool


@dataclass(frozen=True, slots=True)
class CertificateSummary:
    id: int
    label: str
    subject: str
    issuer: str
    oin: str | None
    oin_problem: str | None
    oin_is_test: bool
    not_before: datetime
    not_after: datetime
    days_left: int
    status: str  # plain Dutch: Geldig, Verloopt over 25 dagen, Verlopen, ...
    tone: str  # grey, green, amber, red
    key_type: str
    key_size: int
    fingerprint_sha256: str  # formatted
    source: str
    key_available: bool
    connections: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CertificateDetail:
    summary: CertificateSummary
    subject_fields: tuple[tuple[str, str], ...]
    serial_number: str
    fingerprint_sha1: str
    key_usage: tuple[str, ...]
    extended_key_usage: tuple[str, ...]
    oin_kind: str
    oin_notes: tuple[str, ...]
    chain: tuple[ChainEntry, ...]
    problems: tuple[str, ...]  # why it cannot serve as a client certificate
    cert_pem: str  # public; for copying to the certificate provider or Logius


@dataclass(frozen=True, slots=True)
class ImportResult:
    certificate: CertificateSummary
    created: bool  # False: the certificate was already there (its key is stored again)
    attached_to: tuple[str, ...] = ()
    completed_request: int | None = None  # the renewal request this certificate finished
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TrustAnchorInfo:
    id: int
    environment: Environment
    label: str
    subject: str
    issuer: str
    not_after: datetime
    days_left: int
    fingerprint_sha256: str  # formatted
    source: str
    is_ca: bool


@dataclass(frozen=True, slots=True)
class TrustImportResult:
    added: tuple[TrustAnchorInfo, ...]
    already_present: tuple[TrustAnchorInfo, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ConsistencyIssue:
    code: str  # no_certificate, key_missing, expired, not_yet_valid, oin_*, expiring, ...
    message: str  # plain Dutch, with the next step
    blocking: bool
    logius_code: str | None = None  # the result code Logius would otherwise give


@dataclass(frozen=True, slots=True)
class ConsistencyReport:
    connection_id: int
    connection_name: str
    environment: Environment
    certificate_id: int | None
    certificate_label: str
    oin_certificate: str | None
    oin_owner: str
    oin_cpa: str
    oin_leverancier: str | None  # BerichtLeverancierID, for an own connection
    days_left: int | None
    issues: tuple[ConsistencyIssue, ...] = ()

    @property
    def blocking(self) -> tuple[ConsistencyIssue, ...]:
        return tuple(i for i in self.issues if i.blocking)

    @property
    def ok(self) -> bool:
        return not self.blocking


@dataclass(frozen=True, slots=True)
class ExpiryWarning:
    certificate_id: int
    label: str
    oin: str | None
    not_after: datetime
    days_left: int
    threshold: int  # 90, 60, 30 or 7; 0 once expired
    connections: tuple[str, ...]
    message: str


@dataclass(frozen=True, slots=True)
class CsrResult:
    request_id: int
    csr_pem: str
    subject: str
    oin: str
    key_description: str
    suggested_filename: str
    connection_name: str | None = None


@dataclass(frozen=True, slots=True)
class RequestInfo:
    id: int
    oin: str
    subject: str
    key_description: str
    created_at: datetime
    connection_name: str | None
    completed: bool
    csr_pem: str


# --- helpers ------------------------------------------------------------------------------


def threshold_for(days_left: int) -> int | None:
    """The warning level a certificate with *days_left* days has reached (0: expired)."""
    if days_left < 0:
        return 0
    for limit in sorted(WARNING_THRESHOLDS):
        if days_left <= limit:
            return limit
    return None


def status_for(days_left: int, not_yet_valid: bool, key_available: bool) -> tuple[str, str]:
    """(text, tone) for a certificate; tones follow the status bar: amber < 60, red < 14."""
    if days_left < 0:
        return "Verlopen", "red"
    if not key_available:
        return "Sleutel ontbreekt", "red"
    if not_yet_valid:
        return "Nog niet geldig", "amber"
    if days_left <= max(WARNING_THRESHOLDS):
        text = (
            "Verloopt binnen een dag"
            if days_left == 0
            else f"Verloopt over {_days_text(days_left)}"
        )
        tone = "red" if days_left < 14 else "amber" if days_left < 60 else "green"
        return text, tone
    return "Geldig", "green"


def _days_text(days: int) -> str:
    return "1 dag" if days == 1 else f"{days} dagen"


def _new_key_ref(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex}"


class CertificateService:
    """Certificates, trust stores, consistency and expiry, renewal; see the module docstring."""

    def __init__(
        self,
        db: Database,
        secrets: SecretStore,
        *,
        on_connection_changed: Callable[[int], None] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._db = db
        self._secrets = secrets
        self._on_connection_changed = on_connection_changed
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._cache: dict[object, tuple[float, object]] = {}

    # -- plumbing ----------------------------------------------------------------------------

    @property
    def keys_persistent(self) -> bool:
        """False when keys live only in this session's memory (no working OS keyring)."""
        return self._secrets.persistent

    @property
    def key_store_description(self) -> str:
        return self._secrets.description

    def _now(self) -> datetime:
        return self._clock()

    def _cached(self, key: object, compute: Callable[[], object]) -> object:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and now - hit[0] < _CACHE_SECONDS:
                return hit[1]
        value = compute()
        with self._lock:
            self._cache[key] = (now, value)
        return value

    def forget_cached(self) -> None:
        """Drop the few-seconds cache of checks and days left (e.g. after the clock moved)."""
        with self._lock:
            self._cache.clear()

    def _changed(self, connection_ids: Iterable[int]) -> None:
        with self._lock:
            self._cache.clear()
        if self._on_connection_changed is not None:
            for cid in set(connection_ids):
                self._on_connection_changed(cid)

    def _has_key(self, key_ref: str | None) -> bool:
        if not key_ref:
            return False
        try:
            return self._secrets.get(key_ref) is not None
        except SecretStoreError:
            return False

    @staticmethod
    def _connection(s: Session, ref: int | str) -> m.Connection:
        conn: m.Connection | None
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            conn = s.get(m.Connection, int(ref))
        else:
            conn = s.scalar(select(m.Connection).where(m.Connection.name == ref))
        if conn is None:
            names = ", ".join(s.scalars(select(m.Connection.name).order_by(m.Connection.name)))
            raise NotFound(
                f"Koppeling {ref} bestaat niet. Bekende koppelingen: {names or '(geen)'}."
            )
        return conn

    @staticmethod
    def _record(s: Session, ref: int | str) -> Certificate:
        rec: Certificate | None = None
        text = str(ref).strip()
        if text.isdigit() and len(text) < 10:
            rec = s.get(Certificate, int(text))
        if rec is None and text:
            hexed = text.replace(":", "").lower()
            if len(hexed) >= 8 and all(c in "0123456789abcdef" for c in hexed):
                rec = s.scalar(
                    select(Certificate).where(Certificate.fingerprint_sha256.startswith(hexed))
                )
        if rec is None and text:
            rec = s.scalar(select(Certificate).where(Certificate.label == text))
        if rec is None:
            raise NotFound(
                f"Certificaat {ref} bestaat niet. Gebruik het nummer, de naam of het begin "
                "van de SHA-256-vingerafdruk uit 'cert list'."
            )
        return rec

    def _connection_names(self, s: Session, cert_id: int) -> tuple[str, ...]:
        return tuple(
            s.scalars(
                select(m.Connection.name)
                .where(m.Connection.certificate_id == cert_id)
                .order_by(m.Connection.name)
            )
        )

    def _summary(
        self, s: Session, rec: Certificate, *, check_key: bool = True
    ) -> CertificateSummary:
        now = self._now()
        days = days_until(rec.not_after, now)
        key_ok = self._has_key(rec.key_ref) if check_key else True
        text, tone = status_for(days, now < rec.not_before, key_ok)
        oin = rec.oin
        info_problem: str | None = None
        if oin is None:
            info_problem = "Het certificaat bevat geen OIN (subject serialNumber ontbreekt)."
        else:
            problem = oin_problem(oin)
            info_problem = (
                f"Het serialNumber ({oin}) is geen geldig OIN: {problem}" if problem else None
            )
        return CertificateSummary(
            id=rec.id,
            label=rec.label,
            subject=rec.subject,
            issuer=rec.issuer,
            oin=oin,
            oin_problem=info_problem,
            oin_is_test=bool(oin) and info_problem is None and is_test_oin(oin or ""),
            not_before=rec.not_before,
            not_after=rec.not_after,
            days_left=days,
            status=text,
            tone=tone,
            key_type=rec.key_type,
            key_size=rec.key_size,
            fingerprint_sha256=format_fingerprint(rec.fingerprint_sha256),
            source=rec.source.value,
            key_available=key_ok,
            connections=self._connection_names(s, rec.id),
        )

    # -- import ------------------------------------------------------------------------------

    def import_file(
        self,
        data: bytes,
        *,
        password: str | None = None,
        label: str | None = None,
        connection: int | str | None = None,
        actor: str = "gebruiker",
    ) -> ImportResult:
        """Import a client certificate with its chain; the key goes to the secret store.

        A file without a key is accepted when the key is already here: a certificate issued
        for a request made with :meth:`create_request`, or a new certificate on the key of
        an existing one. Raises :class:`PasswordNeeded` when the file needs a password.
        """
        try:
            bundle = load_bundle(data, password)
        except PasswordRequired as exc:
            raise PasswordNeeded(str(exc)) from None
        except WrongPassword as exc:
            raise IncorrectPassword(str(exc)) from None
        except CertificateError as exc:
            raise CertificateRefused(str(exc)) from None
        return self._import_bundle(bundle, label=label, connection=connection, actor=actor)

    def _import_bundle(
        self,
        bundle: CertificateBundle,
        *,
        label: str | None,
        connection: int | str | None,
        actor: str,
    ) -> ImportResult:
        info = bundle.info
        problems = client_certificate_problems(info)
        if problems:
            raise CertificateRefused(
                "Dit certificaat kan niet als clientcertificaat worden gebruikt:\n"
                + "\n".join(f"- {p}" for p in problems)
            )
        now = self._now()
        if now >= info.not_after:
            raise CertificateRefused(
                f"Dit certificaat is verlopen op {format_date(info.not_after)} en is niet "
                "geïmporteerd. Vraag bij uw certificaatleverancier een nieuw certificaat aan "
                "(Certificaten → Nieuwe sleutel en CSR)."
            )
        warnings: list[str] = []
        if info.oin_problem:
            warnings.append(info.oin_problem)
        if now < info.not_before:
            warnings.append(
                f"Het certificaat gaat pas in op {format_date(info.not_before)}; tot dan kan er "
                "niet mee worden verstuurd."
            )
        if bundle.ignored:
            warnings.append(
                f"{len(bundle.ignored)} certificaat/certificaten in het bestand hoorde(n) niet "
                "bij de keten van dit certificaat en zijn niet bewaard."
            )
        if not bundle.chain and not info.self_signed:
            warnings.append(
                "Het bestand bevat geen tussenliggende certificaten. Een PKIoverheid-keten "
                "heeft vier niveaus; importeer het bestand met de volledige keten als de "
                "server van Logius uw certificaat niet accepteert."
            )
        cert_text = certificate_pem(bundle.certificate)
        chain_text = chain_pem(bundle.chain)
        new_secret_ref: str | None = None
        changed_connections: list[int] = []
        with self._db.session() as s:
            request: CertificateRequest | None = None
            rec = s.scalar(
                select(Certificate).where(Certificate.fingerprint_sha256 == info.fingerprint_sha256)
            )
            if bundle.key is not None:
                key_secret = key_to_secret(bundle.key)
                if rec is not None and rec.key_ref and self._secret_matches(rec.key_ref, info):
                    key_ref = rec.key_ref
                else:
                    key_ref = (
                        rec.key_ref
                        if rec is not None and rec.key_ref
                        else _new_key_ref("certificate-key")
                    )
                    try:
                        self._secrets.set(key_ref, key_secret)
                    except SecretStoreError as exc:  # its message names no secret
                        raise CertificateRefused(str(exc)) from None
                    new_secret_ref = key_ref
                del key_secret
                source = CertificateSource.IMPORT
            else:
                request = s.scalar(
                    select(CertificateRequest)
                    .where(CertificateRequest.public_key_sha256 == info.public_key_sha256)
                    .order_by(CertificateRequest.id.desc())
                )
                key_ref = None
                if request is not None and self._has_key(request.key_ref):
                    key_ref = request.key_ref
                    source = CertificateSource.RENEWAL
                else:
                    request = None
                    for other in s.scalars(
                        select(Certificate).where(
                            Certificate.public_key_sha256 == info.public_key_sha256
                        )
                    ):
                        if self._has_key(other.key_ref):
                            key_ref = other.key_ref
                            break
                    source = CertificateSource.IMPORT
                if key_ref is None:
                    raise CertificateRefused(
                        "Het bestand bevat alleen het certificaat, en de bijbehorende sleutel "
                        "staat niet in de sleutelbos. Importeer het .p12/.pfx-bestand met "
                        "certificaat en sleutel, of importeer dit certificaat op de computer "
                        "waarop de aanvraag (CSR) is gemaakt."
                    )
            try:
                created = rec is None
                if rec is None:
                    rec = Certificate(
                        label=(label or info.display_name)[:200],
                        subject=info.subject[:1000],
                        issuer=info.issuer[:1000],
                        serial_number=info.serial_number[:100],
                        oin=info.oin[:64] if info.oin else None,
                        not_before=info.not_before,
                        not_after=info.not_after,
                        key_type=info.key_type,
                        key_size=info.key_size,
                        fingerprint_sha256=info.fingerprint_sha256,
                        fingerprint_sha1=info.fingerprint_sha1,
                        public_key_sha256=info.public_key_sha256,
                        cert_pem=cert_text,
                        chain_pem=chain_text,
                        key_ref=key_ref,
                        source=source,
                        imported_at=now,
                        imported_by=actor[:100],
                    )
                    s.add(rec)
                else:
                    rec.key_ref = key_ref
                    if label:
                        rec.label = label[:200]
                    if chain_text and len(chain_text) > len(rec.chain_pem):
                        rec.chain_pem = chain_text
                s.flush()
                completed: int | None = None
                targets: list[m.Connection] = []
                if request is not None and request.certificate_id is None:
                    request.certificate_id = rec.id
                    request.completed_at = now
                    completed = request.id
                    if connection is None and request.connection_id is not None:
                        target = s.get(m.Connection, request.connection_id)
                        if target is not None:
                            if info.validity_problem(now) is None:
                                targets.append(target)
                            else:
                                warnings.append(
                                    f"Het certificaat is nog niet aan koppeling {target.name} "
                                    "gekoppeld omdat het nu niet geldig is; koppel het zodra "
                                    "het ingaat."
                                )
                if connection is not None:
                    targets.append(self._connection(s, connection))
                for target in targets:
                    target.certificate_id = rec.id
                    changed_connections.append(target.id)
                    warnings += [i.message for i in self._oin_issues(target, info.oin, None)]
                s.commit()
                summary = self._summary(s, rec)
                attached = tuple(t.name for t in targets)
            except Exception:
                s.rollback()
                if new_secret_ref is not None and created:
                    self._secrets.delete(new_secret_ref)
                raise
        self._changed(changed_connections or self._users_of(summary.id))
        log.info(
            "Certificaat %s geïmporteerd (OIN %s, geldig tot %s)",
            summary.fingerprint_sha256[:23],
            summary.oin,
            summary.not_after.date().isoformat(),
        )
        return ImportResult(summary, created, attached, completed, tuple(warnings))

    def _secret_matches(self, key_ref: str, info: CertificateInfo) -> bool:
        try:
            secret = self._secrets.get(key_ref)
        except SecretStoreError:
            return False
        if secret is None:
            return False
        try:
            return key_public_sha256(key_from_secret(secret)) == info.public_key_sha256
        except CertificateError:
            return False
        finally:
            del secret

    def _users_of(self, cert_id: int) -> list[int]:
        with self._db.session() as s:
            return list(
                s.scalars(select(m.Connection.id).where(m.Connection.certificate_id == cert_id))
            )

    def attach(self, certificate: int | str, connection: int | str) -> ConsistencyReport:
        """Use *certificate* for *connection*; returns the consistency check afterwards."""
        with self._db.session() as s:
            rec = self._record(s, certificate)
            conn = self._connection(s, connection)
            conn.certificate_id = rec.id
            s.commit()
            conn_id = conn.id
        self._changed([conn_id])
        return self.check_connection(conn_id)

    def remove(self, certificate: int | str) -> CertificateSummary:
        """Delete a certificate that no connection uses, and its key when nothing else needs it."""
        with self._db.session() as s:
            rec = self._record(s, certificate)
            summary = self._summary(s, rec, check_key=False)
            if summary.connections:
                raise CertificateRefused(
                    f"Certificaat {rec.label} wordt gebruikt door koppeling "
                    f"{', '.join(summary.connections)}. Koppel daar eerst een ander "
                    "certificaat aan."
                )
            key_ref = rec.key_ref
            s.delete(rec)
            s.flush()
            still_used = key_ref is not None and (
                s.scalar(
                    select(func.count())
                    .select_from(Certificate)
                    .where(Certificate.key_ref == key_ref)
                )
                or s.scalar(
                    select(func.count())
                    .select_from(CertificateRequest)
                    .where(
                        CertificateRequest.key_ref == key_ref,
                        CertificateRequest.certificate_id.is_(None),
                    )
                )
            )
            s.commit()
        if key_ref and not still_used:
            self._secrets.delete(key_ref)
        self._changed([])
        return summary

    # -- inspect -----------------------------------------------------------------------------

    def certificates(self) -> list[CertificateSummary]:
        with self._db.session() as s:
            recs = s.scalars(select(Certificate).order_by(Certificate.not_after.desc()))
            return [self._summary(s, rec) for rec in recs]

    def show(self, certificate: int | str) -> CertificateDetail:
        with self._db.session() as s:
            rec = self._record(s, certificate)
            summary = self._summary(s, rec)
            cert_text, chain_text = rec.cert_pem, rec.chain_pem
        info = inspect_certificate(load_certificate_pem(cert_text))
        chain = tuple(
            ChainEntry(
                subject=c.subject,
                issuer=c.issuer,
                not_after=c.not_after,
                fingerprint_sha256=format_fingerprint(c.fingerprint_sha256),
                is_root=c.self_signed,
            )
            for c in (inspect_certificate(x) for x in load_certificates_pem(chain_text))
        )
        return CertificateDetail(
            summary=summary,
            subject_fields=info.subject_fields,
            serial_number=info.serial_number,
            fingerprint_sha1=format_fingerprint(info.fingerprint_sha1),
            key_usage=info.key_usage,
            extended_key_usage=info.extended_key_usage,
            oin_kind=info.oin_kind,
            oin_notes=info.oin_notes,
            chain=chain,
            problems=tuple(client_certificate_problems(info)),
            cert_pem=cert_text + chain_text,
        )

    # -- consistency -------------------------------------------------------------------------

    def _oin_issues(
        self,
        conn: m.Connection,
        cert_oin: str | None,
        organisation: m.Organisation | None,
    ) -> list[ConsistencyIssue]:
        owner = conn.owner
        cpa_oin = strip_party_prefix(conn.from_party_id)
        issues: list[ConsistencyIssue] = []
        if cert_oin is None:
            issues.append(
                ConsistencyIssue(
                    "oin_missing",
                    "Het certificaat bevat geen OIN in het subject serialNumber. Logius kan "
                    "uw organisatie er niet aan herkennen; vraag een PKIoverheid-certificaat "
                    "met het OIN aan.",
                    True,
                    OIN_MISMATCH_CODE,
                )
            )
            return issues
        if cert_oin != owner.oin:
            issues.append(
                ConsistencyIssue(
                    "oin_owner",
                    f"Het OIN in het certificaat ({cert_oin}) is niet het OIN van "
                    f"{owner.name} ({owner.oin}), de eigenaar van koppeling {conn.name}. "
                    f"Logius zou de berichten weigeren met {OIN_MISMATCH_CODE}. Koppel het "
                    "certificaat van deze organisatie, of corrigeer het OIN van de organisatie.",
                    True,
                    OIN_MISMATCH_CODE,
                )
            )
        if cert_oin != cpa_oin:
            issues.append(
                ConsistencyIssue(
                    "oin_cpa",
                    f"Het OIN in het certificaat ({cert_oin}) is niet het From-PartyId in de "
                    f"CPA ({cpa_oin}). Logius zou de berichten weigeren met "
                    f"{OIN_MISMATCH_CODE}. Gebruik het certificaat dat bij de CPA hoort, of "
                    "vraag Logius om een CPA met dit OIN.",
                    True,
                    OIN_MISMATCH_CODE,
                )
            )
        if (
            organisation is not None
            and organisation.id == owner.id
            and organisation.oin != cert_oin
        ):
            issues.append(
                ConsistencyIssue(
                    "oin_leverancier",
                    f"Bij een eigen koppeling is de BerichtLeverancierID het OIN van de "
                    f"organisatie ({organisation.oin}); het certificaat heeft {cert_oin}. "
                    f"Logius zou de berichten weigeren met {OIN_MISMATCH_CODE}.",
                    True,
                    OIN_MISMATCH_CODE,
                )
            )
        if conn.environment is Environment.PRODUCTIE and is_test_oin(cert_oin):
            issues.append(
                ConsistencyIssue(
                    "test_oin_in_production",
                    f"Het certificaat heeft een test-OIN ({cert_oin}) maar koppeling "
                    f"{conn.name} is voor PRODUCTIE. Gebruik het productiecertificaat.",
                    True,
                )
            )
        return issues

    def check_connection(
        self, connection: int | str, organisation_id: int | None = None
    ) -> ConsistencyReport:
        """Everything about the connection's certificate that would stop or spoil sending."""
        now = self._now()
        with self._db.session() as s:
            conn = self._connection(s, connection)
            organisation = (
                s.get(m.Organisation, organisation_id) if organisation_id is not None else None
            )
            rec = s.get(Certificate, conn.certificate_id) if conn.certificate_id else None
            issues: list[ConsistencyIssue] = []
            cert_oin: str | None = None
            days: int | None = None
            label = ""
            key_ref: str | None = None
            not_before = not_after = None
            if rec is not None:
                cert_oin, label, key_ref = rec.oin, rec.label, rec.key_ref
                not_before, not_after = rec.not_before, rec.not_after
            elif conn.client_cert_pem:  # set up before the Certificaten page existed
                try:
                    info = inspect_certificate(load_certificate_pem(conn.client_cert_pem))
                except CertificateError:
                    info = None
                if info is not None:
                    cert_oin, label, key_ref = info.oin, info.display_name, conn.client_key_ref
                    not_before, not_after = info.not_before, info.not_after
            if not_after is None or not_before is None:
                issues.append(
                    ConsistencyIssue(
                        "no_certificate",
                        f"Koppeling {conn.name} heeft geen clientcertificaat. Importeer het "
                        "PKIoverheid-certificaat van de organisatie bij Certificaten en koppel "
                        "het aan deze koppeling.",
                        True,
                    )
                )
            else:
                days = days_until(not_after, now)
                if now >= not_after:
                    issues.append(
                        ConsistencyIssue(
                            "expired",
                            f"Het certificaat van koppeling {conn.name} is verlopen op "
                            f"{format_date(not_after)}. Er kan niet worden verstuurd tot u een "
                            "nieuw certificaat importeert (Certificaten → Importeren).",
                            True,
                        )
                    )
                elif now < not_before:
                    issues.append(
                        ConsistencyIssue(
                            "not_yet_valid",
                            f"Het certificaat van koppeling {conn.name} is pas geldig vanaf "
                            f"{format_date(not_before)}. Tot dan kan er niet mee worden "
                            "verstuurd.",
                            True,
                        )
                    )
                elif (level := threshold_for(days)) is not None:
                    issues.append(
                        ConsistencyIssue(
                            f"expiring_{level}",
                            f"Het certificaat van koppeling {conn.name} verloopt over "
                            f"{_days_text(days)} ({format_date(not_after)}). Vraag op tijd een "
                            "nieuw certificaat aan (Certificaten → Nieuwe sleutel en CSR).",
                            False,
                        )
                    )
                if not self._has_key(key_ref):
                    issues.append(
                        ConsistencyIssue(
                            "key_missing",
                            f"De sleutel van het certificaat van koppeling {conn.name} staat "
                            "niet in de sleutelbos. Importeer het certificaat met zijn sleutel "
                            "(.p12/.pfx) opnieuw bij Certificaten.",
                            True,
                        )
                    )
                issues += self._oin_issues(conn, cert_oin, organisation)
            return ConsistencyReport(
                connection_id=conn.id,
                connection_name=conn.name,
                environment=conn.environment,
                certificate_id=rec.id if rec is not None else None,
                certificate_label=label,
                oin_certificate=cert_oin,
                oin_owner=conn.owner.oin,
                oin_cpa=strip_party_prefix(conn.from_party_id),
                oin_leverancier=(
                    organisation.oin
                    if organisation is not None and organisation.id == conn.owner_organisation_id
                    else None
                ),
                days_left=days,
                issues=tuple(issues),
            )

    def check_all(self) -> list[ConsistencyReport]:
        with self._db.session() as s:
            ids = list(s.scalars(select(m.Connection.id).order_by(m.Connection.name)))
        return [self.check_connection(cid) for cid in ids]

    def send_issues(self, connection_id: int, organisation_id: int) -> list[FieldIssue]:
        """What stops a letter from being sent over this connection (LetterService.submit)."""

        def compute() -> list[FieldIssue]:
            report = self.check_connection(connection_id, organisation_id)
            return [
                FieldIssue(
                    "Certificaat" if not i.code.startswith("oin") else "OIN",
                    i.message,
                    blocking=True,
                )
                for i in report.blocking
            ]

        result = self._cached(("send", connection_id, organisation_id), compute)
        assert isinstance(result, list)
        return list(result)

    # -- expiry ------------------------------------------------------------------------------

    def expiry_warnings(self) -> list[ExpiryWarning]:
        """Certificates in use that expire within 90 days (or have expired), soonest first."""
        now = self._now()
        out: list[ExpiryWarning] = []
        with self._db.session() as s:
            recs = s.scalars(
                select(Certificate)
                .where(
                    Certificate.id.in_(
                        select(m.Connection.certificate_id).where(
                            m.Connection.certificate_id.is_not(None)
                        )
                    )
                )
                .order_by(Certificate.not_after)
            )
            for rec in recs:
                days = days_until(rec.not_after, now)
                level = threshold_for(days)
                if level is None:
                    continue
                names = self._connection_names(s, rec.id)
                used = ", ".join(names)
                if level == 0:
                    message = (
                        f"Het certificaat {rec.label} (koppeling {used}) is verlopen op "
                        f"{format_date(rec.not_after)}. Er wordt niets meer verstuurd tot u "
                        "een nieuw certificaat importeert."
                    )
                else:
                    message = (
                        f"Het certificaat {rec.label} (koppeling {used}) verloopt over "
                        f"{_days_text(days)}, op {format_date(rec.not_after)}. Vraag op tijd "
                        "een nieuw certificaat aan."
                    )
                out.append(
                    ExpiryWarning(
                        rec.id, rec.label, rec.oin, rec.not_after, days, level, names, message
                    )
                )
        return out

    def due_notifications(self) -> list[ExpiryWarning]:
        """Warnings whose level (90/60/30/7/verlopen) has not been notified yet."""
        notified = self._notified()
        return [
            w
            for w in self.expiry_warnings()
            if (seen := notified.get(str(w.certificate_id))) is None or w.threshold < seen
        ]

    def mark_notified(self, warnings: Iterable[ExpiryWarning]) -> None:
        notified = self._notified()
        for w in warnings:
            notified[str(w.certificate_id)] = w.threshold
        with self._db.session() as s:
            row = s.get(m.Setting, NOTIFIED_SETTING)
            if row is None:
                s.add(m.Setting(key=NOTIFIED_SETTING, value=json.dumps(notified)))
            else:
                row.value = json.dumps(notified)
            s.commit()

    def _notified(self) -> dict[str, int]:
        with self._db.session() as s:
            row = s.get(m.Setting, NOTIFIED_SETTING)
            if row is None:
                return {}
            try:
                value = json.loads(row.value)
            except ValueError:
                return {}
        return {str(k): int(v) for k, v in value.items()} if isinstance(value, dict) else {}

    def days_left_for_connection(self, connection_id: int) -> int | None:
        with self._db.session() as s:
            conn = s.get(m.Connection, connection_id)
            if conn is None:
                return None
            if conn.certificate_id is not None:
                not_after = s.scalar(
                    select(Certificate.not_after).where(Certificate.id == conn.certificate_id)
                )
            elif conn.client_cert_pem:
                try:
                    not_after = load_certificate_pem(conn.client_cert_pem).not_valid_after_utc
                except CertificateError:
                    return None
            else:
                return None
        return days_until(not_after, self._now()) if not_after is not None else None

    def days_left_active(self) -> int | None:
        """Days left on the active connection's certificate (the status bar polls this)."""

        def compute() -> int | None:
            with self._db.session() as s:
                row = s.get(m.Setting, ACTIVE_CONNECTION)
                cid = json.loads(row.value) if row is not None else None
                if cid is None:
                    cid = s.scalar(
                        select(m.Connection.id)
                        .where(m.Connection.active.is_(True))
                        .order_by(m.Connection.id)
                    )
            return self.days_left_for_connection(int(cid)) if cid is not None else None

        result = self._cached("days_left_active", compute)
        return result if isinstance(result, int) else None

    # -- trust stores ------------------------------------------------------------------------

    def _anchor_info(self, a: TrustAnchor) -> TrustAnchorInfo:
        cert = load_certificate_pem(a.cert_pem)
        info = inspect_certificate(cert)
        return TrustAnchorInfo(
            id=a.id,
            environment=a.environment,
            label=a.label,
            subject=a.subject,
            issuer=a.issuer,
            not_after=a.not_after,
            days_left=days_until(a.not_after, self._now()),
            fingerprint_sha256=format_fingerprint(a.fingerprint_sha256),
            source=a.source.value,
            is_ca=info.is_ca or info.self_signed,
        )

    def _connections_in(self, s: Session, environment: Environment) -> list[int]:
        return list(
            s.scalars(select(m.Connection.id).where(m.Connection.environment == environment))
        )

    def trust_import(
        self, environment: Environment | str, data: bytes, *, label: str | None = None
    ) -> TrustImportResult:
        """Trust the certificates in *data* for the servers of *environment*."""
        env = Environment(environment)
        try:
            certs = load_trust_certificates(data)
        except CertificateError as exc:
            raise CertificateRefused(str(exc)) from None
        return self._trust_add(env, certs, label=label, source=CertificateSource.IMPORT)

    def _trust_add(
        self,
        env: Environment,
        certs: list[x509.Certificate],
        *,
        label: str | None,
        source: CertificateSource,
    ) -> TrustImportResult:
        now = self._now()
        added: list[int] = []
        present: list[int] = []
        warnings: list[str] = []
        with self._db.session() as s:
            for cert in certs:
                info = inspect_certificate(cert)
                if now >= info.not_after:
                    raise CertificateRefused(
                        f"Het certificaat {info.display_name} is verlopen op "
                        f"{format_date(info.not_after)} en kan niet worden vertrouwd. Vraag "
                        "Logius om het actuele certificaat."
                    )
                existing = s.scalar(
                    select(TrustAnchor).where(
                        TrustAnchor.environment == env,
                        TrustAnchor.fingerprint_sha256 == info.fingerprint_sha256,
                    )
                )
                if existing is not None:
                    present.append(existing.id)
                    continue
                if not (info.is_ca or info.self_signed):
                    warnings.append(
                        f"{info.display_name} is geen CA-certificaat. Vertrouw bij voorkeur het "
                        "root- of tussencertificaat van de uitgever: dan blijft de verbinding "
                        "werken als Logius zijn servercertificaat vervangt."
                    )
                anchor = TrustAnchor(
                    environment=env,
                    label=(label if label and len(certs) == 1 else info.display_name)[:200],
                    subject=info.subject[:1000],
                    issuer=info.issuer[:1000],
                    not_before=info.not_before,
                    not_after=info.not_after,
                    fingerprint_sha256=info.fingerprint_sha256,
                    cert_pem=certificate_pem(cert),
                    source=source,
                    imported_at=now,
                )
                s.add(anchor)
                s.flush()
                added.append(anchor.id)
            s.commit()
            result = TrustImportResult(
                tuple(self._anchor_info(s.get_one(TrustAnchor, i)) for i in added),
                tuple(self._anchor_info(s.get_one(TrustAnchor, i)) for i in present),
                tuple(warnings),
            )
            connections = self._connections_in(s, env)
        if added:
            self._changed(connections)
        return result

    def trust_list(self, environment: Environment | str | None = None) -> list[TrustAnchorInfo]:
        with self._db.session() as s:
            query = select(TrustAnchor).order_by(TrustAnchor.environment, TrustAnchor.label)
            if environment is not None:
                query = query.where(TrustAnchor.environment == Environment(environment))
            return [self._anchor_info(a) for a in s.scalars(query)]

    def trust_remove(self, anchor: int | str) -> TrustAnchorInfo:
        text = str(anchor).strip()
        with self._db.session() as s:
            found: TrustAnchor | None = None
            if text.isdigit() and len(text) < 10:
                found = s.get(TrustAnchor, int(text))
            if found is None:
                hexed = text.replace(":", "").lower()
                matches = (
                    list(
                        s.scalars(
                            select(TrustAnchor).where(
                                TrustAnchor.fingerprint_sha256.startswith(hexed)
                            )
                        )
                    )
                    if len(hexed) >= 8
                    else []
                )
                if len(matches) > 1:
                    raise CertificateRefused(
                        f"Vingerafdruk {text} past bij {len(matches)} vertrouwde certificaten "
                        "(in meerdere omgevingen). Gebruik het nummer uit 'trust list'."
                    )
                found = matches[0] if matches else None
            if found is None:
                raise NotFound(
                    f"Vertrouwd certificaat {anchor} bestaat niet. Gebruik het nummer uit "
                    "'trust list'."
                )
            info = self._anchor_info(found)
            env = found.environment
            s.delete(found)
            s.commit()
            connections = self._connections_in(s, env)
        self._changed(connections)
        return info

    # -- renewal -----------------------------------------------------------------------------

    def create_request(
        self,
        *,
        connection: int | str | None = None,
        oin: str | None = None,
        organisation: str | None = None,
        common_name: str | None = None,
        key_spec: str = DEFAULT_KEY_SPEC,
        actor: str = "gebruiker",
    ) -> CsrResult:
        """A new key (into the secret store) and a CSR with the OIN in the subject serialNumber.

        With *connection*, the OIN, organisation and name default to those of the connection
        and its current certificate, and the issued certificate is later used for it.
        """
        if key_spec not in KEY_SPECS:
            raise CertificateRefused(
                f"Onbekend sleuteltype {key_spec}; kies uit {', '.join(KEY_SPECS)}."
            )
        conn_id: int | None = None
        conn_name: str | None = None
        with self._db.session() as s:
            if connection is not None:
                conn = self._connection(s, connection)
                conn_id, conn_name = conn.id, conn.name
                oin = oin or strip_party_prefix(conn.from_party_id)
                organisation = organisation or conn.owner.name
                if common_name is None and conn.certificate_id is not None:
                    current = s.get(Certificate, conn.certificate_id)
                    if current is not None:
                        common_name = (
                            inspect_certificate(load_certificate_pem(current.cert_pem)).common_name
                            or None
                        )
                common_name = common_name or conn.name
        subject = CsrSubject(oin or "", organisation or "", common_name or "")
        problems = subject.problems()
        if problems:
            raise CertificateRefused(
                "De aanvraag is niet gemaakt:\n" + "\n".join(f"- {p}" for p in problems)
            )
        key = generate_key(key_spec)
        try:
            csr = build_csr(key, subject)
        except CertificateError as exc:
            raise CertificateRefused(str(exc)) from None
        key_ref = _new_key_ref("certificate-request-key")
        try:
            self._secrets.set(key_ref, key_to_secret(key))
        except SecretStoreError as exc:  # its message names no secret
            raise CertificateRefused(str(exc)) from None
        key_hash = key_public_sha256(key)
        description = KEY_SPECS[key_spec]
        key_type, key_size = description.split(" ")[0], key.key_size
        del key
        try:
            with self._db.session() as s:
                req = CertificateRequest(
                    key_ref=key_ref,
                    public_key_sha256=key_hash,
                    key_type=key_type,
                    key_size=key_size,
                    oin=subject.oin,
                    subject=f"C={subject.country}, O={subject.organisation}, "
                    f"serialNumber={subject.oin}, CN={subject.common_name}"[:1000],
                    csr_pem=csr,
                    connection_id=conn_id,
                    created_at=self._now(),
                    created_by=actor[:100],
                )
                s.add(req)
                s.commit()
                req_id, req_subject = req.id, req.subject
        except Exception:
            self._secrets.delete(key_ref)
            raise
        log.info("Nieuwe sleutel en CSR %d gemaakt voor OIN %s", req_id, subject.oin)
        safe = "".join(c if c.isalnum() else "-" for c in (common_name or subject.oin)).strip("-")
        return CsrResult(
            request_id=req_id,
            csr_pem=csr,
            subject=req_subject,
            oin=subject.oin,
            key_description=description,
            suggested_filename=f"{safe or 'aanvraag'}-{subject.oin}.csr",
            connection_name=conn_name,
        )

    def requests(self, *, include_completed: bool = False) -> list[RequestInfo]:
        with self._db.session() as s:
            query = select(CertificateRequest).order_by(CertificateRequest.created_at.desc())
            if not include_completed:
                query = query.where(CertificateRequest.certificate_id.is_(None))
            out: list[RequestInfo] = []
            for r in s.scalars(query):
                conn = s.get(m.Connection, r.connection_id) if r.connection_id else None
                out.append(
                    RequestInfo(
                        id=r.id,
                        oin=r.oin,
                        subject=r.subject,
                        key_description=f"{r.key_type} {r.key_size} bits",
                        created_at=r.created_at,
                        connection_name=conn.name if conn is not None else None,
                        completed=r.certificate_id is not None,
                        csr_pem=r.csr_pem,
                    )
                )
            return out

    def cancel_request(self, request_id: int) -> None:
        """Forget a request that will not be used; its key is deleted from the store."""
        with self._db.session() as s:
            req = s.get(CertificateRequest, request_id)
            if req is None:
                raise NotFound(f"Aanvraag {request_id} bestaat niet.")
            if req.certificate_id is not None:
                raise CertificateRefused(
                    f"Aanvraag {request_id} is al afgerond; de sleutel hoort nu bij een "
                    "certificaat en blijft bewaard."
                )
            key_ref = req.key_ref
            s.delete(req)
            s.commit()
        self._secrets.delete(key_ref)

    # -- the simulator's test PKI (demo) ----------------------------------------------------

    def register_local_test_pki(
        self, connection_id: int, client_chain_pem: bytes, ca_pem: bytes
    ) -> int:
        """Record the demo's test client certificate and trust its CA for the simulator.

        The connection uses it unless the user attached another certificate. Returns the
        certificate id. Stale test certificates no connection uses are dropped
        (their key is shared with the new one and stays).
        """
        certs = load_certificates_pem(client_chain_pem)
        leaf, chain = certs[0], certs[1:]
        info = inspect_certificate(leaf)
        now = self._now()
        with self._db.session() as s:
            conn = s.get_one(m.Connection, connection_id)
            key_ref = conn.client_key_ref
            rec = s.scalar(
                select(Certificate).where(Certificate.fingerprint_sha256 == info.fingerprint_sha256)
            )
            if rec is None:
                rec = Certificate(
                    label=f"Testcertificaat simulator ({info.organisation})"[:200],
                    subject=info.subject[:1000],
                    issuer=info.issuer[:1000],
                    serial_number=info.serial_number[:100],
                    oin=info.oin,
                    not_before=info.not_before,
                    not_after=info.not_after,
                    key_type=info.key_type,
                    key_size=info.key_size,
                    fingerprint_sha256=info.fingerprint_sha256,
                    fingerprint_sha1=info.fingerprint_sha1,
                    public_key_sha256=info.public_key_sha256,
                    cert_pem=certificate_pem(leaf),
                    chain_pem=chain_pem(chain),
                    key_ref=key_ref,
                    source=CertificateSource.LOCAL_TEST_PKI,
                    imported_at=now,
                    imported_by="demo",
                )
                s.add(rec)
                s.flush()
            rec.key_ref = key_ref
            current = s.get(Certificate, conn.certificate_id) if conn.certificate_id else None
            if current is None or current.source is CertificateSource.LOCAL_TEST_PKI:
                conn.certificate_id = rec.id  # a certificate the user chose stays chosen
            s.flush()
            in_use = select(m.Connection.certificate_id).where(
                m.Connection.certificate_id.is_not(None)
            )
            for stale in s.scalars(
                select(Certificate).where(
                    Certificate.source == CertificateSource.LOCAL_TEST_PKI,
                    Certificate.id != rec.id,
                    Certificate.id.not_in(in_use),
                )
            ):
                s.delete(stale)
            ca = load_certificate_pem(ca_pem)
            ca_fp = inspect_certificate(ca).fingerprint_sha256
            for old in s.scalars(
                select(TrustAnchor).where(
                    TrustAnchor.environment == Environment.SIMULATOR,
                    TrustAnchor.source == CertificateSource.LOCAL_TEST_PKI,
                    or_(TrustAnchor.fingerprint_sha256 != ca_fp),
                )
            ):
                s.delete(old)
            s.commit()
            cert_id = rec.id
        self._trust_add(
            Environment.SIMULATOR, [ca], label=None, source=CertificateSource.LOCAL_TEST_PKI
        )
        self._changed([connection_id])
        return cert_id


__all__ = [
    "OIN_MISMATCH_CODE",
    "WARNING_THRESHOLDS",
    "CertificateDetail",
    "CertificateRefused",
    "CertificateService",
    "CertificateSummary",
    "ChainEntry",
    "ConsistencyIssue",
    "ConsistencyReport",
    "CsrResult",
    "ExpiryWarning",
    "ImportResult",
    "IncorrectPassword",
    "PasswordNeeded",
    "RequestInfo",
    "TrustAnchorInfo",
    "TrustImportResult",
    "status_for",
    "threshold_for",
]
