"""Known problems the services report to the UI and CLI, in plain Dutch."""

from __future__ import annotations

from console.domain.letter import FieldIssue


class ServiceError(ValueError):
    """A problem the user can fix; str() is the Dutch message with the next step."""


class LetterRefused(ServiceError):
    def __init__(self, issues: list[FieldIssue]) -> None:
        self.issues = issues
        lines = "\n".join(f"- {i.message}" for i in issues if i.blocking)
        super().__init__(f"Het bericht is niet opgeslagen:\n{lines}")


class NotFound(ServiceError):
    pass


class NoActiveConnection(ServiceError):
    def __init__(self) -> None:
        super().__init__(
            "Er is geen actieve koppeling. Stel een koppeling in bij Organisaties, of start met "
            "de demo-werkruimte."
        )


class ConfigRefused(ServiceError):
    """A configuration change that was refused; nothing was stored. ``issues`` name the fields."""

    def __init__(self, what: str, issues: list[FieldIssue]) -> None:
        self.issues = issues
        lines = "\n".join(f"- {i.message}" for i in issues if i.blocking)
        super().__init__(f"{what} is niet opgeslagen:\n{lines}")


class DeleteRefused(ServiceError):
    """Deleting would lose history (letters refer to it); the message says what to do instead."""
