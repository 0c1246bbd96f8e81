"""The subcommands of ``berichtenbox-console``, one module per area.

Each module has ``register(subparsers)``; add a new area to :data:`MODULES`.
"""

from __future__ import annotations

MODULES = (
    "console.commands.letters",
    "console.commands.simulator",
    "console.commands.database",
)
