"""The console's printed reports (the evidence pack, the onboarding report): one house style.

reportlab is imported when a report is made, not when the console starts.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

MARGIN_MM = 18


@dataclass(frozen=True, slots=True)
class ReportStyle:
    """Paragraph styles, the table grid and the text width of an A4 report."""

    body: Any
    small: Any
    mono: Any
    h1: Any
    h2: Any
    h3: Any
    grid: Any
    width: float

    def p(self, text: str, style: Any = None) -> Any:
        """A paragraph of plain text (escaped; line breaks kept)."""
        from reportlab.platypus import Paragraph

        return Paragraph(escape(text).replace("\n", "<br/>"), style or self.body)

    def table(self, rows: Sequence[Sequence[Any]], widths: Sequence[float], **kw: Any) -> Any:
        from reportlab.platypus import Table

        table = Table([list(r) for r in rows], colWidths=list(widths), **kw)
        table.setStyle(self.grid)
        return table


def report_style() -> ReportStyle:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import TableStyle

    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=9, leading=12)
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5, textColor="#4A525E")
    return ReportStyle(
        body=body,
        small=small,
        mono=ParagraphStyle("mono", parent=small, fontName="Courier"),
        h1=ParagraphStyle("h1", parent=styles["Heading1"], fontSize=16, spaceAfter=4),
        h2=ParagraphStyle("h2", parent=styles["Heading2"], fontSize=12, spaceBefore=10),
        h3=ParagraphStyle("h3", parent=styles["Heading3"], fontSize=10, spaceBefore=6),
        grid=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#C9CED6")),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        ),
        width=A4[0] - 2 * MARGIN_MM * mm,
    )


def build_pdf(flow: Sequence[Any], *, title: str, subject: str, footer: str) -> bytes:
    """The A4 PDF of *flow*, with "*footer* - pagina N" at the foot of every page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    def draw_footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(MARGIN_MM * mm, 10 * mm, f"{footer} - pagina {doc.page}")
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_MM * mm,
        rightMargin=MARGIN_MM * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=title,
        author="Berichtenbox console",
        subject=subject,
        creator="Berichtenbox console",
    )
    doc.build(list(flow), onFirstPage=draw_footer, onLaterPages=draw_footer)
    return buffer.getvalue()
