"""Forward-only SQL migrations: files `migrations/NNNN_name.sql`, applied in order, each in its own transaction,
recorded in `schema_migrations` with a checksum. Re-running is a no-op; an edited applied file is an error."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import psycopg

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_LOCK_KEY = 0x5_0_9_12_A  # advisory lock: one migrator at a time


class MigrationChecksumMismatch(RuntimeError):
    """An already applied migration file was changed: migrations are forward-only, add a new file instead."""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(directory.glob("[0-9][0-9][0-9][0-9]_*.sql")):
        version, _, name = path.stem.partition("_")
        found.append(Migration(version=version, name=name, sql=path.read_text()))
    return found


def migrate(url: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations with the owner role's URL. Returns the versions applied now."""
    applied_now: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, name text NOT NULL,"
                " checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done: dict[str, str] = dict(conn.execute("SELECT version, checksum FROM schema_migrations").fetchall())
            for m in discover(directory):
                if m.version in done:
                    if done[m.version] != m.checksum:
                        raise MigrationChecksumMismatch(f"migration {m.version}_{m.name} changed after it was applied")
                    continue
                with conn.transaction():
                    conn.execute(m.sql)
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                        (m.version, m.name, m.checksum),
                    )
                applied_now.append(m.version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return applied_now
