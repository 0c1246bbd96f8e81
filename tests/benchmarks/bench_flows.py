"""Configuration at the size of a large tax cooperation: drift check, config export and import.

Workload: the demo workspace plus ORGS extra organisations (each with 5 berichttypes and 3 flows
with one template), and LETTERS letters of which 1 % still wait (queued). Three clocks:

- *organisaties*, *berichtstromen*: what the two pages load (``list_all``);
- *drift*: ``BerichtTypeService.drift()`` over every flow and the waiting letters (it runs
  each time the Stromen page opens);
- *export*: ``ConfigTransferService.export()`` of the whole configuration;
- *preview* and *apply*: importing that file into an empty database (first time: everything
  new), and *preview again* (everything unchanged).

Run: ``.venv/bin/python -m tests.benchmarks bench_flows``. Optional environment:
``BENCH_FLOWS_ORGS`` (default 300) and ``BENCH_FLOWS_LETTERS`` (default 200000).
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select

from console.db import models as m
from console.db.database import database_url_for, open_database, upgrade
from console.db.models_flows import Flow, FlowTemplate
from console.domain.flow import BerichtTypeStatus, Cadence, DeliveryPolicy
from console.domain.ids import new_guid
from console.domain.lifecycle import LetterStatus
from console.services.berichttypes import BerichtTypeService
from console.services.config_transfer import ConfigTransferService
from console.services.demo import create_demo_workspace
from console.services.flows import FlowService
from console.services.organisations import OrganisationService

REPRO = ".venv/bin/python -m tests.benchmarks bench_flows"


def _populate(db_path: Path, orgs: int, letters: int) -> None:
    db = open_database(database_url_for(db_path))
    upgrade(db, backup_dir=None)
    create_demo_workspace(db)
    now = datetime.now(UTC)
    with db.session() as s:
        conn = s.scalar(select(m.Connection).where(m.Connection.name == "Demo-simulator"))
        assert conn is not None
        members = []
        for n in range(orgs):
            org = m.Organisation(
                name=f"Gemeente {n:04d}", oin=f"000000998{n:011d}", kind=m.OrganisationKind.GEMEENTE
            )
            s.add(org)
            s.flush()
            members.append(org)
            for k in range(5):
                s.add(
                    m.BerichtType(
                        organisation_id=org.id,
                        code=f"BT{k}",
                        name=f"Berichttype {k}",
                        description="",
                        status_simulator=BerichtTypeStatus.ACTIEF
                        if k < 4
                        else BerichtTypeStatus.CONCEPT,
                        status_preprod=BerichtTypeStatus.CONCEPT,
                        status_productie=BerichtTypeStatus.CONCEPT,
                        updated_at=now,
                        updated_by="bench",
                    )
                )
            for k in range(3):
                flow = Flow(
                    organisation_id=org.id,
                    connection_id=conn.id,
                    name=f"Stroom {k}",
                    source_system="Bronsysteem",
                    default_berichttype=f"BT{k + 2}",
                    cadence=Cadence.BATCHES,
                    volume_per_month=1000,
                    delivery_policy=DeliveryPolicy.DIGITAAL_ANDERS_PAPIER,
                    payment_url="https://betalen.voorbeeld.nl/",
                    active=True,
                    created_at=now,
                    updated_at=now,
                    updated_by="bench",
                )
                flow.templates.append(
                    FlowTemplate(
                        name="Brief",
                        onderwerp="Uw brief {{jaar}}",
                        berichttekst="Beste {{naam}},\nBetaal via {{betaallink}}\nGroet",
                        updated_at=now,
                        updated_by="bench",
                    )
                )
                s.add(flow)
        conn.organisations = members
        s.commit()
        org_ids = [o.id for o in members]
        conn_id = conn.id
    rows = []
    for n in range(letters):
        rows.append(
            {
                "organisation_id": org_ids[n % len(org_ids)],
                "connection_id": conn_id,
                "berichttype": f"BT{n % 5}",
                "bsn": "999990019",
                "onderwerp": "Uw brief",
                "berichttekst": "",
                "referentie": "",
                "bericht_id": new_guid(),
                "status": LetterStatus.QUEUED if n % 100 == 0 else LetterStatus.DELIVERED,
                "created_at": now,
                "created_by": "bench",
                "updated_at": now,
            }
        )
        if len(rows) == 20_000:
            with db.session() as s:
                s.execute(insert(m.Letter), rows)
                s.commit()
            rows = []
    if rows:
        with db.session() as s:
            s.execute(insert(m.Letter), rows)
            s.commit()
    db.dispose()


def _clock(label: str, fn: object) -> object:
    t0 = time.perf_counter()
    result = fn()  # type: ignore[operator]
    print(f"  {label:<28} {time.perf_counter() - t0:8.3f} s", flush=True)
    return result


def main() -> None:
    orgs = int(os.environ.get("BENCH_FLOWS_ORGS", "300"))
    letters = int(os.environ.get("BENCH_FLOWS_LETTERS", "200000"))
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "a"
        t0 = time.perf_counter()
        _populate(source, orgs, letters)
        print(
            f"  opbouw: {orgs} organisaties, {orgs * 5} berichttypes, {orgs * 3} stromen, "
            f"{letters} brieven ({time.perf_counter() - t0:.1f} s)"
        )
        db = open_database(database_url_for(source))
        _clock("organisaties (pagina)", OrganisationService(db).list_all)
        _clock("berichtstromen (pagina)", FlowService(db).list_all)
        drift = _clock("drift", BerichtTypeService(db).drift)
        print(f"  {'':<28} {len(drift)} afwijkingen")  # type: ignore[arg-type]
        data = _clock("export", ConfigTransferService(db).export)
        print(f"  {'':<28} {len(data) / 1e6:.1f} MB")  # type: ignore[arg-type]
        target = open_database(database_url_for(Path(tmp) / "b"))
        upgrade(target, backup_dir=None)
        transfer = ConfigTransferService(target)
        first = _clock("preview (alles nieuw)", lambda: transfer.preview(data))  # type: ignore[arg-type]
        _clock("apply", lambda: transfer.apply(data))  # type: ignore[arg-type]
        again = _clock("preview (ongewijzigd)", lambda: transfer.preview(data))  # type: ignore[arg-type]
        print(f"  {'':<28} {first.summary} / {again.summary}")  # type: ignore[attr-defined]
        db.dispose()
        target.dispose()
    print(f"Opnieuw meten: {REPRO}")


if __name__ == "__main__":
    main()
