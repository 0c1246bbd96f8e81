from __future__ import annotations

import pytest

from console.domain.letter import (
    AttachmentDraft,
    LetterDraft,
    LetterLimits,
    decode_line_breaks,
    encode_line_breaks,
    is_pdf,
    space_urls,
    unspaced_urls,
    validate_letter,
)

PDF = b"%PDF-1.7\n%\xe2\xe3\n1 0 obj<<>>endobj\n%%EOF"


def draft(**kw: object) -> LetterDraft:
    base: dict[str, object] = {"bsn": "999990019", "berichttype": "BELAST", "onderwerp": "Aanslag"}
    base.update(kw)
    return LetterDraft(**base)  # type: ignore[arg-type]


def messages(d: LetterDraft, limits: LetterLimits | None = None) -> list[str]:
    return [i.message for i in validate_letter(d, limits) if i.blocking]


def test_valid_letter_has_no_issues() -> None:
    assert validate_letter(draft()) == []


@pytest.mark.parametrize(
    ("field", "limit"),
    [("onderwerp", 50), ("referentie", 25), ("berichttype", 8)],
)
def test_exact_limit_passes_and_one_over_is_refused(field: str, limit: int) -> None:
    assert messages(draft(**{field: "x" * limit})) == []
    label = {"onderwerp": "Onderwerp", "referentie": "Referentie", "berichttype": "BerichtType"}[
        field
    ]
    assert messages(draft(**{field: "x" * (limit + 1)})) == [
        f"{label} is {limit + 1} tekens; maximaal {limit}."
    ]


def test_required_fields() -> None:
    msgs = messages(draft(onderwerp="  ", berichttype=""))
    assert "Onderwerp is verplicht." in msgs
    assert "BerichtType is verplicht." in msgs


def test_body_counts_encoded_line_breaks() -> None:
    # 3996 characters plus one line break: 3997 characters typed, 4000 encoded.
    ok = "a" * 1998 + "\n" + "b" * 1998
    assert len(encode_line_breaks(ok)) == 4000
    assert messages(draft(berichttekst=ok)) == []
    over = "a" * 1998 + "\n" + "b" * 1999
    (msg,) = messages(draft(berichttekst=over))
    assert "4001 tekens; maximaal 4000" in msg and "\\r\\n" in msg


def test_line_breaks_are_the_literal_four_characters() -> None:
    assert encode_line_breaks("a\r\nb\nc\rd") == "a\\r\\nb\\r\\nc\\r\\nd"
    assert decode_line_breaks("a\\r\\nb") == "a\nb"


def test_urls_need_a_space_before_and_after() -> None:
    text = "Betaal via:https://betalen.voorbeeld.nl/?ref=123 of bel."
    assert unspaced_urls(text) == ["https://betalen.voorbeeld.nl/?ref=123"]
    (msg,) = messages(draft(berichttekst=text))
    assert "spatie voor en na de link" in msg
    fixed = space_urls(text)
    assert unspaced_urls(fixed) == []
    assert " https://betalen.voorbeeld.nl/?ref=123 " in fixed


def test_url_at_end_of_sentence_keeps_its_full_stop_outside() -> None:
    assert space_urls("Zie https://x.nl/a.") == "Zie https://x.nl/a ."


def test_invalid_bsn_is_named() -> None:
    assert any("elfproef" in m for m in messages(draft(bsn="123456789")))


def test_pdf_by_content_not_by_name() -> None:
    assert is_pdf(PDF)
    fake = AttachmentDraft("brief.pdf", b"PK\x03\x04 not a pdf")
    (msg,) = messages(draft(attachments=(fake,)))
    assert "geen PDF" in msg and "brief.pdf" in msg


def test_at_most_two_attachments() -> None:
    atts = tuple(AttachmentDraft(f"b{i}.pdf", PDF) for i in range(3))
    assert "Er zijn 3 bijlagen; maximaal 2." in messages(draft(attachments=atts))


def test_attachment_size_limit_is_a_setting() -> None:
    exactly = PDF + b"0" * (500_000 - len(PDF))
    assert messages(draft(attachments=(AttachmentDraft("a.pdf", exactly),))) == []
    over = exactly + b"0"
    (msg,) = messages(draft(attachments=(AttachmentDraft("a.pdf", over),)))
    assert "500.001 bytes; maximaal 500.000 bytes" in msg
    assert (
        messages(
            draft(attachments=(AttachmentDraft("a.pdf", over),)),
            LetterLimits(bijlagen_max_bytes=512_000),
        )
        == []
    )


def test_omschrijving_length_is_a_setting() -> None:
    att = AttachmentDraft("a.pdf", PDF, omschrijving="x" * 41)
    (msg,) = messages(draft(attachments=(att,)))
    assert "41 tekens; maximaal 40" in msg
    assert messages(draft(attachments=(att,)), LetterLimits(omschrijving_max=128)) == []


def test_empty_attachment_is_refused() -> None:
    (msg,) = messages(draft(attachments=(AttachmentDraft("leeg.pdf", b""),)))
    assert "leeg" in msg
