"""Preflight: every limit exactly at the limit and one over, PDF/A, policies, settings."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfWriter
from pypdf.generic import NameObject, StreamObject

from console.berichtenbox.preflight import (
    Policy,
    PreflightContext,
    PreflightSettings,
    SubscriptionHint,
    pdfa_info,
    preflight_letter,
    read_pdfa_info,
)
from console.domain.letter import (
    AttachmentDraft,
    LetterDraft,
    aanmaak_datum_issue,
    publicatie_datum_issue,
)

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
BSN = "999990019"


def make_pdf(
    part: str | None = None, conformance: str | None = None, *, attr: bool = True, pad: int = 0
) -> bytes:
    """A real one-page PDF, optionally with an XMP packet declaring PDF/A part and conformance."""
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    if part is not None:
        ns = 'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"'
        desc = (
            f'<rdf:Description rdf:about="" {ns} pdfaid:part="{part}" pdfaid:conformance="{conformance}"/>'
            if attr
            else f'<rdf:Description rdf:about="" {ns}><pdfaid:part>{part}</pdfaid:part>'
            f"<pdfaid:conformance>{conformance}</pdfaid:conformance></rdf:Description>"
        )
        xmp = (
            '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f"{desc}</rdf:RDF></x:xmpmeta>" + " " * pad + '<?xpacket end="w"?>'
        ).encode()
        stream = StreamObject()
        stream.set_data(xmp)
        stream[NameObject("/Type")] = NameObject("/Metadata")
        stream[NameObject("/Subtype")] = NameObject("/XML")
        writer._root_object[NameObject("/Metadata")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PDFA_1A = make_pdf("1", "A")


def padded_pdf(size: int) -> bytes:
    """A PDF/A-1a of exactly *size* bytes (padding in the XMP packet)."""
    pad = size - len(make_pdf("1", "A"))
    for _ in range(10):  # the xref offsets grow by a digit now and then: converge
        pdf = make_pdf("1", "A", pad=pad)
        if len(pdf) == size:
            return pdf
        pad += size - len(pdf)
    raise AssertionError(f"kon geen PDF van {size} bytes maken")


def letter(**changes: object) -> LetterDraft:
    return replace(
        LetterDraft(
            bsn=BSN, berichttype="BELAST", onderwerp="Uw aanslag", berichttekst="Beste inwoner,"
        ),
        **changes,  # type: ignore[arg-type]
    )


def check(draft: LetterDraft, settings: PreflightSettings | None = None, **ctx: object):  # type: ignore[no-untyped-def]
    context = PreflightContext(now=NOW, **ctx)  # type: ignore[arg-type]
    return preflight_letter(draft, settings or PreflightSettings(), context, key="bericht 1")


def blocking_fields(report) -> list[str]:  # type: ignore[no-untyped-def]
    return [i.field for i in report.blocking]


# --- field limits: exactly at the limit passes, one over is refused, naming field and limit ---


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"onderwerp": "x" * 51}, "Onderwerp", "Onderwerp is 51 tekens; maximaal 50."),
        ({"referentie": "r" * 26}, "Referentie", "Referentie is 26 tekens; maximaal 25."),
        ({"berichttype": "B" * 9}, "BerichtType", "BerichtType is 9 tekens; maximaal 8."),
        (
            {"berichttekst": "t" * 4001},
            "BerichtTekst",
            "BerichtTekst is 4001 tekens; maximaal 4000.",
        ),
        # 3997 characters and one line break: the break counts as the 4 characters \r\n.
        ({"berichttekst": "t" * 3997 + "\n"}, "BerichtTekst", "maximaal 4000 (elke regelovergang"),
        ({"bsn": "999990018"}, "BSN", "elfproef"),
    ],
)
def test_one_over_a_limit_is_refused(changes: dict[str, object], field: str, message: str) -> None:
    report = check(letter(**changes))
    assert not report.passed
    assert field in blocking_fields(report)
    assert any(message in i.message for i in report.blocking)


@pytest.mark.parametrize(
    "changes",
    [
        {"onderwerp": "x" * 50},
        {"onderwerp": "é" * 50},
        {"referentie": "r" * 25},
        {"berichttype": "B" * 8},
        {"berichttekst": "t" * 4000},
        {"berichttekst": "t" * 3996 + "\n"},
    ],
)
def test_exactly_at_a_limit_passes(changes: dict[str, object]) -> None:
    report = check(letter(**changes))
    assert report.passed and not report.issues, report.text()


def test_urls_need_a_space_before_and_after() -> None:
    bad = check(letter(berichttekst="Betaal via:https://betalen.example.nl/123 vandaag"))
    assert "BerichtTekst" in blocking_fields(bad)
    assert "spatie voor en na de link https://betalen.example.nl/123" in bad.blocking[0].message
    good = check(letter(berichttekst="Betaal via https://betalen.example.nl/123 vandaag"))
    assert good.passed


def test_control_characters_are_refused_with_their_position() -> None:
    report = check(letter(onderwerp="Uw\x07aanslag"))
    assert any("(U+0007) op positie 3" in i.message for i in report.blocking)


# --- attachments ---


def test_two_attachments_pass_three_are_refused() -> None:
    two = tuple(AttachmentDraft(f"b{n}.pdf", PDFA_1A) for n in range(2))
    assert check(letter(attachments=two)).passed
    three = tuple(AttachmentDraft(f"b{n}.pdf", PDFA_1A) for n in range(3))
    report = check(letter(attachments=three))
    assert any(i.message == "Er zijn 3 bijlagen; maximaal 2." for i in report.blocking)


def test_pdf_is_recognised_by_content_not_by_name() -> None:
    fake = check(letter(attachments=(AttachmentDraft("brief.pdf", b"Dit is tekst, geen PDF."),)))
    assert any("is geen PDF" in i.message for i in fake.blocking)
    real = check(letter(attachments=(AttachmentDraft("brief.txt", PDFA_1A),)))
    assert real.passed


@pytest.mark.parametrize(
    ("limit", "size", "ok"),
    [
        (500_000, 500_000, True),
        (500_000, 500_001, False),
        (512_000, 512_000, True),
        (512_000, 512_001, False),
    ],
)
def test_attachment_total_limit_is_a_setting(limit: int, size: int, ok: bool) -> None:
    pdf = padded_pdf(size)
    report = check(
        letter(attachments=(AttachmentDraft("groot.pdf", pdf),)),
        PreflightSettings(bijlagen_max_bytes=limit),
    )
    assert report.passed is ok
    if not ok:
        assert any(
            f"maximaal {limit:,} bytes".replace(",", ".") in i.message for i in report.blocking
        )


def test_attachment_limit_counts_both_attachments_together() -> None:
    half = padded_pdf(250_001)
    report = check(
        letter(attachments=(AttachmentDraft("a.pdf", half), AttachmentDraft("b.pdf", half)))
    )
    assert any("samen 500.002 bytes; maximaal 500.000 bytes" in i.message for i in report.blocking)


@pytest.mark.parametrize(
    ("setting", "length", "ok"),
    [(40, 40, True), (40, 41, False), (128, 128, True), (128, 129, False)],
)
def test_omschrijving_limit_is_a_setting(setting: int, length: int, ok: bool) -> None:
    att = AttachmentDraft("a.pdf", PDFA_1A, "o" * length)
    report = check(letter(attachments=(att,)), PreflightSettings(omschrijving_max=setting))
    assert report.passed is ok
    if not ok:
        assert f"is {length} tekens; maximaal {setting}" in report.blocking[0].message


# --- PDF/A ---


@pytest.mark.parametrize(
    ("pdf", "label", "accepted"),
    [
        (make_pdf("1", "A"), "PDF/A-1a", True),
        (make_pdf("2", "A"), "PDF/A-2a", True),
        (make_pdf("2", "A", attr=False), "PDF/A-2a", True),
        (make_pdf("1", "B"), "PDF/A-1b", False),
        (make_pdf("3", "A"), "PDF/A-3a", False),
        (make_pdf("2", "U", attr=False), "PDF/A-2u", False),
        (make_pdf(), "geen PDF/A", False),
    ],
)
def test_pdfa_declaration_is_read_from_the_xmp_metadata(
    pdf: bytes, label: str, accepted: bool
) -> None:
    info = read_pdfa_info(pdf)
    assert (info.label, info.accepted) == (label, accepted)


def test_pdfa_policy_warns_by_default_blocks_when_set_and_can_be_off() -> None:
    draft = letter(attachments=(AttachmentDraft("brief.pdf", make_pdf("1", "B")),))
    warned = check(draft)
    assert warned.passed
    (warning,) = warned.warnings
    assert warning.field == "Bijlagen"
    assert (
        "Bijlage 1 (brief.pdf) is PDF/A-1b; Logius vraagt PDF/A-1a of PDF/A-2a" in warning.message
    )
    blocked = check(draft, PreflightSettings(pdfa=Policy.BLOCK))
    assert not blocked.passed and blocked.blocking[0].message == warning.message
    assert not check(draft, PreflightSettings(pdfa=Policy.OFF)).issues


def test_a_damaged_pdf_is_reported_not_raised() -> None:
    damaged = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    info = pdfa_info(damaged)
    assert not info.accepted and info.problem == "de PDF kon niet worden gelezen"
    report = check(letter(attachments=(AttachmentDraft("kapot.pdf", damaged),)))
    assert (
        report.passed
        and "niet als PDF/A herkend: de PDF kon niet worden gelezen" in report.warnings[0].message
    )


def test_xmp_with_a_doctype_is_refused_by_the_hardened_parser() -> None:
    pdf = make_pdf("1", "A").replace(b"<x:xmpmeta", b"<!DOCTYPE x [<!ENTITY e 'x'>]><x:xmpmeta", 1)
    info = read_pdfa_info(pdf)
    assert not info.accepted


# --- dates ---


def test_publicatiedatum_window_is_thirteen_days_inclusive() -> None:
    assert publicatie_datum_issue(NOW + timedelta(days=13), NOW) is None
    issue = publicatie_datum_issue(NOW + timedelta(days=13, seconds=1), NOW)
    assert issue is not None and issue.field == "PublicatieDatum"
    assert "meer dan 13 dagen na het versturen" in issue.message
    report = check(letter(publicatie_datum=NOW + timedelta(days=14)))
    assert "PublicatieDatum" in blocking_fields(report)
    assert check(letter(publicatie_datum=NOW + timedelta(days=13))).passed


def test_publicatiedatum_without_timezone_is_refused() -> None:
    issue = publicatie_datum_issue(datetime(2026, 12, 1, 9, 0), NOW)
    assert issue is not None and "tijdzone" in issue.message


def test_aanmaakdatum_at_most_thirteen_days_old() -> None:
    assert aanmaak_datum_issue(NOW - timedelta(days=13), NOW) is None
    issue = aanmaak_datum_issue(NOW - timedelta(days=13, seconds=1), NOW)
    assert issue is not None and "meer dan 13 dagen oud" in issue.message
    report = check(letter(), aanmaak_datum=NOW - timedelta(days=14))
    assert "AanmaakDatum" in blocking_fields(report)


# --- berichttype and subscriptions ---


def test_berichttype_unknown_or_inactive_follows_the_policy() -> None:
    known = {"BELAST": True, "NIEUW": False}
    inactive = check(letter(berichttype="NIEUW"), berichttypes=known, environment_label="SIMULATOR")
    assert inactive.passed
    assert "BerichtType NIEUW is niet actief voor SIMULATOR" in inactive.warnings[0].message
    unknown = check(letter(berichttype="ANDERS"), berichttypes=known)
    assert "niet bekend bij deze organisatie" in unknown.warnings[0].message
    strict = PreflightSettings(berichttype_inactive=Policy.BLOCK)
    assert not check(letter(berichttype="NIEUW"), strict, berichttypes=known).passed
    assert check(letter(), strict, berichttypes=known).passed


def test_subscription_snapshot_older_than_seven_days_warns() -> None:
    settings = PreflightSettings()
    fresh = SubscriptionHint(NOW - timedelta(days=7), "subscribed")
    stale = SubscriptionHint(NOW - timedelta(days=7, seconds=1), "subscribed")
    ctx = PreflightContext(now=NOW)
    assert not preflight_letter(letter(), settings, ctx, subscription=fresh).issues
    report = preflight_letter(letter(), settings, ctx, subscription=stale)
    assert report.passed
    assert (
        "zijn 7 dagen oud; Logius vraagt gegevens van ten hoogste 7 dagen"
        in report.warnings[0].message
    )


def test_snapshot_saying_no_digital_post_warns_to_send_on_paper() -> None:
    hint = SubscriptionHint(NOW - timedelta(days=1), "no_box")
    report = preflight_letter(
        letter(), PreflightSettings(), PreflightContext(now=NOW), subscription=hint
    )
    assert report.passed
    assert (
        "geen actieve Berichtenbox" in report.warnings[0].message
        and "per post" in report.warnings[0].message
    )


# --- report and settings ---


def test_report_text_names_every_issue_and_the_verdict() -> None:
    report = check(letter(onderwerp="x" * 51, referentie="r" * 26))
    text = report.text()
    assert text.startswith("bericht 1: Afgekeurd: 2 punten te herstellen")
    assert "[FOUT] Onderwerp: Onderwerp is 51 tekens; maximaal 50." in text
    assert check(letter()).verdict == "Goedgekeurd"


def test_settings_roundtrip_and_bad_values_fall_back_to_defaults() -> None:
    settings = PreflightSettings(
        bijlagen_max_bytes=512_000, omschrijving_max=128, pdfa=Policy.BLOCK
    )
    assert PreflightSettings.from_mapping(settings.as_mapping()) == settings
    odd = PreflightSettings.from_mapping(
        {
            "preflight.bijlagen_max_bytes": "veel",
            "preflight.omschrijving_max": 500,
            "preflight.pdfa": "soms",
        }
    )
    assert odd == PreflightSettings()
