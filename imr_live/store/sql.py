"""The statements a SQL store runs, as the session log's writers and the migrations need them.

``Database`` (database.py) implements this; the log store and the schema code
depend on this narrow protocol instead, so neither imports the engines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

Row = dict[str, Any]


class Statements(Protocol):
    """Statements and reads on one SQL engine."""

    dialect: str
    """``sqlite`` or ``postgres``."""

    async def execute_script(self, sql: str) -> None:
        """Run several parameterless statements (schema DDL)."""

    async def execute(self, sql: str, *args: Any) -> int:
        """Run one statement; return the number of rows it changed."""

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        """Run a query and return all rows as dicts."""

    async def fetch_values(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        """Run a query and return all rows as tuples."""
