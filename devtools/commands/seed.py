"""`python manage.py seed`: reference data (tenant cea-queretaro, tariff schedules) and a synthetic utility.

    python manage.py seed                                   # reference data + 1,000 synthetic accounts
    python manage.py seed --accounts 400000 --sectors 40 --months 12 --seed 7 --until 2026-11
    python manage.py seed --accounts 0                      # reference data only
    python manage.py seed --accounts 5000 --reset           # replace the tenant's customer data

Runs as the owner role (bulk COPY): --database-url, else MIGRATIONS_DATABASE_URL. Reads cover the --months months
before --until (YYYY-MM, default: the current month in Querétaro). A tenant that already has accounts is refused
unless --reset is given, which first empties its customer and operational tables (never tenants, users, API
clients, tariffs or folio series). Exit code 2 for bad options, 1 when seeding fails.

Register with `app.add_typer(seed_app, name="seed")` (the sub-app runs its callback when no sub-command is
given) or `app.command("seed")(seed_command)`.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from devtools.seeding.plan import InvalidSpec, SyntheticSpec
from devtools.seeding.reference import (
    InvalidTariffFile,
    TariffConflict,
    TenantSlugTaken,
    seed_reference,
)
from devtools.seeding.synthetic import SeedFailed, TenantAlreadySeeded, TenantMissing, seed_synthetic
from shared.domain.timezone import UTILITY_TZ
from shared.platform.config import get_settings

USAGE_ERROR = 2
PLANTED_OUT = Path(".local/planted.json")
FAILURE = 1


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=code)


def _until(text: str | None) -> dt.date:
    if text is None:
        return dt.datetime.now(UTILITY_TZ).date().replace(day=1)
    if re.fullmatch(r"\d{4}-\d{2}", text):
        try:
            return dt.date.fromisoformat(f"{text}-01")
        except ValueError:
            pass  # e.g. month 13: reported below
    _fail(f"--until must be YYYY-MM, got {text!r}", USAGE_ERROR)


def seed_command(
    *,
    accounts: Annotated[int, typer.Option("--accounts", min=0, help="Synthetic accounts (0: reference only).")] = 1000,
    sectors: Annotated[int, typer.Option("--sectors", min=1, help="Hydraulic sectors S01..Snn.")] = 20,
    months: Annotated[int, typer.Option("--months", min=1, help="Months of meter reads per account.")] = 12,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same data.")] = 42,
    until: Annotated[str | None, typer.Option("--until", help="YYYY-MM: reads end before this month.")] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Replace the tenant's existing customer data.")] = False,
    serial: Annotated[bool, typer.Option("--serial", help="One process (no parallel readings loader).")] = False,
    database_url: Annotated[str | None, typer.Option("--database-url", help="Owner-role URL.")] = None,
    plant: Annotated[
        int, typer.Option("--plant", min=0, help="Plant N known frauds and meter faults (devtools/seeding/planted.py).")
    ] = 0,
    planted_out: Annotated[Path, typer.Option("--planted-out", help="The planted cases (JSON).")] = PLANTED_OUT,
) -> None:
    """Seed the reference data, then (unless --accounts 0) a synthetic utility. Without --database-url or
    MIGRATIONS_DATABASE_URL it seeds the local stack's database (.local/pg, the one `make serve` uses)."""
    url = database_url or get_settings().MIGRATIONS_DATABASE_URL
    if not url:
        from cli.runtime import stack

        with stack() as local:
            _seed(
                local.migrations_url,
                accounts=accounts,
                sectors=sectors,
                months=months,
                seed=seed,
                until=until,
                reset=reset,
                serial=serial,
            )
            _plant(local.migrations_url, plant=plant, seed=seed, out=planted_out)
        return
    _seed(url, accounts=accounts, sectors=sectors, months=months, seed=seed, until=until, reset=reset, serial=serial)
    _plant(url, plant=plant, seed=seed, out=planted_out)


def _plant(url: str, *, plant: int, seed: int, out: Path) -> None:
    """Opt-in (--plant N): known revenue-loss cases for measuring the inspection ranking (issue 17)."""
    if not plant:
        return
    from devtools.seeding.catalog import TENANT_ID
    from devtools.seeding.planted import plant_cases, write_planted

    try:
        cases = plant_cases(url, tenant_id=TENANT_ID, count=plant, seed=seed)
    except ValueError as error:
        _fail(str(error), FAILURE)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_planted(out, cases)
    typer.echo(f"planted {len(cases)} cases (frauds and meter faults) listed in {out}")


def _seed(
    url: str, *, accounts: int, sectors: int, months: int, seed: int, until: str | None, reset: bool, serial: bool
) -> None:
    until_month = _until(until)
    spec = None
    if accounts:
        if sectors > accounts:
            typer.echo(f"note: {accounts} accounts cannot fill {sectors} sectors; using {accounts} sectors")
            sectors = accounts
        try:
            spec = SyntheticSpec(accounts=accounts, sectors=sectors, months=months, seed=seed, until=until_month)
        except InvalidSpec as invalid:
            _fail(str(invalid), USAGE_ERROR)
    try:
        reference = seed_reference(url)
    except (InvalidTariffFile, TariffConflict, TenantSlugTaken) as error:
        _fail(str(error), FAILURE)
    typer.echo(
        f"reference: tenant {reference.tenant}; tariffs inserted {len(reference.tariffs_inserted)},"
        f" unchanged {len(reference.tariffs_unchanged)}"
    )
    if spec is None:
        return
    try:
        report = seed_synthetic(url, spec, reset=reset, parallel=not serial, progress=typer.echo)
    except (TenantAlreadySeeded, TenantMissing, SeedFailed) as error:
        _fail(str(error), FAILURE)
    typer.echo(report.summary())


seed_app = typer.Typer(help="Seed reference data and a synthetic utility.", invoke_without_command=True)
seed_app.callback(invoke_without_command=True)(seed_command)
