"""The one set of row helpers for every data module: typed rows (`fetch_typed*`, psycopg `class_row` into a
dataclass or NamedTuple), dict rows where a resource is passed through as JSON, and WHERE clauses built from
constant fragments. No other module defines its own `Row`/`_rows`/`_one`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import psycopg
from psycopg.rows import class_row, dict_row

Row = dict[str, Any]
Conn = psycopg.Connection[Any]
Params = Mapping[str, Any] | Sequence[Any] | None
T = TypeVar("T")


def fetch_typed(conn: Conn, cls: type[T], query: str, params: Params = None) -> list[T]:
    """Rows as instances of `cls` (a dataclass or NamedTuple whose fields are the selected column names)."""
    with conn.cursor(row_factory=class_row(cls)) as cur:
        cur.execute(query, params)
        return cur.fetchall()


def fetch_typed_one(conn: Conn, cls: type[T], query: str, params: Params = None) -> T | None:
    with conn.cursor(row_factory=class_row(cls)) as cur:
        cur.execute(query, params)
        return cur.fetchone()


def fetch_dicts(cur: psycopg.Cursor[Any]) -> list[Row]:
    """The rows left on an already executed cursor, as dicts (for statements run with `conn.execute`)."""
    cols = [c.name for c in cur.description or ()]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def fetch_all(conn: Conn, query: str, params: dict[str, Any] | None = None) -> list[Row]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, params or {})
        return cur.fetchall()


def fetch_one(conn: Conn, query: str, params: dict[str, Any] | None = None) -> Row | None:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, params or {})
        return cur.fetchone()


def execute(conn: Conn, query: str, params: dict[str, Any] | None = None) -> int:
    with conn.cursor() as cur:
        cur.execute(query, params or {})
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
