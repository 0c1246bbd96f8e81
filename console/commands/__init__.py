"""The subcommands of ``berichtenbox-console``, one module per area.

Each module has ``register(subparsers)``; add a new area to :data:`MODULES`.
"""

from __future__ import annotations

MODULES = (
    "console.commands.letters",
    "console.commands.simulator",
    "console.commands.database",
    "console.commands.certificates",
    "console.commands.connection",
    "console.commands.letters_preflight",
    "console.commands.letters_search",  # issue 6: after letters_preflight (shares "letters")
    "console.commands.letters_import",  # letters import: a whole file (the Verzenden page)
    "console.commands.subscriptions",
    "console.commands.cpa",
    "console.commands.ebms",
    "console.commands.org",  # issue 5 (connection list/show/add/...: console.commands.connection)
    "console.commands.berichttype",  # issue 5
    "console.commands.flow",  # issue 5
    "console.commands.config",  # issue 5: config export|import, audit list|export
    "console.commands.onboarding",  # the Aansluiten page: onboarding status|answer|tick|report
    "console.commands.settings",  # settings list|set|reset (the Instellingen page)
    "console.commands.self_test",  # self-test: check an installation (packaging/)
)
