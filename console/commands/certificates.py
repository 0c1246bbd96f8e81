"""Certificates and trust stores: ``cert import|list|show|check|csr|attach|remove`` and
``trust import|list|remove``.

A password is asked with a hidden prompt, or read from standard input with
``--wachtwoord-stdin``; never from the command line, where it would end up in the shell
history and the process list.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from console.commands.common import (
    EXIT_FAIL,
    EXIT_OK,
    EXIT_REFUSED,
    add_json,
    emit,
    jsonable,
    paths_from,
)

_ENVIRONMENTS = ("simulator", "preprod", "productie")


def _open(args: argparse.Namespace) -> Any:
    from console.services.bootstrap import open_workspace

    return open_workspace(paths_from(args), start_engine=False)


def _refuse(args: argparse.Namespace, message: str, code: int = EXIT_REFUSED) -> int:
    if getattr(args, "json", False):
        import json

        print(json.dumps({"refused": True, "message": message}, ensure_ascii=False, indent=2))
    else:
        print(message, file=sys.stderr)
    return code


def _needs_keyring(args: argparse.Namespace, services: Any) -> int | None:
    """A command that stores a key needs a keyring that outlives this command."""
    if services.certificates.keys_persistent:
        return None
    return _refuse(
        args,
        "Er is geen werkende sleutelbos (keyring) van het besturingssysteem. De sleutel zou "
        "alleen in het geheugen van deze opdracht staan en verloren gaan zodra de opdracht "
        "klaar is. Importeer het certificaat in het venster van de console (daar blijft de "
        "sleutel deze sessie bewaard), of zorg voor een werkende sleutelbos (Windows "
        "Referentiebeheer, macOS-sleutelhanger, GNOME Keyring of KWallet).",
    )


def _read_stdin_password() -> str:
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def _summary_lines(c: Any) -> list[str]:
    return [
        f"Certificaat {c.id}: {c.label}",
        f"  OIN:              {c.oin or '(geen)'}"
        + (" (test-OIN)" if c.oin_is_test else "")
        + (f"  LET OP: {c.oin_problem}" if c.oin_problem else ""),
        f"  Geldig:           {c.not_before:%Y-%m-%d} t/m {c.not_after:%Y-%m-%d}"
        f" ({c.status.lower()})",
        f"  Sleutel:          {c.key_type} {c.key_size} bits, "
        + ("in de sleutelbos" if c.key_available else "ONTBREEKT in de sleutelbos"),
        f"  SHA-256:          {c.fingerprint_sha256}",
        f"  Koppelingen:      {', '.join(c.connections) or '(geen)'}",
    ]


# --- cert -----------------------------------------------------------------------------------


def cmd_cert_import(args: argparse.Namespace) -> int:
    from console.services.certificates import IncorrectPassword, PasswordNeeded
    from console.services.errors import ServiceError

    path = Path(args.bestand)
    if not path.is_file():
        return _refuse(args, f"Bestand {path} bestaat niet.")
    data = path.read_bytes()
    services = _open(args)
    try:
        if (refused := _needs_keyring(args, services)) is not None:
            return refused
        password: str | None = _read_stdin_password() if args.wachtwoord_stdin else None
        for attempt in range(3):
            try:
                result = services.certificates.import_file(
                    data,
                    password=password,
                    label=args.naam,
                    connection=args.koppeling,
                    actor="cli",
                )
                break
            except (PasswordNeeded, IncorrectPassword) as exc:
                if args.wachtwoord_stdin or not sys.stdin.isatty() or attempt == 2:
                    hint = (
                        ""
                        if args.wachtwoord_stdin
                        else " Geef het wachtwoord via --wachtwoord-stdin (één regel op "
                        "standaardinvoer)."
                    )
                    return _refuse(args, str(exc) + hint)
                if isinstance(exc, IncorrectPassword):
                    print(str(exc), file=sys.stderr)
                password = getpass.getpass("Wachtwoord van het certificaatbestand: ")
        else:  # pragma: no cover - the loop always breaks or returns
            return EXIT_FAIL
        password = None
        cert = result.certificate
        lines = [
            ("Certificaat geïmporteerd." if result.created else "Certificaat was al bekend.")
            + " De sleutel staat in de sleutelbos, niet in de database.",
            *_summary_lines(cert),
        ]
        if result.completed_request is not None:
            lines.append(f"  Hoort bij aanvraag (CSR) {result.completed_request}.")
        if result.attached_to:
            lines.append(f"  Gekoppeld aan: {', '.join(result.attached_to)}")
        lines += [f"  Let op: {w}" for w in result.warnings]
        emit(args, result, "\n".join(lines))
        return EXIT_OK
    except ServiceError as exc:
        return _refuse(args, str(exc))
    finally:
        services.close()


def cmd_cert_list(args: argparse.Namespace) -> int:
    services = _open(args)
    try:
        certs = services.certificates.certificates()
        pending = services.certificates.requests()
        if not certs:
            text = "Er zijn nog geen certificaten. Importeer er een met 'cert import BESTAND'."
        else:
            text = "\n\n".join("\n".join(_summary_lines(c)) for c in certs)
        if pending:
            text += "\n\nOpenstaande aanvragen (CSR), wachten op het certificaat:\n" + "\n".join(
                f"  {r.id}: {r.subject} ({r.key_description}, {r.created_at:%Y-%m-%d})"
                for r in pending
            )
        emit(args, {"certificates": certs, "requests": pending}, text)
        return EXIT_OK
    finally:
        services.close()


def cmd_cert_show(args: argparse.Namespace) -> int:
    from console.services.errors import ServiceError

    services = _open(args)
    try:
        try:
            d = services.certificates.show(args.certificaat)
        except ServiceError as exc:
            return _refuse(args, str(exc))
        if args.pem:
            print(d.cert_pem, end="")
            return EXIT_OK
        c = d.summary
        lines = _summary_lines(c)
        lines += [
            "  Subject:          " + ", ".join(f"{k}={v}" for k, v in d.subject_fields),
            f"  Uitgever:         {c.issuer}",
            f"  Serienummer:      {d.serial_number}",
            f"  SHA-1:            {d.fingerprint_sha1}",
            f"  Sleutelgebruik:   {', '.join(d.key_usage) or '-'}",
            f"  Uitgebreid:       {', '.join(d.extended_key_usage) or '-'}",
            f"  Soort OIN:        {d.oin_kind}",
        ]
        lines += [f"                    {n}" for n in d.oin_notes]
        lines.append("  Keten:")
        if not d.chain:
            lines.append("    (geen tussenliggende certificaten meegeleverd)")
        for n, entry in enumerate(d.chain, start=1):
            lines.append(
                f"    {n}. {entry.subject}"
                + (" (root)" if entry.is_root else "")
                + f", geldig tot {entry.not_after:%Y-%m-%d}"
            )
        lines += [f"  Probleem: {p}" for p in d.problems]
        emit(args, d, "\n".join(lines))
        return EXIT_OK
    finally:
        services.close()


def cmd_cert_check(args: argparse.Namespace) -> int:
    from console.services.errors import ServiceError

    services = _open(args)
    try:
        try:
            reports = (
                [services.certificates.check_connection(args.koppeling)]
                if args.koppeling
                else services.certificates.check_all()
            )
        except ServiceError as exc:
            return _refuse(args, str(exc))
        lines: list[str] = []
        for r in reports:
            lines.append(
                f"Koppeling {r.connection_name} ({r.environment.label}): "
                + ("in orde" if r.ok else "KAN NIET VERSTUREN")
            )
            lines.append(
                f"  OIN certificaat {r.oin_certificate or '-'} · eigenaar {r.oin_owner} · "
                f"CPA {r.oin_cpa}"
                + (f" · nog {r.days_left} dagen" if r.days_left is not None else "")
            )
            for issue in r.issues:
                mark = "FOUT" if issue.blocking else "let op"
                code = f" [{issue.logius_code}]" if issue.logius_code else ""
                lines.append(f"  - {mark}{code}: {issue.message}")
        data = [{**jsonable(r), "ok": r.ok} for r in reports]
        emit(args, data, "\n".join(lines) or "Er zijn geen koppelingen.")
        return EXIT_OK if all(r.ok for r in reports) else EXIT_REFUSED
    finally:
        services.close()


def cmd_cert_csr(args: argparse.Namespace) -> int:
    from console.services.errors import ServiceError

    services = _open(args)
    try:
        if (refused := _needs_keyring(args, services)) is not None:
            return refused
        try:
            result = services.certificates.create_request(
                connection=args.koppeling,
                oin=args.oin,
                organisation=args.organisatie,
                common_name=args.naam,
                key_spec=args.sleutel,
                actor="cli",
            )
        except ServiceError as exc:
            return _refuse(args, str(exc))
        target = Path(args.uit) if args.uit else None
        if target is not None:
            target.write_text(result.csr_pem, encoding="ascii")
        lines = [
            f"Nieuwe sleutel ({result.key_description}) gemaakt en in de sleutelbos gezet.",
            f"Aanvraag {result.request_id}: {result.subject}",
        ]
        if target is not None:
            lines.append(
                f"De CSR staat in {target}. Stuur dit bestand naar uw certificaatleverancier."
            )
        else:
            lines.append("Stuur de CSR hieronder naar uw certificaatleverancier:")
            lines.append(result.csr_pem.rstrip())
        lines.append(
            "Importeer het certificaat dat u terugkrijgt met 'cert import BESTAND': het wordt "
            "dan aan deze sleutel gekoppeld"
            + (f" en aan koppeling {result.connection_name}." if result.connection_name else ".")
        )
        emit(args, result, "\n".join(lines))
        return EXIT_OK
    finally:
        services.close()


def cmd_cert_attach(args: argparse.Namespace) -> int:
    from console.services.errors import ServiceError

    services = _open(args)
    try:
        try:
            report = services.certificates.attach(args.certificaat, args.koppeling)
        except ServiceError as exc:
            return _refuse(args, str(exc))
        lines = [f"Certificaat gekoppeld aan {report.connection_name}."]
        lines += [f"  - {'FOUT' if i.blocking else 'let op'}: {i.message}" for i in report.issues]
        emit(args, {**jsonable(report), "ok": report.ok}, "\n".join(lines))
        return EXIT_OK if report.ok else EXIT_REFUSED
    finally:
        services.close()


def cmd_cert_remove(args: argparse.Namespace) -> int:
    from console.services.errors import ServiceError

    services = _open(args)
    try:
        try:
            removed = services.certificates.remove(args.certificaat)
        except ServiceError as exc:
            return _refuse(args, str(exc))
        emit(args, removed, f"Certificaat {removed.id} ({removed.label}) is verwijderd.")
        return EXIT_OK
    finally:
        services.close()


# --- trust ----------------------------------------------------------------------------------


def _anchor_line(a: Any) -> str:
    return (
        f"  {a.id}: [{a.environment.label}] {a.label}\n"
        f"      uitgever {a.issuer}\n"
        f"      geldig tot {a.not_after:%Y-%m-%d} · SHA-256 {a.fingerprint_sha256}"
    )


def cmd_trust_import(args: argparse.Namespace) -> int:
    from console.services.errors import ServiceError

    path = Path(args.bestand)
    if not path.is_file():
        return _refuse(args, f"Bestand {path} bestaat niet.")
    services = _open(args)
    try:
        try:
            result = services.certificates.trust_import(
                args.omgeving, path.read_bytes(), label=args.naam
            )
        except ServiceError as exc:
            return _refuse(args, str(exc))
        lines = [f"Trust store {args.omgeving.upper()}:"]
        lines += [_anchor_line(a) + "  (toegevoegd)" for a in result.added]
        lines += [_anchor_line(a) + "  (stond er al)" for a in result.already_present]
        lines += [f"  Let op: {w}" for w in result.warnings]
        emit(args, result, "\n".join(lines))
        return EXIT_OK
    finally:
        services.close()


def cmd_trust_list(args: argparse.Namespace) -> int:
    services = _open(args)
    try:
        anchors = services.certificates.trust_list(args.omgeving)
        text = (
            "Vertrouwde servercertificaten:\n" + "\n".join(_anchor_line(a) for a in anchors)
            if anchors
            else "De trust store is leeg."
        )
        emit(args, anchors, text)
        return EXIT_OK
    finally:
        services.close()


def cmd_trust_remove(args: argparse.Namespace) -> int:
    from console.services.errors import ServiceError

    services = _open(args)
    try:
        try:
            removed = services.certificates.trust_remove(args.certificaat)
        except ServiceError as exc:
            return _refuse(args, str(exc))
        emit(
            args,
            removed,
            f"{removed.label} is uit de trust store van {removed.environment.label} verwijderd.",
        )
        return EXIT_OK
    finally:
        services.close()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cert = sub.add_parser("cert", help="clientcertificaten (PKIoverheid)")
    csub = cert.add_subparsers(dest="cert_command", metavar="opdracht", required=True)

    imp = add_json(
        csub.add_parser(
            "import",
            help="importeer een certificaat met sleutel (.p12/.pfx/.pem) of een uitgegeven certificaat",
            description="Importeer een clientcertificaat. De sleutel gaat naar de sleutelbos "
            "van het besturingssysteem, nooit naar de database. Een wachtwoord wordt "
            "gevraagd als het nodig is; geef het nooit op de opdrachtregel.",
        )
    )
    imp.add_argument("bestand", metavar="BESTAND")
    imp.add_argument("--naam", help="naam voor het certificaat in de console")
    imp.add_argument("--koppeling", help="gebruik het certificaat voor deze koppeling")
    imp.add_argument(
        "--wachtwoord-stdin",
        action="store_true",
        help="lees het wachtwoord van het bestand als één regel van standaardinvoer",
    )
    imp.set_defaults(func=cmd_cert_import)

    add_json(
        csub.add_parser("list", help="alle certificaten en openstaande aanvragen")
    ).set_defaults(func=cmd_cert_list)

    show = add_json(csub.add_parser("show", help="alles over één certificaat"))
    show.add_argument("certificaat", metavar="CERTIFICAAT", help="nummer, naam of vingerafdruk")
    show.add_argument("--pem", action="store_true", help="toon het certificaat met keten als PEM")
    show.set_defaults(func=cmd_cert_show)

    check = add_json(
        csub.add_parser(
            "check", help="controleer OIN, geldigheid en sleutel per koppeling (vóór verzenden)"
        )
    )
    check.add_argument("koppeling", nargs="?", metavar="KOPPELING")
    check.set_defaults(func=cmd_cert_check)

    csr = add_json(
        csub.add_parser(
            "csr",
            help="nieuwe sleutel (in de sleutelbos) en certificaataanvraag (CSR) met het OIN",
        )
    )
    csr.add_argument("--koppeling", help="vernieuw het certificaat van deze koppeling")
    csr.add_argument("--oin", help="OIN in het subject serialNumber (standaard: van de koppeling)")
    csr.add_argument("--organisatie", help="organisatienaam (O)")
    csr.add_argument("--naam", help="naam (CN), bijvoorbeeld de hostnaam")
    csr.add_argument(
        "--sleutel",
        default="rsa3072",
        choices=("rsa2048", "rsa3072", "rsa4096", "ec256", "ec384"),
        help="sleuteltype (standaard rsa3072)",
    )
    csr.add_argument("--uit", metavar="BESTAND.csr", help="schrijf de CSR naar dit bestand")
    csr.set_defaults(func=cmd_cert_csr)

    attach = add_json(csub.add_parser("attach", help="gebruik een certificaat voor een koppeling"))
    attach.add_argument("certificaat", metavar="CERTIFICAAT")
    attach.add_argument("--koppeling", required=True)
    attach.set_defaults(func=cmd_cert_attach)

    remove = add_json(csub.add_parser("remove", help="verwijder een ongebruikt certificaat"))
    remove.add_argument("certificaat", metavar="CERTIFICAAT")
    remove.set_defaults(func=cmd_cert_remove)

    trust = sub.add_parser("trust", help="trust stores: vertrouwde servercertificaten per omgeving")
    tsub = trust.add_subparsers(dest="trust_command", metavar="opdracht", required=True)
    timp = add_json(tsub.add_parser("import", help="vertrouw de certificaten in een bestand"))
    timp.add_argument("bestand", metavar="BESTAND")
    timp.add_argument("--omgeving", required=True, choices=_ENVIRONMENTS)
    timp.add_argument("--naam", help="naam (bij één certificaat)")
    timp.set_defaults(func=cmd_trust_import)
    tlist = add_json(tsub.add_parser("list", help="toon de vertrouwde certificaten"))
    tlist.add_argument("--omgeving", choices=_ENVIRONMENTS)
    tlist.set_defaults(func=cmd_trust_list)
    tremove = add_json(tsub.add_parser("remove", help="verwijder een vertrouwd certificaat"))
    tremove.add_argument("certificaat", metavar="NUMMER|VINGERAFDRUK")
    tremove.set_defaults(func=cmd_trust_remove)
