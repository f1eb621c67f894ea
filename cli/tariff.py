"""`python manage.py tariff quote`: price a consumption with a tariff schedule JSON file and print the breakdown.

The file is the same JSON the API accepts (`shared.domain.tariffs.schema.TariffSchedule`). Output is JSON with
Decimals as strings. Exit code 2, with the reasons on stderr, for an unreadable or invalid file, a bad number or
date, a date outside the schedule's validity, or a UMA schedule without a UMA value.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from shared.domain.tariffs.operations import InvalidConsumption, TariffNotInForce, UmaValueRequired, quote
from shared.domain.tariffs.schema import InvalidTariffSchedule, parse_schedule
from shared.domain.timezone import UTILITY_TZ

USAGE_ERROR = 2

tariff_app = typer.Typer(help="Tariff schedules: quote a consumption with a tariff JSON file.", no_args_is_help=True)


@tariff_app.callback()
def _tariff() -> None:
    """Tariff schedules: quote a consumption with a tariff JSON file."""


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=USAGE_ERROR)


def _decimal(text: str, option: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        _fail(f"{option} must be a decimal number, got {text!r}")
    if not value.is_finite():
        _fail(f"{option} must be a finite number, got {text!r}")
    return value


@tariff_app.command("quote")
def quote_command(
    tariff: Annotated[Path, typer.Option("--tariff", help="Tariff schedule JSON file.")],
    m3: Annotated[str, typer.Option("--m3", help="Consumption in m³ (decimal, ≥ 0).")],
    on: Annotated[
        str | None, typer.Option("--date", help="Quote date YYYY-MM-DD (default: today in Querétaro).")
    ] = None,
    uma_value: Annotated[str | None, typer.Option("--uma-value", help="MXN per UMA for schedules in UMA.")] = None,
) -> None:
    """Print the full breakdown (blocks, fixed charges, surcharges, IVA, totals, trace) as JSON."""
    try:
        raw = tariff.read_bytes()
    except OSError as error:
        _fail(f"cannot read tariff file {tariff}: {error.strerror or error}")
    try:
        schedule = parse_schedule(raw)
    except InvalidTariffSchedule as invalid:
        _fail(f"invalid tariff file {tariff}:\n" + "\n".join(f"  - {p}" for p in invalid.problems))
    consumption = _decimal(m3, "--m3")
    uma = _decimal(uma_value, "--uma-value") if uma_value is not None else None
    if on is None:
        quote_date = datetime.now(UTILITY_TZ).date()
    else:
        try:
            quote_date = date.fromisoformat(on)
        except ValueError:
            _fail(f"--date must be YYYY-MM-DD, got {on!r}")
    try:
        result = quote(schedule=schedule, m3=consumption, on=quote_date, uma_value=uma)
    except (TariffNotInForce, UmaValueRequired, InvalidConsumption) as error:
        _fail(str(error))
    typer.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))


from cli.revenue import tariff_what_if  # noqa: E402  (the what-if lives with the revenue commands)

tariff_app.command("what-if")(tariff_what_if)
