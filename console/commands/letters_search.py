"""Message-log commands: ``letters search``, ``letters show ID``, ``letters export``, and the
evidence pack, bulk actions and BSN lookup log (all with ``--json``).

They hang under the ``letters`` command of ``letters_preflight`` (created here if absent).
The engine is not started: these commands only read (or queue work the engine picks up).
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from console.commands.common import EXIT_OK, EXIT_REFUSED, add_json, emit, paths_from

DEFAULT_LIMIT = 50


def _services(args: argparse.Namespace) -> Any:
    from console.services.bootstrap import open_workspace

    return open_workspace(paths_from(args), start_engine=False)


def _refused(args: argparse.Namespace, message: str) -> int:
    emit(args, {"refused": True, "message": message}, message)
    return EXIT_REFUSED


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{value}' is geen datum; gebruik JJJJ-MM-DD, bijvoorbeeld 2026-11-28."
        ) from None


def _query(args: argparse.Namespace, services: Any) -> Any:
    from console.domain.lifecycle import LetterStatus
    from console.services.dto import LetterQuery
    from console.services.monitoring import local_day_bounds

    status = LetterStatus(args.status) if args.status else None
    organisation_id = None
    if args.organisatie:
        match = [
            o
            for o in services.workspace.status().organisations
            if args.organisatie in (o.oin, o.name, str(o.id))
        ]
        if not match:
            raise LookupError(f"Organisatie {args.organisatie} hoort niet bij deze koppeling.")
        organisation_id = match[0].id
    created_from = local_day_bounds(args.van)[0] if args.van else None
    created_to = local_day_bounds(args.tot)[1] if args.tot else None
    return LetterQuery(
        search=(args.zoek or "").strip() or (args.bsn or ""),
        status=status,
        verwerkings_code=args.code,
        organisation_id=organisation_id,
        berichttype=args.berichttype,
        referentie=args.referentie,
        batch_or_bericht_id=args.batch or args.bericht,
        created_from=created_from,
        created_to=created_to,
        no_result_hours=args.zonder_resultaat_na,
        sort_key=args.sorteer,
        descending=not args.oplopend,
    )


def _add_filters(p: argparse.ArgumentParser) -> None:
    from console.domain.lifecycle import LetterStatus
    from console.services.dto import LetterQuery

    p.add_argument(
        "--zoek", help="wat u in het zoekveld zou typen (BSN, GUID, referentie, onderwerp)"
    )
    p.add_argument("--bsn", help="precies dit BSN (wordt vastgelegd in het inzagelog)")
    p.add_argument("--referentie", help="precies deze referentie (hoofdletters tellen niet)")
    p.add_argument("--berichttype")
    p.add_argument("--organisatie", help="OIN, naam of nummer van de organisatie")
    p.add_argument("--batch", metavar="BATCHID")
    p.add_argument("--bericht", metavar="BERICHTID")
    p.add_argument("--status", choices=[s.value for s in LetterStatus])
    p.add_argument("--code", metavar="VERWERKINGSCODE")
    p.add_argument("--van", type=_day, metavar="JJJJ-MM-DD", help="aangemaakt vanaf deze dag")
    p.add_argument("--tot", type=_day, metavar="JJJJ-MM-DD", help="aangemaakt tot en met deze dag")
    p.add_argument(
        "--zonder-resultaat-na",
        type=int,
        metavar="UREN",
        help="ontvangen door Logius en na zoveel uur nog geen resultaat",
    )
    p.add_argument("--sorteer", choices=LetterQuery.SORT_KEYS, default="created_at")
    p.add_argument("--oplopend", action="store_true", help="oudste (of A) eerst")


def _row_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "created_at": row.created_at.isoformat(),
        "organisation": row.organisation_name,
        "berichttype": row.berichttype,
        "bsn": row.bsn_masked,
        "onderwerp": row.onderwerp,
        "referentie": row.referentie,
        "status": row.status.value,
        "status_label": row.status_label,
        "verwerkings_code": row.verwerkings_code,
        "explanation": row.explanation,
        "batch_id": row.batch_id,
        "bericht_id": row.bericht_id,
    }


def cmd_search(args: argparse.Namespace) -> int:
    services = _services(args)
    try:
        try:
            query = _query(args, services)
        except LookupError as exc:
            return _refused(args, str(exc))
        total, first = services.letters.first_ids(query, args.limiet)
        rows = services.letters.rows(list(first[: args.limiet]))
        if query.search.isdigit() and len(query.search) == 9 and services.privacy is not None:
            services.privacy.record_search(query.search, matches=total, channel="opdrachtregel")
        data = {"total": total, "shown": len(rows), "letters": [_row_json(r) for r in rows]}
        lines = [f"{total} bericht(en) gevonden" + (f", de eerste {len(rows)}:" if rows else ".")]
        for r in rows:
            lines.append(
                f"{r.id:>9}  {r.created_at.astimezone():%d-%m-%Y %H:%M}  {r.bsn_masked}  "
                f"{r.berichttype:<8}  {r.status_label:<28}  {r.referentie}  {r.onderwerp}"
            )
        emit(args, data, "\n".join(lines))
        return EXIT_OK
    finally:
        services.close()


def cmd_show(args: argparse.Namespace) -> int:
    from console.services.errors import NotFound

    services = _services(args)
    try:
        try:
            detail = services.letters.detail(args.id)
        except NotFound as exc:
            return _refused(args, str(exc))
        data = {
            **_row_json(detail.row),
            "next_step": detail.next_step,
            "message_ids": list(detail.message_ids),
            "timeline": [
                {
                    "at": e.at.isoformat(),
                    "kind": e.kind,
                    "title": e.title,
                    "detail": e.detail,
                    "code": e.code,
                    "actor": e.actor,
                    "raw_ref": e.raw_ref,
                }
                for e in detail.timeline
            ],
        }
        if args.xml:
            data["raw"] = {
                str(ref): services.letters.raw_exchange(ref)
                for ref in dict.fromkeys(e.raw_ref for e in detail.timeline if e.raw_ref)
            }
        r = detail.row
        lines = [
            f"Bericht {r.id}: {r.onderwerp}",
            f"  Status:     {r.status_label}"
            + (f" ({r.verwerkings_code})" if r.verwerkings_code else ""),
            f"  Uitleg:     {r.explanation}",
            f"  Wat nu:     {detail.next_step}",
            f"  BSN:        {r.bsn_masked}",
            f"  BerichtID:  {r.bericht_id}",
            f"  BatchID:    {r.batch_id or '-'}",
            f"  Referentie: {r.referentie or '-'}",
            "",
            "Verloop:",
        ]
        for e in detail.timeline:
            code = f" [{e.code}]" if e.code else ""
            lines.append(f"  {e.at.astimezone():%d-%m-%Y %H:%M:%S}  {e.title}{code}")
            if e.detail:
                lines.append(f"      {e.detail}")
        if args.xml:
            for ref, text in data["raw"].items():
                lines += ["", f"--- uitwisseling {ref} ---", text]
        emit(args, data, "\n".join(lines))
        return EXIT_OK
    finally:
        services.close()


def cmd_export(args: argparse.Namespace) -> int:
    from console.services.errors import ServiceError
    from console.services.export import ExportRequest, format_for

    services = _services(args)
    try:
        try:
            query = _query(args, services)
            path = Path(args.bestand).expanduser().resolve()
            request = ExportRequest(
                path=path,
                format=format_for(path),
                query=query,
                full_bsn=args.volledig_bsn,
                reason=args.reden or "",
            )
            result = services.exports.export(request)
        except (LookupError, ServiceError) as exc:
            return _refused(args, str(exc))
        emit(
            args,
            {
                "path": str(result.path),
                "rows": result.rows,
                "format": result.format.value,
                "full_bsn": result.full_bsn,
            },
            result.text,
        )
        return EXIT_OK
    finally:
        services.close()


def cmd_evidence(args: argparse.Namespace) -> int:
    from console.services.errors import ServiceError

    services = _services(args)
    try:
        try:
            pack = services.evidence.build(
                args.id,
                Path(args.map).expanduser().resolve(),
                full_bsn=args.volledig_bsn,
                reason=args.reden or "",
            )
        except ServiceError as exc:
            return _refused(args, str(exc))
        emit(
            args,
            {
                "pdf": str(pack.pdf_path),
                "zip": str(pack.zip_path),
                "pdf_sha256": pack.pdf_sha256,
                "zip_sha256": pack.zip_sha256,
                "raw_files": [{"name": f.name, "sha256": f.sha256} for f in pack.raw_files],
            },
            f"{pack.text}\n  {pack.pdf_path}\n  {pack.zip_path}",
        )
        return EXIT_OK
    finally:
        services.close()


def cmd_bulk(args: argparse.Namespace) -> int:
    from console.services.errors import ServiceError

    services = _services(args)
    try:
        try:
            query = _query(args, services)
            ids = tuple(services.bulk.selection(query))
            action = "resend" if args.letters_command == "bulk-resend" else "paper"
            preview = (
                services.bulk.preview_resend(ids)
                if action == "resend"
                else services.bulk.preview_paper(ids)
            )
            data: dict[str, Any] = {
                "action": action,
                "total": preview.total,
                "allowed": len(preview.allowed_ids),
                "refused": [{"reason": r, "count": n} for r, n in preview.refused],
                "executed": False,
            }
            lines = [preview.summary] + [f"  {n} x niet: {r}" for r, n in preview.refused]
            if preview.rule:
                lines.append(preview.rule)
            if args.uitvoeren:
                user = services.privacy.user if services.privacy is not None else "cli"
                if action == "resend":
                    outcome = services.bulk.resend(
                        preview.allowed_ids, cause_fixed=args.oorzaak_hersteld, actor=user
                    )
                else:
                    outcome = services.bulk.mark_paper(
                        preview.allowed_ids, confirmed=True, actor=user
                    )
                data.update(executed=True, done=len(outcome.done), skipped=outcome.skipped)
                lines.append(outcome.text)
            else:
                lines.append("Dit was een voorbeeld; voeg --uitvoeren toe om het te doen.")
        except (LookupError, ServiceError) as exc:
            return _refused(args, str(exc))
        emit(args, data, "\n".join(lines))
        return EXIT_OK
    finally:
        services.close()


def cmd_lookups(args: argparse.Namespace) -> int:
    from console.services.errors import ServiceError

    services = _services(args)
    try:
        try:
            if args.toevoegen or args.verwijderen:
                current = set(services.privacy.administrators())
                names = (current | set(args.toevoegen or [])) - set(args.verwijderen or [])
                services.privacy.set_administrators(sorted(names))
            access = services.privacy.lookup_access()
            rows = services.privacy.lookups(bsn=args.bsn)
        except ServiceError as exc:
            return _refused(args, str(exc))
        data = {
            "administrators": list(services.privacy.administrators()),
            "note": access.note,
            "lookups": [
                {
                    "at": r.at.isoformat(),
                    "actor": r.actor,
                    "kind": r.kind,
                    "bsn": r.bsn,
                    "letter_id": r.letter_id,
                    "letter_count": r.letter_count,
                    "reason": r.reason,
                    "detail": r.detail,
                }
                for r in rows
            ],
        }
        lines = [access.note, ""]
        for r in rows:
            who = r.bsn or f"{r.letter_count} berichten"
            lines.append(
                f"{r.at.astimezone():%d-%m-%Y %H:%M:%S}  {r.actor:<12} {r.kind_label:<28} {who}  {r.reason}"
            )
        emit(args, data, "\n".join(lines))
        return EXIT_OK
    finally:
        services.close()


def _letters_subparsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """The sub-commands of ``letters`` (the parser may already exist: letters_preflight)."""
    parser = sub.choices.get("letters")
    if parser is None:
        parser = sub.add_parser("letters", help="berichten")
        return parser.add_subparsers(dest="letters_command", metavar="opdracht", required=True)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest="letters_command", metavar="opdracht", required=True)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    lsub = _letters_subparsers(sub)

    search = add_json(
        lsub.add_parser(
            "search",
            help="zoek berichten (BSN, referentie, berichttype, batch, datum, status, code)",
            description="Zoek in het berichtenlog. BSN's worden afgeschermd getoond.",
        )
    )
    _add_filters(search)
    search.add_argument("--limiet", type=int, default=DEFAULT_LIMIT, help="hoeveel berichten tonen")
    search.set_defaults(func=cmd_search)

    show = add_json(lsub.add_parser("show", help="het hele verloop van één bericht"))
    show.add_argument("id", type=int)
    show.add_argument("--xml", action="store_true", help="ook de ruwe uitwisselingen (XML)")
    show.set_defaults(func=cmd_show)

    export = add_json(
        lsub.add_parser("export", help="exporteer de gevonden berichten (CSV of XLSX)")
    )
    _add_filters(export)
    export.add_argument("--bestand", required=True, help="doelbestand, eindigend op .csv of .xlsx")
    export.add_argument("--volledig-bsn", action="store_true", help="BSN's niet afschermen")
    export.add_argument("--reden", help="verplicht bij --volledig-bsn (inzagelog)")
    export.set_defaults(func=cmd_export)

    evidence = add_json(
        lsub.add_parser(
            "evidence", help="bewijsstuk (PDF en zip met ruwe berichten) van één bericht"
        )
    )
    evidence.add_argument("id", type=int)
    evidence.add_argument("--map", required=True, help="map waarin de twee bestanden komen")
    evidence.add_argument("--volledig-bsn", action="store_true")
    evidence.add_argument("--reden")
    evidence.set_defaults(func=cmd_evidence)

    for name, text in (
        ("bulk-resend", "verstuur gefilterde berichten opnieuw (zelfde BatchID en BerichtID)"),
        ("bulk-paper", "markeer gefilterde berichten voor verzending per post"),
    ):
        bulk = add_json(lsub.add_parser(name, help=text))
        _add_filters(bulk)
        bulk.add_argument("--uitvoeren", action="store_true", help="echt doen (anders voorbeeld)")
        if name == "bulk-resend":
            bulk.add_argument(
                "--oorzaak-hersteld",
                action="store_true",
                help="bevestig dat de oorzaak is hersteld",
            )
        bulk.set_defaults(func=cmd_bulk)

    lookups = add_json(
        lsub.add_parser("bsn-log", help="inzagelog: wie welk BSN bekeek (beheerders)")
    )
    lookups.add_argument("--bsn", help="alleen dit BSN")
    lookups.add_argument("--toevoegen", action="append", metavar="NAAM", help="beheerder toevoegen")
    lookups.add_argument(
        "--verwijderen", action="append", metavar="NAAM", help="beheerder verwijderen"
    )
    lookups.set_defaults(func=cmd_lookups)
