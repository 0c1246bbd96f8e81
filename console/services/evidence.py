"""Evidence pack for objection and appeal: one letter's story as a PDF, plus the raw exchanges.

Two files in the chosen folder:

- ``bewijs-bericht-<id>.pdf``: who sent what to whom and when; the identifiers (BerichtID,
  BatchID, ebMS MessageIds, Referentie), the organisation and its OIN, the connection and its
  CPA, the SHA-256 fingerprints of the client certificate and the trusted certificates, the
  attachments with their SHA-256, the whole timeline with times to the second, and the
  outcome explained in plain Dutch with the next step. The last section lists every raw file
  in the zip with its SHA-256, so the PDF and the zip vouch for each other.
- ``bewijs-bericht-<id>-uitwisselingen.zip``: every ebMS exchange of the letter's batch
  exactly as sent or received (``.raw``: the HTTP body, byte for byte), a readable copy with
  the XML pretty-printed (``.txt``), and ``MANIFEST.txt`` with times, MessageIds, content types
  and SHA-256 sums.

The BSN is masked unless the user asks for it in full, with a reason; that is recorded in
the BSN lookup log. PDF made with ReportLab (standard fonts, no network, no external files).
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.db import models as m
from console.db.database import Database
from console.db.models_ebms import CpaRecord
from console.domain.bsn import mask_bsn
from console.domain.letter import decode_line_breaks
from console.domain.lifecycle import STATUS_LABELS
from console.domain.verwerkingscode import explain, explain_stadium
from console.services.dto import TimelineEntry
from console.services.errors import NotFound, ServiceError
from console.services.letters import render_raw
from console.services.pdf_report import build_pdf, report_style
from console.services.privacy import PrivacyService, check_reason
from console.services.timeline import batch_counters, batch_exchanges, build_timeline


@dataclass(frozen=True, slots=True)
class CertificateFact:
    role: str  # "Clientcertificaat", "Vertrouwd certificaat", ...
    subject: str
    issuer: str
    not_after: datetime
    sha256: str  # hex, upper case, colon separated


@dataclass(frozen=True, slots=True)
class RawFile:
    name: str
    sha256: str
    size: int
    at: datetime
    message_id: str
    description: str


@dataclass(frozen=True, slots=True)
class EvidencePack:
    letter_id: int
    pdf_path: Path
    zip_path: Path
    raw_files: tuple[RawFile, ...]
    pdf_sha256: str
    zip_sha256: str

    @property
    def text(self) -> str:
        return (
            f"Bewijsstuk gemaakt: {self.pdf_path.name} en {self.zip_path.name} "
            f"({len(self.raw_files)} uitwisselingen)."
        )


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def certificate_facts(pem: str | None, role: str) -> list[CertificateFact]:
    """Subject, issuer, expiry and SHA-256 fingerprint of every certificate in *pem*."""
    if not pem:
        return []
    try:
        certs = x509.load_pem_x509_certificates(pem.encode())
    except ValueError:
        return []
    facts = []
    for n, cert in enumerate(certs):
        facts.append(
            CertificateFact(
                role if n == 0 else f"{role} (keten {n})",
                cert.subject.rfc4514_string(),
                cert.issuer.rfc4514_string(),
                cert.not_valid_after_utc,
                fingerprint(cert),
            )
        )
    return facts


class EvidenceService:
    def __init__(self, db: Database, privacy: PrivacyService) -> None:
        self._db = db
        self._privacy = privacy

    def build(
        self,
        letter_id: int,
        out_dir: Path,
        *,
        full_bsn: bool = False,
        reason: str = "",
        now: datetime | None = None,
    ) -> EvidencePack:
        why = check_reason(reason) if full_bsn else ""
        if not out_dir.is_dir():
            raise ServiceError(f"De map {out_dir} bestaat niet. Kies een andere map.")
        now = now or datetime.now(UTC)
        with self._db.session() as s:
            letter = s.get(m.Letter, letter_id)
            if letter is None:
                raise NotFound(f"Bericht {letter_id} bestaat niet.")
            story = _gather(s, letter)
        zip_path = out_dir / f"bewijs-bericht-{letter_id}-uitwisselingen.zip"
        pdf_path = out_dir / f"bewijs-bericht-{letter_id}.pdf"
        raw_files = _write_zip(zip_path, story, now)
        bsn = story.bsn if full_bsn else mask_bsn(story.bsn)
        pdf = _render_pdf(story, raw_files, bsn=bsn, made_by=self._privacy.user, now=now)
        pdf_path.write_bytes(pdf)
        if full_bsn:
            self._privacy.record_evidence(letter_id, story.bsn, why)
        return EvidencePack(
            letter_id,
            pdf_path,
            zip_path,
            tuple(raw_files),
            hashlib.sha256(pdf).hexdigest(),
            hashlib.sha256(zip_path.read_bytes()).hexdigest(),
        )


@dataclass(frozen=True, slots=True)
class _Exchange:
    id: int
    at: datetime
    direction: str
    kind: str
    action: str
    message_id: str
    content_type: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class _Story:
    letter_id: int
    bsn: str
    facts: tuple[tuple[str, str], ...]  # (label, value) identifiers and circumstances
    content: tuple[tuple[str, str], ...]  # onderwerp, tekst, bijlagen
    outcome_title: str
    outcome: str
    next_step: str
    code: str | None
    timeline: tuple[TimelineEntry, ...]
    certificates: tuple[CertificateFact, ...]
    exchanges: tuple[_Exchange, ...]


def _gather(s: Session, letter: m.Letter) -> _Story:
    org = s.get(m.Organisation, letter.organisation_id)
    conn = s.get(m.Connection, letter.connection_id)
    batch = (
        s.scalar(select(m.Batch).where(m.Batch.batch_id == letter.batch_id))
        if letter.batch_id
        else None
    )
    cpa = s.get(CpaRecord, conn.cpa_record_id) if conn is not None and conn.cpa_record_id else None
    label = STATUS_LABELS[letter.status]
    expl = explain(letter.verwerkings_code) if letter.verwerkings_code else None
    outcome = expl.explanation if expl else (letter.status_detail or label.text)
    next_step = expl.next_step if expl else ""
    if letter.stadium and letter.stadium != "NA":
        outcome += f" Stadium {letter.stadium}: {explain_stadium(letter.stadium)}"
    exchanges = batch_exchanges(s, letter.batch_id)
    facts: list[tuple[str, str]] = [
        ("Berichtnummer (console)", str(letter.id)),
        ("BerichtID", letter.bericht_id),
        ("BatchID", letter.batch_id or "nog niet in een batch"),
        ("Referentie", letter.referentie or "-"),
        ("Berichttype", letter.berichttype),
        ("Organisatie (afzender)", f"{org.name} (OIN {org.oin})" if org else "-"),
    ]
    if conn is not None:
        facts += [
            ("Koppeling", f"{conn.name} ({conn.environment.label})"),
            ("Van (ebMS PartyId)", conn.from_party_id),
            ("Aan (ebMS PartyId)", conn.to_party_id),
            ("Adres Logius", conn.endpoint_override or conn.endpoint_url),
            ("CPA", conn.cpa_id),
        ]
    if cpa is not None:
        facts.append(("CPA-bestand (SHA-256)", cpa.sha256))
    facts += [
        (
            "Aangemaakt",
            _when(letter.created_at) + (f" door {letter.created_by}" if letter.created_by else ""),
        ),
        ("Ontvangst bevestigd door Logius", _when(letter.acknowledged_at)),
        ("Resultaat ontvangen", _when(letter.result_at)),
        ("Status", label.text),
        ("Verwerkingscode", letter.verwerkings_code or "-"),
        ("Stadium", letter.stadium or "-"),
    ]
    if batch is not None and batch.totaal_ontvangen is not None:
        facts.append(("Telling van de batch", batch_counters(batch)))
    facts.append(("ebMS MessageIds", ", ".join(x.message_id for x in exchanges) or "-"))
    content: list[tuple[str, str]] = [
        ("Onderwerp", letter.onderwerp),
        ("Berichttekst", decode_line_breaks(letter.berichttekst)),
    ]
    if letter.publicatie_datum is not None:
        content.append(("Publicatiedatum", _when(letter.publicatie_datum)))
    for a in letter.attachments:
        content.append(
            (f"Bijlage {a.volgorde}", f"{a.filename}, {a.size_bytes} bytes, SHA-256 {a.sha256}")
        )
    certificates: list[CertificateFact] = []
    if conn is not None:
        certificates += certificate_facts(conn.client_cert_pem, "Clientcertificaat (TLS)")
        certificates += certificate_facts(conn.trust_pem, "Vertrouwd certificaat")
    return _Story(
        letter_id=letter.id,
        bsn=letter.bsn,
        facts=tuple(facts),
        content=tuple(content),
        outcome_title=expl.title if expl else label.text,
        outcome=outcome,
        next_step=next_step,
        code=letter.verwerkings_code,
        timeline=tuple(build_timeline(s, letter)),
        certificates=tuple(certificates),
        exchanges=tuple(
            _Exchange(
                x.id,
                x.created_at,
                x.direction.value,
                x.kind.value,
                x.action,
                x.message_id,
                x.content_type,
                x.raw,
            )
            for x in exchanges
        ),
    )


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    local = moment.astimezone()
    return f"{local:%d-%m-%Y %H:%M:%S} ({local.tzname() or ''}; {moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ})"


def _describe(x: _Exchange) -> str:
    direction = "verstuurd naar Logius" if x.direction == "out" else "ontvangen van Logius"
    kinds = {"user": x.action or "bericht", "ack": "Acknowledgment", "error": "MessageError"}
    return f"{kinds.get(x.kind, x.kind)} {direction}"


def _write_zip(path: Path, story: _Story, now: datetime) -> list[RawFile]:
    files: list[RawFile] = []
    manifest = [
        f"Ruwe uitwisselingen van bericht {story.letter_id}, gemaakt {_when(now)}.",
        "Elk .raw-bestand is de HTTP-body precies zoals verstuurd of ontvangen; .txt is een "
        "leesbare kopie met de XML netjes opgemaakt.",
        "",
    ]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for n, x in enumerate(story.exchanges, start=1):
            stamp = x.at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
            name = f"{n:02d}-{stamp}-{x.direction}-{x.kind}"
            digest = hashlib.sha256(x.raw).hexdigest()
            z.writestr(f"{name}.raw", x.raw)
            z.writestr(f"{name}.txt", render_raw(x.raw, x.content_type))
            files.append(
                RawFile(f"{name}.raw", digest, len(x.raw), x.at, x.message_id, _describe(x))
            )
            manifest += [
                f"{name}.raw",
                f"  {_describe(x)}",
                f"  tijd:         {_when(x.at)}",
                f"  MessageId:    {x.message_id}",
                f"  Content-Type: {x.content_type}",
                f"  grootte:      {len(x.raw)} bytes",
                f"  SHA-256:      {digest}",
                "",
            ]
        z.writestr("MANIFEST.txt", "\n".join(manifest))
    return files


def _render_pdf(
    story: _Story, raw_files: Sequence[RawFile], *, bsn: str, made_by: str, now: datetime
) -> bytes:
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Spacer

    style = report_style()
    body, small, mono, h1, h2 = style.body, style.small, style.mono, style.h1, style.h2
    width, p = style.width, style.p

    def pairs(rows: Sequence[tuple[str, str]]) -> object:
        return style.table([[p(k, small), p(v, body)] for k, v in rows], [45 * mm, width - 45 * mm])

    flow: list[object] = [
        p("Bewijsstuk: verzending van een bericht naar de Berichtenbox", h1),
        p(
            f"Gemaakt op {_when(now)} door {made_by} met de Berichtenbox console. Dit stuk "
            "beschrijft wat de console over dit bericht heeft vastgelegd; de ruwe berichten "
            "staan in het bijbehorende zip-bestand.",
            small,
        ),
        Spacer(1, 4 * mm),
        p("Uitkomst", h2),
        p(f"{story.outcome_title}. {story.outcome}"),
    ]
    if story.next_step:
        flow.append(p(f"Wat nu: {story.next_step}"))
    if story.code:
        flow.append(p(f"Oorspronkelijke code van MijnOverheid: {story.code}", small))
    flow += [p("Gegevens", h2), pairs([("BSN ontvanger", bsn), *story.facts])]
    flow += [p("Inhoud van het bericht", h2), pairs(story.content)]

    flow.append(p("Verloop", h2))
    rows = [[p("Tijd", small), p("Stap", small), p("Toelichting", small)]]
    for entry in story.timeline:
        detail = entry.detail
        if entry.code:
            detail = f"{detail} [code: {entry.code}]".strip()
        if entry.actor:
            detail = f"{detail} (door {entry.actor})".strip()
        local = entry.at.astimezone()
        rows.append(
            [
                p(f"{local:%d-%m-%Y}\n{local:%H:%M:%S.%f}"[:-3], small),
                p(entry.title, body),
                p(detail, small),
            ]
        )
    flow.append(style.table(rows, [28 * mm, 55 * mm, width - 83 * mm], repeatRows=1))

    flow.append(p("Certificaten", h2))
    if story.certificates:
        for c in story.certificates:
            flow.append(
                KeepTogether(
                    [
                        p(f"{c.role}: {c.subject}", body),
                        p(f"Uitgegeven door {c.issuer}; geldig tot {_when(c.not_after)}", small),
                        p(f"SHA-256 {c.sha256}", mono),
                        Spacer(1, 2 * mm),
                    ]
                )
            )
    else:
        flow.append(p("Bij deze koppeling is geen certificaat vastgelegd.", small))

    flow.append(p("Ruwe uitwisselingen (in het zip-bestand)", h2))
    if raw_files:
        for f in raw_files:
            flow.append(
                KeepTogether(
                    [
                        p(f"{f.name}: {f.description}, {_when(f.at)}, {f.size} bytes", body),
                        p(f"MessageId {f.message_id}", mono),
                        p(f"SHA-256 {f.sha256}", mono),
                        Spacer(1, 2 * mm),
                    ]
                )
            )
    else:
        flow.append(p("Dit bericht is nog niet verstuurd: er zijn geen uitwisselingen.", small))

    return build_pdf(
        flow,
        title=f"Bewijsstuk bericht {story.letter_id}",
        subject="Verzending naar de MijnOverheid Berichtenbox",
        footer=f"Bewijsstuk bericht {story.letter_id}",
    )
