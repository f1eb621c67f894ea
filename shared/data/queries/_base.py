"""Small helpers shared by the query modules: dict rows and WHERE clauses built from constant fragments."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

Row = dict[str, Any]
Conn = psycopg.Connection[Any]


def fetch_all(conn: Conn, query: str, params: dict[str, Any] | None = None) -> list[Row]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, params or {})  # type: ignore[arg-type]  # constant fragments, bound values
        return cur.fetchall()


def fetch_one(conn: Conn, query: str, params: dict[str, Any] | None = None) -> Row | None:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, params or {})  # type: ignore[arg-type]
        return cur.fetchone()


def execute(conn: Conn, query: str, params: dict[str, Any] | None = None) -> int:
    with conn.cursor() as cur:
        cur.execute(query, params or {})  # type: ignore[arg-type]
        return cur.rowcount


class Where:
    """Collects `AND` conditions (constant SQL text) and their bound parameters."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.params: dict[str, Any] = {}

    def add(self, condition: str, **params: Any) -> Where:
        self.parts.append(condition)
        self.params.update(params)
        return self

    def when(self, value: Any, condition: str, name: str) -> Where:
        """Add `condition` (which uses %(name)s) only when `value` is not None."""
        if value is not None:
            self.add(condition, **{name: value})
        return self

    def sql(self) -> str:
        return " AND ".join(self.parts) if self.parts else "TRUE"


def page_where(where: Where, *, after: int | None, column: str = "id") -> Where:
    return where.when(after, f"{column} < %(after)s", "after")


def update_sql(table: str, changes: dict[str, Any], allowed: frozenset[str]) -> str:
    """`UPDATE table SET a = %(a)s, ... WHERE id = %(id)s` for the allowed columns present in `changes`."""
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"columns not updatable on {table}: {sorted(unknown)}")
    sets = ", ".join(f"{col} = %({col})s" for col in changes)
    return f"UPDATE {table} SET {sets} WHERE id = %(id)s RETURNING *"
