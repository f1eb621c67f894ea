"""`python manage.py payments ...` (and `python manage.py ledger check`): ledger check, poison replay, daily
reconciliation, provider re-fetch, suspense queue; each uses DATABASE_URL or finds (or starts) the local database.
Output is JSON; exit code 1 when the ledger check finds
violations or a reconciliation does not balance, 2 for usage errors."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, NoReturn
from uuid import UUID

import typer

from cli.runtime import needs_database
from shared.application import payments
from shared.application.payments import ledger, overview
from shared.domain.errors import SupraError

USAGE_ERROR = 2
payments_app = typer.Typer(
    help="Pagos: verificación del ledger, reproceso de mensajes envenenados, conciliación.", no_args_is_help=True
)
ledger_app = typer.Typer(help="Ledger de cuentas: verificación de invariantes.", no_args_is_help=True)


@payments_app.callback()
def _payments() -> None:
    """Payments operations."""


@ledger_app.callback()
def _ledger() -> None:
    """Account ledger."""


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=USAGE_ERROR)


def _tenants(slug: str | None) -> list[UUID]:
    if slug is None:
        return ledger.all_tenants()
    try:
        return [payments.resolve_tenant(slug=slug)]
    except payments.TenantNotResolved as exc:
        _fail(str(exc))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"--date must be YYYY-MM-DD, got {text!r}")


def _echo(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str, ensure_ascii=False))


TenantOpt = Annotated[str | None, typer.Option("--tenant", help="Tenant slug (default: every tenant)")]


@needs_database
def _ledger_check(tenant: str | None) -> None:
    reports = [ledger.check_tenant(tenant_id=t) for t in _tenants(tenant)]
    _echo(
        [
            {
                "tenant_id": r.tenant_id,
                "ok": r.ok,
                "suspense_count": r.suspense_count,
                "suspense_amount": r.suspense_amount,
                "violations": {k: v for k, v in r.violations.items() if v},
            }
            for r in reports
        ]
    )
    if not all(r.ok for r in reports):
        raise typer.Exit(code=1)


@payments_app.command("ledger-check")
def ledger_check(tenant: TenantOpt = None) -> None:
    """Check the ledger invariants (balance = charges − payments ± adjustments, allocations within payments and
    invoices, no negative allocation, every movement has a source)."""
    _ledger_check(tenant)


@ledger_app.command("check")
def ledger_check_alias(tenant: TenantOpt = None) -> None:
    """Same as `payments ledger-check`."""
    _ledger_check(tenant)


@payments_app.command("replay-poison")
@needs_database
def replay_poison(
    tenant: TenantOpt = None,
    inbox_id: Annotated[int | None, typer.Option("--inbox-id", help="Only this inbox row")] = None,
    list_only: Annotated[bool, typer.Option("--list", help="List, do not replay")] = False,
) -> None:
    """Re-apply payments-queue messages that went to the poison queue (idempotent)."""
    out: list[Any] = []
    for t in _tenants(tenant):
        if list_only:
            out.extend({"tenant_id": t, **p._asdict()} for p in payments.list_poison(tenant_id=t))
        else:
            out.extend(
                {"tenant_id": o.tenant_id, "inbox_id": o.inbox_id, "result": o.result}
                for o in payments.replay_poison(tenant_id=t, inbox_id=inbox_id, now=datetime.now(UTC))
            )
    _echo(out)


@payments_app.command("reconcile")
@needs_database
def reconcile_day(
    date_: Annotated[str, typer.Option("--date", help="Day to reconcile, YYYY-MM-DD")], tenant: TenantOpt = None
) -> None:
    """Daily report per provider and channel: expected from provider events vs applied."""
    day = _day(date_)
    out = []
    for t in _tenants(tenant):
        for r in payments.reconcile_day(tenant_id=t, day=day):
            out.append(
                {
                    "tenant_id": t,
                    "day": day,
                    "provider": r.provider,
                    "channel": r.channel,
                    "expected": {"count": r.expected_count, "amount": r.expected_amount},
                    "applied": {"count": r.applied_count, "amount": r.applied_amount},
                    "unmatched": {"count": r.unmatched_count, "amount": r.unmatched_amount},
                    "missing": r.missing,
                    "balanced": r.balanced,
                }
            )
    _echo(out)
    if not all(o["balanced"] for o in out):
        raise typer.Exit(code=1)


@payments_app.command("refetch")
@needs_database
def refetch(
    provider: Annotated[str, typer.Option("--provider", help="conekta")],
    date_: Annotated[str, typer.Option("--date", help="Day to re-fetch, YYYY-MM-DD")],
    tenant: TenantOpt = None,
    base_url: Annotated[str, typer.Option("--base-url", help="Provider API URL")] = "https://api.conekta.io",
) -> None:
    """Fetch the provider's events of a day and apply the ones never received (idempotent)."""
    day = _day(date_)
    out = []
    for t in _tenants(tenant):
        try:
            result = payments.refetch_day(
                tenant_id=t, provider=provider, day=day, base_url=base_url, now=datetime.now(UTC)
            )
        except payments.RefetchNotSupported as exc:
            _fail(str(exc))
        out.append({"tenant_id": t, "fetched": result.fetched, "stored": result.stored, "applied": result.applied})
    _echo(out)


@payments_app.command("suspense")
@needs_database
def suspense(tenant: TenantOpt = None) -> None:
    """Unmatched payments waiting for an operator."""
    out: list[dict[str, Any]] = []
    for t in _tenants(tenant):
        out.extend({"tenant_id": t, **row._asdict()} for row in payments.unmatched_payments(tenant_id=t))
    _echo(out)


@payments_app.command("assign")
@needs_database
def assign(
    payment_id: Annotated[int, typer.Option("--payment")],
    account_id: Annotated[int, typer.Option("--account")],
    tenant: Annotated[str, typer.Option("--tenant")] = "cea-queretaro",
    operator: Annotated[str, typer.Option("--by")] = "cli",
) -> None:
    """Place an unmatched (suspense) payment on an account; it is allocated like any payment."""
    try:
        payments.assign_suspense_payment(
            tenant_id=_tenants(tenant)[0],
            payment_id=payment_id,
            account_id=account_id,
            operator=operator,
            now=datetime.now(UTC),
        )
    except (
        payments.PaymentNotFound,
        payments.AccountNotFound,
        payments.PaymentNotInSuspense,
        payments.PaymentNotInPesos,
    ) as exc:
        _fail(str(exc))
    _echo({"payment_id": payment_id, "account_id": account_id, "assigned": True})


@payments_app.command("sign-plan")
@needs_database
def sign_plan(
    account_id: Annotated[int, typer.Option("--account")],
    down_payment: Annotated[str, typer.Option("--down-payment")],
    installments: Annotated[int, typer.Option("--installments")],
    first_due: Annotated[str, typer.Option("--first-due", help="YYYY-MM-DD")],
    tenant: Annotated[str, typer.Option("--tenant")] = "cea-queretaro",
    operator: Annotated[str, typer.Option("--by")] = "cli",
) -> None:
    """Sign a payment plan (convenio) for the account's open invoices."""
    try:
        plan_id = payments.sign_plan(
            tenant_id=_tenants(tenant)[0],
            account_id=account_id,
            down_payment=Decimal(down_payment),
            installments=installments,
            first_due=date.fromisoformat(first_due),
            created_by=operator,
            now=datetime.now(UTC),
        )
    except (SupraError, ValueError, ArithmeticError) as exc:
        _fail(str(exc))
    _echo({"plan_id": plan_id})


def run_payments_demo(
    *,
    base_url: str,
    tenant_slug: str,
    key_file: str,
    spei_secret: str,
    accounts: int = 3,
    wait_seconds: float = 30.0,
    echo: Any = typer.echo,
) -> list[dict[str, Any]]:
    """Send signed Conekta (OXXO, card) and SPEI webhooks for demo accounts with open invoices to a running host
    (the host must have CONEKTA_WEBHOOK_PUBLIC_KEY = the key in `key_file` and SPEI_WEBHOOK_SECRET = `spei_secret`),
    wait until they are applied and show balances before and after."""
    import time

    import httpx

    from devtools.fakes.conekta_server import ConektaFake

    tenant = _tenants(tenant_slug)[0]
    rows, before = overview.accounts_with_open_debt(tenant_id=tenant, limit=accounts)
    if not rows:
        _fail("no demo account has open invoices: seed and bill first")
    fake = ConektaFake.load_or_create(key_file)
    sent: list[tuple[str, str]] = []
    url = base_url.rstrip("/")
    with httpx.Client(timeout=10) as client:
        for i, (_account_id, number, reference, clabe, open_amount) in enumerate(rows):
            amount = Decimal(open_amount)
            if i % 3 == 0:  # OXXO cash for the whole debt, delivered twice (the redelivery changes nothing)
                event = fake.charge_paid(fake.charge(amount=amount, method="cash", reference=reference))
                for _ in range(2):
                    fake.deliver(f"{url}/api/v1/webhooks/conekta?tenant={tenant_slug}", event, client=client)
                sent.append((f"conekta/oxxo {event['id']}", str(amount)))
            elif i % 3 == 1:  # card, half of it, with the account in the order metadata
                half = (amount / 2).quantize(Decimal("0.01"))
                charge = fake.charge(amount=half, method="card")
                event = fake.order_paid(charge, account_number=number)
                fake.deliver(f"{url}/api/v1/webhooks/conekta?tenant={tenant_slug}", event, client=client)
                sent.append((f"conekta/card {event['id']}", str(half)))
            else:  # SPEI abono to the account's CLABE
                ident = int(time.time() * 1000) % 10**12 + i
                body = json.dumps(
                    {
                        "id": ident,
                        "fechaOperacion": int(time.strftime("%Y%m%d")),
                        "monto": str(amount),
                        "cuentaBeneficiario": clabe,
                        "claveRastreo": f"DEMO{ident}",
                        "nombreOrdenante": "DEMO",
                        "conceptoPago": "PAGO AGUA",
                        "tsLiquidacion": str(int(time.time() * 1000)),
                    }
                ).encode()
                r = client.post(
                    f"{url}/api/v1/webhooks/spei?tenant={tenant_slug}",
                    content=body,
                    headers={
                        "X-Spei-Signature": payments.spei_signature(body=body, secret=spei_secret),
                        "Content-Type": "application/json",
                    },
                )
                sent.append((f"spei {ident} -> {r.json().get('mensaje')}", str(amount)))
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if overview.pending_inbox_count(tenant_id=tenant) == 0:
            break
        time.sleep(0.5)
    after = overview.account_balances(tenant_id=tenant, account_ids=[r.id for r in rows])
    out: list[dict[str, Any]] = [
        {"account": r.account_number, "balance_before": before[r.id], "balance_after": after[r.id]} for r in rows
    ]
    for what, sent_amount in sent:
        echo(f"  webhook {what}: ${sent_amount}")
    for row in out:
        echo(f"  cuenta {row['account']}: saldo ${row['balance_before']} -> ${row['balance_after']}")
    return out


@payments_app.command("demo-webhooks")
@needs_database
def demo_webhooks(
    base_url: Annotated[str, typer.Option("--base-url")],
    tenant: Annotated[str, typer.Option("--tenant")],
    key_file: Annotated[str, typer.Option("--key-file")] = ".local/conekta-demo-key.pem",
    spei_secret: Annotated[str, typer.Option("--spei-secret", envvar="SPEI_WEBHOOK_SECRET")] = "",
    accounts: Annotated[int, typer.Option("--accounts")] = 3,
) -> None:
    """Send signed Conekta and SPEI webhooks to a running host and show balances before and after."""
    if not spei_secret:
        _fail("--spei-secret (or SPEI_WEBHOOK_SECRET) is required")
    run_payments_demo(
        base_url=base_url, tenant_slug=tenant, key_file=key_file, spei_secret=spei_secret, accounts=accounts
    )
