"""Instellingen: validation with Dutch messages, storage, audit, reset, the privacy rules, what
the readers (preflight, outbox, results) really use, and ``settings list|set|reset --json``.

A real SQLite workspace (the demo database) for every test; nothing is mocked.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from console.berichtenbox.preflight import (
    KEY_BERICHTTYPE,
    KEY_BIJLAGEN_MAX,
    KEY_OMSCHRIJVING_MAX,
    KEY_PDFA,
    KEY_SNAPSHOT_AGE,
    Policy,
    PreflightSettings,
)
from console.cli import main
from console.db.database import Database
from console.db.models_flows import AuditEntry
from console.db.repositories import SettingsRepository
from console.engine.outbox import KEY_MAX_BYTES, KEY_MAX_LETTERS
from console.engine.subscriptions import KEY_ANSWER_ACTION, KEY_REQUEST_ACTION
from console.secrets.store import MemoryStore
from console.services.bootstrap import _settings_changed, open_workspace
from console.services.preflight import PreflightService
from console.services.privacy import KEY_ADMINISTRATORS, NotAllowed, PrivacyService
from console.services.results import KEY_MISSING_HOURS, ResultsService
from console.services.settings import (
    DEFINITIONS,
    INSTELLING,
    STANDAARD_HERSTELD,
    Kind,
    SettingsRefused,
    SettingsService,
    check_setting,
    definition,
)
from console.services.subscriptions import KEY_WUS_ADDRESSING
from console.services.workspace import WorkspaceService
from console.settings import AppPaths, resolve_paths

from .flow_support import demo_db

USER = "j.jansen"


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return demo_db(tmp_path / "data")


@pytest.fixture
def service(db: Database, tmp_path: Path) -> SettingsService:
    return SettingsService(
        db,
        paths=AppPaths(tmp_path / "data"),
        secrets=MemoryStore(),
        privacy=PrivacyService(db, user=USER),
    )


def stored(db: Database) -> dict[str, Any]:
    with db.session() as s:
        return SettingsRepository(s).all()


def audit_entries(db: Database) -> list[AuditEntry]:
    with db.session() as s:
        return list(
            s.scalars(
                select(AuditEntry).where(AuditEntry.entity == INSTELLING).order_by(AuditEntry.id)
            )
        )


# --------------------------------------------------------------------------- saving


def test_a_change_is_stored_and_audited_with_before_and_after(
    service: SettingsService, db: Database
) -> None:
    result = service.save(
        {KEY_MAX_LETTERS: "500", KEY_MAX_BYTES: "12,5 MB", KEY_PDFA: "block"}, actor="fb"
    )
    assert stored(db)[KEY_MAX_LETTERS] == 500
    assert stored(db)[KEY_MAX_BYTES] == 12_500_000
    assert stored(db)[KEY_PDFA] == "block"
    assert [c.key for c in result.changes] == [KEY_MAX_LETTERS, KEY_MAX_BYTES, KEY_PDFA]
    assert "Berichten per batch 1.000 → 500" in result.message
    assert "Grootte per batch 100 MB → 12,5 MB" in result.message
    assert "Geldt vanaf de volgende batch" in result.message
    entries = audit_entries(db)
    assert [(e.actor, e.action, e.entity_key) for e in entries] == [
        ("fb", "gewijzigd", KEY_MAX_LETTERS),
        ("fb", "gewijzigd", KEY_MAX_BYTES),
        ("fb", "gewijzigd", KEY_PDFA),
    ]
    assert json.loads(entries[0].before or "") == {KEY_MAX_LETTERS: 1000}
    assert json.loads(entries[0].after or "") == {KEY_MAX_LETTERS: 500}
    assert (
        entries[2].summary
        == "Instelling PDF/A-controle van bijlagen gewijzigd: Waarschuwen → Tegenhouden."
    )
    now = {v.key: v for v in result.values}
    assert now[KEY_MAX_LETTERS].value == 500 and now[KEY_MAX_LETTERS].stored


def test_saving_what_is_already_in_use_changes_nothing_and_pins_no_default(
    service: SettingsService, db: Database
) -> None:
    result = service.save({KEY_MAX_LETTERS: "1.000"})  # the default, with a Dutch thousands dot
    assert result.changes == () and result.message == "Er was niets gewijzigd."
    assert KEY_MAX_LETTERS not in stored(db)
    service.save({KEY_MAX_LETTERS: 10})
    service.save({KEY_MAX_LETTERS: 10})
    assert len(audit_entries(db)) == 1


@pytest.mark.parametrize(
    ("key", "raw", "message"),
    [
        (KEY_MAX_LETTERS, "1200", "Berichten per batch is 1.200; maximaal 1.000."),
        (KEY_MAX_LETTERS, "0", "Berichten per batch is 0; minimaal 1."),
        (KEY_MAX_LETTERS, "veel", "Berichten per batch: 'veel' is geen geheel getal"),
        (KEY_MAX_BYTES, "120 MB", "Grootte per batch is 120 MB; maximaal 100 MB."),
        (KEY_MAX_BYTES, "0,5 MB", "Grootte per batch is 0,5 MB; minimaal 1 MB."),
        (
            KEY_BIJLAGEN_MAX,
            "10.000.001",
            "Bijlagen per bericht samen is 10.000.001 bytes; maximaal 10.000.000 bytes.",
        ),
        (
            KEY_OMSCHRIJVING_MAX,
            "129",
            "Omschrijving van een bijlage is 129 tekens; maximaal 128 tekens.",
        ),
        (KEY_PDFA, "streng", "kies off (uit), warn (waarschuwen), block (tegenhouden)"),
        (KEY_SNAPSHOT_AGE, "366", "Leeftijd van abonnementsgegevens is 366 dagen; maximaal 365"),
        (KEY_MISSING_HOURS, "721", "Wachttijd op een resultaat is 721 uur; maximaal 720 uur."),
        (KEY_ANSWER_ACTION, "GLOBE R A", "mag geen spaties bevatten"),
        (KEY_ANSWER_ACTION, "GLOBE-R-BV-Result", "die actie gebruikt de console al"),
        (KEY_REQUEST_ACTION, "x" * 101, "is 101 tekens; maximaal 100."),
        (KEY_WUS_ADDRESSING, "misschien", "kies aan of uit"),
        (KEY_ADMINISTRATORS, ["j.jansen", "J.Jansen"], "verschillen alleen in hoofdletters"),
        (KEY_ADMINISTRATORS, ["j.jan\x00sen"], "bevat een stuurteken"),
    ],
)
def test_a_wrong_value_is_refused_naming_the_setting_and_the_limit(
    service: SettingsService, db: Database, key: str, raw: Any, message: str
) -> None:
    with pytest.raises(SettingsRefused) as refused:
        service.save({key: raw})
    assert message in str(refused.value)
    assert [i.field for i in refused.value.issues] == [key]
    assert key not in stored(db)
    assert audit_entries(db) == []


def test_one_wrong_value_stores_nothing_of_the_others(
    service: SettingsService, db: Database
) -> None:
    with pytest.raises(SettingsRefused):
        service.save({KEY_MAX_LETTERS: "10", KEY_OMSCHRIJVING_MAX: "500"})
    assert KEY_MAX_LETTERS not in stored(db) and audit_entries(db) == []


def test_the_two_abs_actions_must_differ(service: SettingsService) -> None:
    with pytest.raises(SettingsRefused, match="eigen ebMS-actie"):
        service.save({KEY_ANSWER_ACTION: "GLOBE-R-A-Request"})
    service.save({KEY_ANSWER_ACTION: "GLOBE-R-A-Antwoord"})
    assert service.get(KEY_ANSWER_ACTION).value == "GLOBE-R-A-Antwoord"


def test_an_unknown_setting_lists_the_known_ones(service: SettingsService) -> None:
    with pytest.raises(
        ValueError, match=r"Instelling 'batch\.max' bestaat niet.*batch\.max_berichten"
    ):
        service.save({"batch.max": 5})


# --------------------------------------------------------------------------- one source of truth


@pytest.mark.parametrize(
    "key", [d.key for d in DEFINITIONS if d.group == "preflight" and d.kind is Kind.INT]
)
def test_preflight_limits_are_the_ones_from_mapping_accepts(key: str) -> None:
    d = definition(key)
    assert d.minimum is not None and d.maximum is not None
    read = PreflightSettings.from_mapping
    assert read({key: d.minimum}).as_mapping()[key] == d.minimum
    assert read({key: d.maximum}).as_mapping()[key] == d.maximum
    assert read({key: d.maximum + 1}).as_mapping()[key] == d.default  # from_mapping refuses it
    assert read({key: d.minimum - 1}).as_mapping()[key] == d.default
    assert check_setting(key, d.maximum)[0] == d.maximum
    assert check_setting(key, d.maximum + 1)[1] and check_setting(key, d.minimum - 1)[1]
    assert d.default == PreflightSettings().as_mapping()[key]


def test_policy_choices_are_the_policies_of_the_preflight() -> None:
    for key in (KEY_PDFA, KEY_BERICHTTYPE):
        assert [c.value for c in definition(key).choices] == [p.value for p in Policy]


def test_missing_hours_limit_is_the_results_service_limit(db: Database) -> None:
    results = ResultsService(db, WorkspaceService(db), PreflightService(db, WorkspaceService(db)))
    d = definition(KEY_MISSING_HOURS)
    results.set_missing_hours(int(d.maximum or 0))
    with pytest.raises(ValueError):
        results.set_missing_hours(int(d.maximum or 0) + 1)


def test_shown_value_is_what_the_reader_uses_also_for_a_bad_stored_row(
    service: SettingsService, db: Database
) -> None:
    with db.session() as s:
        SettingsRepository(s).set(KEY_MAX_LETTERS, 5000)  # the outbox clamps this to 1000
        SettingsRepository(s).set(KEY_OMSCHRIJVING_MAX, 500)  # from_mapping falls back to 40
        SettingsRepository(s).set(KEY_ANSWER_ACTION, "  ")  # answer_action: the default
        s.commit()
    values = {v.key: v for v in service.values()}
    assert values[KEY_MAX_LETTERS].value == 1000 and values[KEY_MAX_LETTERS].stored
    assert "ongeldig" in values[KEY_MAX_LETTERS].problem
    assert "De console gebruikt 1.000." in values[KEY_MAX_LETTERS].problem
    assert values[KEY_OMSCHRIJVING_MAX].value == 40
    assert PreflightService(db, WorkspaceService(db)).settings().omschrijving_max == 40
    assert values[KEY_ANSWER_ACTION].value == "GLOBE-R-A-Result"
    assert values[KEY_PDFA].problem == "" and not values[KEY_PDFA].stored


def test_results_and_subscriptions_read_what_was_saved(
    service: SettingsService, db: Database
) -> None:
    service.save({KEY_MISSING_HOURS: "48", KEY_SNAPSHOT_AGE: "3"})
    workspace = WorkspaceService(db)
    preflight = PreflightService(db, workspace)
    assert ResultsService(db, workspace, preflight).missing_hours() == 48
    assert preflight.settings().snapshot_max_age_days == 3


# --------------------------------------------------------------------------- reset


def test_reset_deletes_the_row_so_the_default_applies_and_is_audited(
    service: SettingsService, db: Database
) -> None:
    service.save({KEY_BIJLAGEN_MAX: "512.000"}, actor="fb")
    assert stored(db)[KEY_BIJLAGEN_MAX] == 512_000
    result = service.reset([KEY_BIJLAGEN_MAX], actor="fb")
    assert KEY_BIJLAGEN_MAX not in stored(db)
    assert result.values[0].value == 500_000 and not result.values[0].stored
    assert "teruggezet op de standaardwaarde" in result.message
    last = audit_entries(db)[-1]
    assert (last.action, last.entity_key) == (STANDAARD_HERSTELD, KEY_BIJLAGEN_MAX)
    assert json.loads(last.before or "") == {KEY_BIJLAGEN_MAX: 512_000}
    again = service.reset([KEY_BIJLAGEN_MAX])
    assert again.changes == () and len(audit_entries(db)) == 2


# --------------------------------------------------------------------------- privacy


def test_administrators_follow_the_privacy_rules(service: SettingsService, db: Database) -> None:
    warning = service.validate({KEY_ADMINISTRATORS: ["p.pietersen"]})
    assert [i.blocking for i in warning] == [False] and USER in warning[0].message
    service.save({KEY_ADMINISTRATORS: "j.jansen, p.pietersen"})
    assert stored(db)[KEY_ADMINISTRATORS] == ["j.jansen", "p.pietersen"]
    # The privacy service reads the same list: only they may read the lookup log.
    assert PrivacyService(db, user="p.pietersen").lookup_access().allowed
    assert not PrivacyService(db, user="k.klaassen").lookup_access().allowed
    with pytest.raises(NotAllowed, match="uzelf niet als beheerder verwijderen"):
        service.save({KEY_ADMINISTRATORS: ["p.pietersen"]})
    with pytest.raises(NotAllowed, match="uzelf niet"):
        service.reset([KEY_ADMINISTRATORS])
    other = SettingsService(db, privacy=PrivacyService(db, user="k.klaassen"))
    with pytest.raises(NotAllowed, match=r"U bent aangemeld als k\.klaassen"):
        other.save({KEY_ADMINISTRATORS: ["k.klaassen", "j.jansen", "p.pietersen"]})
    # Another administrator may remove j.jansen.
    SettingsService(db, privacy=PrivacyService(db, user="p.pietersen")).save(
        {KEY_ADMINISTRATORS: ["p.pietersen"]}
    )
    assert stored(db)[KEY_ADMINISTRATORS] == ["p.pietersen"]
    assert len(audit_entries(db)) == 2


# --------------------------------------------------------------------------- the running console


def test_changed_keys_reach_the_callback(db: Database) -> None:
    seen: list[frozenset[str]] = []
    service = SettingsService(db, privacy=PrivacyService(db, user=USER), on_changed=seen.append)
    service.save({KEY_MAX_LETTERS: 5, KEY_PDFA: "warn"})  # pdfa is already warn: no change
    service.reset([KEY_MAX_LETTERS])
    assert seen == [frozenset({KEY_MAX_LETTERS}), frozenset({KEY_MAX_LETTERS})]


def test_the_workspace_forgets_cached_preflight_settings_after_a_change(tmp_path: Path) -> None:
    services = open_workspace(
        resolve_paths(tmp_path / "data"), start_engine=False, secrets=MemoryStore()
    )
    try:
        assert services.settings is not None and services.preflight is not None
        assert services.preflight.settings().omschrijving_max == 40
        services.settings.save({KEY_OMSCHRIJVING_MAX: "128"})
        assert services.preflight.settings().omschrijving_max == 128
        about = services.settings.about()
        assert about.data_dir == (tmp_path / "data").resolve()
        assert about.schema_current and about.database_bytes and about.database_bytes > 0
        assert about.keys_persistent is False and about.key_store == MemoryStore().description
        assert about.logs_dir == about.data_dir / "logs" if about.data_dir else False
    finally:
        services.close()


def test_a_new_abs_answer_action_is_registered_with_the_running_engine(db: Database) -> None:
    class Importer:
        def handle(self, *_a: Any) -> None:
            return None

    importer = Importer()
    runner = SimpleNamespace(signals=SimpleNamespace(action_handlers={}))
    changed = _settings_changed(db, PreflightService(db, WorkspaceService(db)), runner, importer)  # type: ignore[arg-type]
    service = SettingsService(db, privacy=PrivacyService(db, user=USER), on_changed=changed)
    service.save({KEY_ANSWER_ACTION: "GLOBE-R-A-Antwoord"})
    assert runner.signals.action_handlers["GLOBE-R-A-Antwoord"] == importer.handle


# --------------------------------------------------------------------------- the command line


class Cli:
    def __init__(self, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.data_dir = data_dir
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, Any]:
        self.capsys.readouterr()
        code = main(["--data-dir", str(self.data_dir), *args, "--json"])
        return code, json.loads(self.capsys.readouterr().out)


def test_cli_list_set_reset_with_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli = Cli(tmp_path / "data", capsys)
    code, listed = cli("settings", "list")
    assert code == 0
    by_key = {s["key"]: s for s in listed["settings"]}
    assert set(by_key) == {d.key for d in DEFINITIONS}
    assert by_key[KEY_MAX_BYTES]["text"] == "100 MB" and by_key[KEY_MAX_BYTES]["unconfirmed"]
    assert by_key[KEY_MAX_LETTERS]["unconfirmed"] == ""
    assert by_key[KEY_PDFA]["choices"] == ["off", "warn", "block"]
    assert listed["schema_revision"]

    code, changed = cli("settings", "set", "batch.max_bytes", "50", "MB")
    assert code == 0 and changed["changed"][0]["after"] == 50_000_000
    assert changed["settings"][0]["stored"] is True

    code, refused = cli("settings", "set", "batch.max_berichten", "1200")
    assert code == 2 and refused["refused"] is True
    assert refused["issues"] == [
        {
            "field": KEY_MAX_LETTERS,
            "message": "Berichten per batch is 1.200; maximaal 1.000.",
            "blocking": True,
        }
    ]

    code, reset = cli("settings", "reset", "batch.max_bytes")
    assert code == 0 and reset["settings"][0]["value"] == 100_000_000
    code, listed = cli("settings", "list", "--groep", "batches")
    assert {s["key"] for s in listed["settings"]} == {KEY_MAX_LETTERS, KEY_MAX_BYTES}
    assert all(not s["stored"] for s in listed["settings"])

    code, audit = cli("audit", "list", "--zoek", "Grootte per batch")
    assert code == 0 and [r["action"] for r in audit] == [STANDAARD_HERSTELD, "gewijzigd"]
