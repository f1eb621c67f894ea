"""The operator CLI: one typer app composed from the command modules in cli/. `manage.py` adds the developer
commands (migrate, serve, demo, seed, bench, loadtest) from `devtools/commands/`."""

from __future__ import annotations

import typer

from cli import (
    billing,
    cfdi,
    csd,
    events,
    invariants,
    payments,
    queues,
    readings,
    revenue,
    runtime,
    tariff,
    token,
    webhooks,
)

app = typer.Typer(
    help="SUPRA Water (CEA Querétaro): comandos de operación y desarrollo.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(tariff.tariff_app, name="tariff")
app.add_typer(csd.csd_app, name="csd")
app.add_typer(cfdi.cfdi_app, name="cfdi")
app.add_typer(payments.payments_app, name="payments")
app.add_typer(payments.ledger_app, name="ledger")
app.add_typer(invariants.invariants_app, name="invariants")
app.add_typer(billing.billing_app, name="billing")
app.add_typer(readings.readings_app, name="readings")
app.add_typer(events.events_app, name="events")
app.add_typer(revenue.revenue_app, name="revenue")
app.add_typer(queues.queues_app, name="queues")
app.add_typer(webhooks.webhooks_app, name="webhooks")
app.command("token")(token.token_command)
app.command("bill")(billing.bill_command)


def main() -> None:
    runtime.load_local_settings_as_defaults()
    app()
