"""Letter commands: ``send-test``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from console.commands.common import (
    EXIT_OK,
    EXIT_TIMEOUT,
    add_json,
    emit,
    paths_from,
    refuse,
)


def cmd_send_test(args: argparse.Namespace) -> int:
    from console.domain.letter import AttachmentDraft, LetterDraft
    from console.services.bootstrap import open_workspace
    from console.services.errors import ServiceError

    attachments: list[AttachmentDraft] = []
    for path in args.bijlage or []:
        p = Path(path)
        if not p.is_file():
            return refuse(args, [f"Bijlage {p} bestaat niet."])
        attachments.append(AttachmentDraft(p.name, p.read_bytes()))
    draft = LetterDraft(
        bsn=args.bsn,
        berichttype=args.berichttype,
        onderwerp=args.onderwerp,
        berichttekst=(args.tekst or "").replace("\\n", "\n"),
        referentie=args.referentie or "",
        attachments=tuple(attachments),
    )
    services = open_workspace(paths_from(args), start_engine=True)
    try:
        status = services.workspace.status()
        org_id = status.organisation_id
        if args.organisatie:
            match = [o for o in status.organisations if args.organisatie in (o.oin, o.name)]
            if not match:
                return refuse(
                    args,
                    [
                        f"Organisatie {args.organisatie} hoort niet bij koppeling {status.connection_name}."
                    ],
                )
            org_id = match[0].id
        if org_id is None:
            return refuse(args, ["Er is geen organisatie ingesteld."])
        try:
            submitted = services.letters.submit(draft, org_id, actor="cli")
        except ServiceError as exc:
            issues = getattr(exc, "issues", None)
            return refuse(args, [i.message for i in issues if i.blocking] if issues else [str(exc)])
        detail = services.letters.detail(submitted.letter_id)
        if args.wait:
            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline:
                detail = services.letters.detail(submitted.letter_id)
                if detail.row.status.value in _FINAL:
                    break
                time.sleep(0.2)
            else:
                emit(
                    args,
                    _letter_json(detail, timed_out=True),
                    _letter_text(detail) + "\nNog geen resultaat binnen de wachttijd.",
                )
                return EXIT_TIMEOUT
        else:
            # Give the engine a moment to hand the batch over; the outbox keeps it otherwise.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and detail.row.status.value == "queued":
                time.sleep(0.2)
                detail = services.letters.detail(submitted.letter_id)
        emit(args, _letter_json(detail), _letter_text(detail))
        return EXIT_OK
    finally:
        services.close()


_FINAL = {"delivered", "not_subscribed", "rejected", "duplicate", "failed", "expired", "paper"}


def _letter_json(detail: Any, *, timed_out: bool = False) -> dict[str, Any]:
    r = detail.row
    return {
        "letter_id": r.id,
        "batch_id": r.batch_id,
        "bericht_id": r.bericht_id,
        "status": r.status.value,
        "status_label": r.status_label,
        "verwerkings_code": r.verwerkings_code,
        "explanation": r.explanation,
        "next_step": detail.next_step,
        "timed_out": timed_out,
    }


def _letter_text(detail: Any) -> str:
    r = detail.row
    lines = [
        f"Bericht {r.id}",
        f"  BerichtID:        {r.bericht_id}",
        f"  BatchID:          {r.batch_id or '-'}",
        f"  Status:           {r.status_label}",
        f"  Verwerkingscode:  {r.verwerkings_code or '-'}",
        f"  Uitleg:           {r.explanation}",
    ]
    if detail.next_step:
        lines.append(f"  Volgende stap:    {detail.next_step}")
    return "\n".join(lines)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = add_json(
        sub.add_parser(
            "send-test",
            help="verstuur één testbericht via de actieve koppeling",
            description="Verstuur één testbericht via de actieve koppeling.",
        )
    )
    p.set_defaults(func=cmd_send_test)
    p.add_argument("--bsn", required=True)
    p.add_argument("--berichttype", required=True)
    p.add_argument("--onderwerp", required=True)
    p.add_argument("--tekst", help="berichttekst; \\n wordt een regelovergang")
    p.add_argument("--referentie")
    p.add_argument(
        "--bijlage", action="append", metavar="BESTAND.pdf", help="PDF-bijlage (maximaal 2)"
    )
    p.add_argument("--organisatie", help="OIN of naam van de organisatie (bij een intermediair)")
    p.add_argument("--wait", action="store_true", help="wacht op het resultaat van MijnOverheid")
    p.add_argument("--timeout", type=float, default=120.0, help="maximale wachttijd in seconden")
