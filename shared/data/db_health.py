"""Database health figures for the monitoring timer: cache hit ratio and the largest tables (catalog reads only)."""

from __future__ import annotations

from typing import NamedTuple

from shared.data.sql import Conn, fetch_typed


class TableSize(NamedTuple):
    table: str
    bytes: int


def cache_hit_ratio(conn: Conn) -> float | None:
    """Blocks found in shared buffers / blocks read, for this database since the statistics reset (None: no reads)."""
    row = conn.execute(
        "SELECT sum(blks_hit)::float8 / nullif(sum(blks_hit) + sum(blks_read), 0)"
        " FROM pg_stat_database WHERE datname = current_database()"
    ).fetchone()
    return None if row is None or row[0] is None else float(row[0])


def largest_tables(conn: Conn, *, limit: int = 10) -> list[TableSize]:
    """The `limit` largest ordinary tables of the public schema with their indexes and TOAST (bounded, by name)."""
    return fetch_typed(
        conn,
        TableSize,
        "SELECT c.relname AS table, pg_total_relation_size(c.oid) AS bytes FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 2 DESC LIMIT %s",
        (limit,),
    )
