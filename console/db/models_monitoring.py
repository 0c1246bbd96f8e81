"""Monitoring and privacy (issue 6): the BSN lookup log, and the indexes the message log needs.

**BSN lookup log.** Every time someone sees a BSN in full (reveal in the log, a search by
BSN, an export or evidence pack with full BSNs) one row records who, when, which BSN (or how
many, for an export), which letter, and why. Rows are only ever added.

**Indexes.** The message log filters and sorts millions of letters in SQL. Each sort column
has an index whose order is the sort order (SQLite appends the rowid, which is the tie
breaker), and each filter the log offers has an index that starts with it:

- ``(berichttype, organisation_id, created_at)``: a flow (organisation and berichttype) per
  date range, the berichttype filter and sorting by berichttype;
- ``(status, created_at)``: status per date range (replaces the plain status index);
- ``referentie COLLATE NOCASE`` and ``onderwerp COLLATE NOCASE``: what the search box does
  with text (a case-insensitive prefix) and sorting by subject.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, Index, Integer, String, Text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement

from console.db.models import Base, Letter, _str_enum, utc_now


class nocase(FunctionElement[str]):
    """A text column compared without regard to (ASCII) case, in a way an index can serve.

    SQLite: ``col COLLATE "NOCASE"`` (the index is built on that expression); PostgreSQL:
    ``lower(col COLLATE "C")``, the same ASCII case folding and byte order as SQLite whatever
    the database's collation (a prefix range is only a prefix search in byte order); other
    databases: ``lower(col)``. Compare it with a lower-cased value.
    """

    type = String()
    inherit_cache = True
    name = "nocase"


@compiles(nocase)
def _nocase_default(element: nocase, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(nocase, "postgresql")
def _nocase_postgresql(element: nocase, compiler: SQLCompiler, **kw: Any) -> str:
    return f'lower({compiler.process(element.clauses, **kw)} COLLATE "C")'


@compiles(nocase, "sqlite")
def _nocase_sqlite(element: nocase, compiler: SQLCompiler, **kw: Any) -> str:
    return f'{compiler.process(element.clauses, **kw)} COLLATE "NOCASE"'


class unindexed(FunctionElement[Any]):
    """The same value, but SQLite will not use an index for it (unary ``+``).

    For an ORDER BY over a selective filter: rather than walking the sort column's index
    through millions of rows to find the few that match, let SQLite find the matches with the
    filter's index and sort those.
    """

    inherit_cache = True
    name = "unindexed"

    @property
    def type(self) -> Any:  # type: ignore[override]
        return self.clauses.clauses[0].type


@compiles(unindexed)
def _unindexed_default(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"


def nocase_prefix(column: Any, prefix: str) -> ColumnElement[bool]:
    """*column* starts with *prefix*, ignoring case; a range an index on ``nocase`` can use."""
    low = prefix.lower()
    expr = nocase(column)
    return (expr >= low) & (expr < low + "\U0010ffff")


class LookupKind(StrEnum):
    REVEAL = "reveal"  # a BSN shown in full in the message log
    SEARCH = "search"  # letters searched by BSN
    EXPORT = "export"  # an export with full BSNs
    EVIDENCE = "evidence"  # an evidence pack with the full BSN


class BsnLookup(Base):
    """Who looked at which BSN, when and why (viewable by an administrator)."""

    __tablename__ = "bsn_lookups"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    kind: Mapped[LookupKind] = mapped_column(_str_enum(LookupKind, 16))
    bsn: Mapped[str | None] = mapped_column(String(9), index=True)  # None: an export of many
    letter_id: Mapped[int | None] = mapped_column(
        ForeignKey("letters.id", ondelete="SET NULL"), index=True
    )
    letter_count: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="")


# The message log's indexes on the letters table (see the module docstring).
Index(
    "ix_letters_berichttype_organisation_id_created_at",
    Letter.berichttype,
    Letter.organisation_id,
    Letter.created_at,
)
Index("ix_letters_referentie_nocase", nocase(Letter.referentie))
Index("ix_letters_onderwerp_nocase", nocase(Letter.onderwerp))
