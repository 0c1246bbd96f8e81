"""De productiebewaking as a use case: the rules of :mod:`console.domain.environment_guard`
applied to a letter on its connection, plus the confirmation of this session.

- Refused everywhere: an inactive organisation or connection, a Logius connection without a
  CPA. Refused in production: test OINs and the simulator's test citizens. Warned in preprod:
  a BSN that looks like a real person's.
- Before the first production send of a session the user types the organisation's name; the
  confirmation is kept in memory only (per connection and organisation), so every new start
  asks again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from console.db import models as m
from console.db.database import Database
from console.domain import environment_guard
from console.domain.environment import Environment
from console.domain.letter import FieldIssue, LetterDraft
from console.domain.test_citizens import SIMULATOR_TEST_BSNS
from console.services.errors import NotFound, ServiceError
from console.services.workspace import WorkspaceService


class ConfirmationRefused(ServiceError):
    """The typed name is not the organisation's name."""


@dataclass(frozen=True, slots=True)
class GuardTarget:
    """Where a letter would go: what the banner and the confirmation dialog show."""

    connection_id: int
    connection_name: str
    environment: Environment
    organisation_id: int
    organisation_name: str
    organisation_oin: str
    confirmed: bool

    @property
    def needs_confirmation(self) -> bool:
        return self.environment is Environment.PRODUCTIE and not self.confirmed


class ProductionGuardService:
    def __init__(
        self,
        db: Database,
        workspace: WorkspaceService,
        *,
        test_bsns: frozenset[str] = SIMULATOR_TEST_BSNS,
    ) -> None:
        self._db = db
        self._workspace = workspace
        self._test_bsns = test_bsns
        self._lock = threading.Lock()
        self._confirmed: set[tuple[int, int]] = set()

    # -- the rules ---------------------------------------------------------------------------

    def issues(
        self, bsns: list[str], connection_id: int | None, organisation_id: int
    ) -> list[FieldIssue]:
        """What the guard says about sending to *bsns* for the organisation (None: over the
        workspace's connection)."""
        with self._db.session() as s:
            conn = (
                s.get(m.Connection, connection_id)
                if connection_id is not None
                else self._workspace.active_connection(s)
            )
            org = s.get(m.Organisation, organisation_id)
            if conn is None or org is None:
                return []
            issues: list[FieldIssue] = []
            if not org.active:
                issues.append(
                    FieldIssue(
                        "Organisatie",
                        f"{org.name} is gedeactiveerd; er wordt niets meer voor verstuurd. "
                        "Activeer de organisatie bij Organisaties als dit niet klopt.",
                    )
                )
            if not conn.active:
                issues.append(
                    FieldIssue(
                        "Koppeling",
                        f"Koppeling {conn.name} is gedeactiveerd. Activeer haar bij "
                        "Organisaties, of kies een andere koppeling.",
                    )
                )
            if conn.environment is not Environment.SIMULATOR and conn.cpa_record_id is None:
                issues.append(
                    FieldIssue(
                        "CPA",
                        f"Koppeling {conn.name} heeft nog geen CPA. Importeer de CPA die u van "
                        "Logius kreeg bij Organisaties → Koppelingen.",
                    )
                )
            owner = conn.owner
            issues += environment_guard.send_issues(
                conn.environment,
                connection_name=conn.name,
                owner_name=owner.name,
                owner_oin=owner.oin,
                organisation_name=org.name,
                organisation_oin=org.oin,
                bsns=bsns,
                test_bsns=self._test_bsns,
            )
            return issues

    def send_check(
        self, draft: LetterDraft, connection_id: int | None, organisation_id: int
    ) -> list[FieldIssue]:
        """The hook the letter service calls for every letter it checks."""
        return self.issues([draft.bsn], connection_id, organisation_id)

    # -- the confirmation of this session ----------------------------------------------------

    def target(self, organisation_id: int | None = None) -> GuardTarget | None:
        """Where the workspace sends for the organisation (default: the banner's)."""
        status = self._workspace.status()
        if status.connection_id is None:
            return None
        org_id = organisation_id if organisation_id is not None else status.organisation_id
        org = next((o for o in status.organisations if o.id == org_id), None)
        if org is None:
            raise NotFound(
                f"Koppeling {status.connection_name} verstuurt niet voor organisatie {org_id}."
            )
        with self._lock:
            confirmed = (status.connection_id, org.id) in self._confirmed
        return GuardTarget(
            connection_id=status.connection_id,
            connection_name=status.connection_name,
            environment=status.environment,
            organisation_id=org.id,
            organisation_name=org.name,
            organisation_oin=org.oin,
            confirmed=confirmed,
        )

    def needs_confirmation(self, organisation_id: int | None = None) -> bool:
        target = self.target(organisation_id)
        return target is not None and target.needs_confirmation

    def confirm(self, organisation_id: int, typed: str) -> GuardTarget:
        """Remember for this session that the user confirmed production for the organisation."""
        target = self.target(organisation_id)
        if target is None:
            raise ServiceError("Er is geen koppeling om mee te versturen.")
        if not environment_guard.confirmation_matches(typed, target.organisation_name):
            raise ConfirmationRefused(
                f"U typte '{typed.strip()}'. Typ de naam van de organisatie precies over: "
                f"{target.organisation_name}."
            )
        with self._lock:
            self._confirmed.add((target.connection_id, target.organisation_id))
        return replace(target, confirmed=True)

    def is_confirmed(self, connection_id: int | None, organisation_id: int | None) -> bool:
        """In memory only, so the GUI may ask it on every keystroke."""
        with self._lock:
            return (connection_id, organisation_id) in self._confirmed

    def remember(self, connection_id: int, organisation_id: int) -> None:
        """The user typed the name in a form that checked it (the test-letter dialog)."""
        with self._lock:
            self._confirmed.add((connection_id, organisation_id))

    def forget(self) -> None:
        """Forget every confirmation (as after a restart)."""
        with self._lock:
            self._confirmed.clear()
