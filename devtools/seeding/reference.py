"""Reference data every environment needs: the CEA Querétaro tenant (seed plan §1.5) and the tariff schedules in
`shared/data/tariffs/*.json`. Idempotent: a second run changes nothing.

Each tariff file is validated with `shared.domain.tariffs.schema.parse_schedule` and stored as version 1 of its
name with the validated definition (JSON, amounts as strings). A stored schedule whose definition differs from its
file is a conflict, never silently overwritten: publish changes as a new schedule (tariff API/CLI) instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from devtools.seeding import catalog
from devtools.seeding import sql as seed_sql
from shared.domain.tariffs.schema import InvalidTariffSchedule, TariffSchedule, parse_schedule

TARIFFS_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "tariffs"

TENANT: dict[str, Any] = {
    "id": catalog.TENANT_ID,
    "slug": catalog.TENANT_SLUG,
    "name": "CEA Queretaro",
    # The seed plan writes CEQ850101AAA, whose last character fails the SAT check digit (every CFDI would be
    # rejected before the PAC); the same RFC with its valid check digit is used instead.
    "rfc": "CEQ850101AA0",
    "fiscal_name": "Comision Estatal de Aguas de Queretaro",
    "regimen_fiscal": "603",
    "postal_code": "76000",
    "config": {"timezone": "America/Mexico_City", "currency": "MXN", "default_tariff_type": "domestico"},
}


class TenantSlugTaken(RuntimeError):
    """Another tenant already uses the slug of the seeded tenant."""


class InvalidTariffFile(ValueError):
    """A tariff JSON file does not pass the schema; the message lists every problem."""


class TariffConflict(RuntimeError):
    """A stored schedule has the same name as a file but a different definition or validity."""


@dataclass
class ReferenceReport:
    tenant: str  # "inserted", "updated" or "unchanged"
    tariffs_inserted: list[str] = field(default_factory=list)
    tariffs_unchanged: list[str] = field(default_factory=list)


def load_tariff_files(directory: Path = TARIFFS_DIR) -> list[TariffSchedule]:
    """Every `*.json` in `directory`, validated, in file-name order."""
    schedules = []
    for path in sorted(directory.glob("*.json")):
        try:
            schedules.append(parse_schedule(path.read_bytes()))
        except InvalidTariffSchedule as invalid:
            raise InvalidTariffFile(f"{path.name}: {invalid}") from invalid
    return schedules


def _definition(schedule: TariffSchedule) -> dict[str, Any]:
    return json.loads(schedule.model_dump_json())  # type: ignore[no-any-return]


def upsert_tenant(conn: psycopg.Connection[Any]) -> str:
    taken = conn.execute(seed_sql.TENANT_BY_SLUG, (TENANT["slug"],)).fetchone()
    if taken is not None and str(taken[0]) != TENANT["id"]:
        raise TenantSlugTaken(f"tenant slug {TENANT['slug']!r} belongs to tenant {taken[0]}, not {TENANT['id']}")
    row = conn.execute(seed_sql.UPSERT_TENANT, {**TENANT, "config": Jsonb(TENANT["config"])}).fetchone()
    if row is None:
        return "unchanged"
    return "inserted" if row[0] else "updated"


def upsert_tariffs(conn: psycopg.Connection[Any], schedules: list[TariffSchedule], report: ReferenceReport) -> None:
    tenant_id = TENANT["id"]
    for schedule in schedules:
        definition = _definition(schedule)
        stored = conn.execute(seed_sql.TARIFF_BY_NAME, (tenant_id, schedule.name)).fetchone()
        if stored is None:
            conn.execute(
                seed_sql.INSERT_TARIFF,
                (
                    tenant_id,
                    schedule.name,
                    schedule.tariff_class.value,
                    schedule.effective_from,
                    schedule.effective_to,
                    Jsonb(definition),
                ),
            )
            report.tariffs_inserted.append(schedule.name)
            continue
        _, tariff_class, effective_from, effective_to, stored_definition = stored
        if (tariff_class, effective_from, effective_to, stored_definition) != (
            schedule.tariff_class.value,
            schedule.effective_from,
            schedule.effective_to,
            definition,
        ):
            raise TariffConflict(
                f"tariff schedule {schedule.name!r} (version 1) is stored with a different definition or validity;"
                " publish the change as a new schedule instead of re-seeding"
            )
        report.tariffs_unchanged.append(schedule.name)


def seed_reference(owner_url: str, *, tariffs_dir: Path = TARIFFS_DIR) -> ReferenceReport:
    """Upsert the tenant and insert missing tariff schedules, in one transaction (as the owner role)."""
    schedules = load_tariff_files(tariffs_dir)
    with psycopg.connect(owner_url) as conn, conn.transaction():
        report = ReferenceReport(tenant=upsert_tenant(conn))
        upsert_tariffs(conn, schedules, report)
    return report
