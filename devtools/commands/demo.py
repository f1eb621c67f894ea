"""`manage.py demo`: a fresh local utility exercised end to end through the local runner, then a summary.

Each capability adds its step here. The demo uses its own throwaway cluster (.local/demo), so it can run again.
"""

from __future__ import annotations

import secrets as pysecrets
import shutil
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime
from typing import Any

import httpx
import typer

from cli.billing import follow, run_billing
from cli.cfdi import write_sample
from cli.payments import run_payments_demo
from cli.runtime import LOCAL_DEMO, function_host, stack
from devtools.commands import demo_report
from devtools.commands.cfdi_local import csd_env, local_simulator, throwaway_csd
from devtools.demo_conversation import channel_env, describe, run_conversation_demo, start_agora
from devtools.fakes.conekta_server import ConektaFake
from devtools.fakes.whatsapp_server import WhatsAppFake
from devtools.seeding.plan import SyntheticSpec
from devtools.seeding.reference import TENANT, seed_reference
from devtools.seeding.synthetic import seed_synthetic
from shared.application.access.tokens import issue_token
from shared.application.billing import runs
from shared.data import db

DEMO_ACCOUNTS = 3000
DEMO_SECTORS = 4
DEMO_UNTIL = date(2026, 11, 1)
DEMO_PERIOD = "2026-10"


def _step(title: str) -> float:
    typer.echo(f"\n== {title}", err=True)
    return time.perf_counter()


def _count(tenant_id: Any, sql: str) -> int:
    with db.tenant_transaction(tenant_id) as conn:
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _relay(host: Any) -> dict[str, Any]:
    host.fire_timer("outbox_relay")
    stats = host.run_queues_until_idle(timeout=600)  # every consumer of 3,000 invoice.issued events, shared CPU
    return {
        "received": stats.received,
        "succeeded": stats.succeeded,
        "failed": stats.failed,
        "poisoned": stats.poisoned,
    }


def _download(host: Any, slug: str, invoice_id: int) -> dict[str, Any]:
    """XML and PDF of one invoice through the API as billing staff would (published to Blob Storage on the way)."""
    token = issue_token(tenant=slug, roles=["billing_admin"], now=datetime.now(UTC))
    out: dict[str, Any] = {}
    with httpx.Client(
        base_url=f"{host.base_url}/api/v1", timeout=30, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        for name in ("cfdi.xml", "bill.pdf"):
            r = client.get(f"/invoices/{invoice_id}/{name}")
            out[name] = {"status": r.status_code, "bytes": len(r.content), "type": r.headers.get("content-type")}
    with db.tenant_transaction(runs.tenant_id_for(slug)) as conn:
        row = conn.execute(
            "SELECT xml_blob, pdf_blob FROM cfdi_documents WHERE invoice_id = %s AND kind = 'I'", (invoice_id,)
        ).fetchone()
    out["blobs"] = list(row) if row else None
    return out


def _outbox_and_notices(host: Any, tenant_id: Any, whatsapp: WhatsAppFake) -> dict[str, Any]:
    consumed = "SELECT count(*) FROM processed_events WHERE consumer = 'event-log'"
    before = _count(tenant_id, consumed)
    outbox = {
        "relay": _relay(host),
        "events_consumed": _count(tenant_id, consumed) - before,
        "still_pending": _count(tenant_id, "SELECT count(*) FROM domain_events WHERE published_at IS NULL"),
    }
    with db.tenant_transaction(tenant_id) as conn:
        outcomes = dict(
            conn.execute("SELECT coalesce(skip_reason, status), count(*) FROM notifications GROUP BY 1").fetchall()
        )
    notices = {
        "outcomes": outcomes,
        "messages_received_by_fake": len(whatsapp.sent),
        "example": describe(whatsapp.sent[0]) if whatsapp.sent else None,
    }
    return {"outbox": outbox, "whatsapp_notices": notices}


def _approve(host: Any, slug: str, run_id: int) -> dict[str, Any]:
    """POST /billing-runs/{id}/approve as billing staff would."""
    token = issue_token(tenant=slug, roles=["billing_admin"], now=datetime.now(UTC))
    r = httpx.post(
        f"{host.base_url}/api/v1/billing-runs/{run_id}/approve",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    if r.status_code != 202:
        typer.echo(f"approval refused: {r.status_code} {r.text}", err=True)
        raise typer.Exit(1)
    return dict(r.json())


def _secrets_env(pac_url: str, conekta: ConektaFake, spei_secret: str) -> dict[str, str]:
    """Local stand-ins for the Key Vault secrets: a throwaway CSD for the tenant's RFC, the simulator as PAC."""
    csd = throwaway_csd(str(TENANT["rfc"]), str(TENANT["fiscal_name"]).upper())
    return {
        **csd_env(csd),
        "PAC_PROVIDER": "simulator",
        "PAC_URL": pac_url,
        "CONEKTA_WEBHOOK_PUBLIC_KEY": conekta.public_pem,
        "SPEI_WEBHOOK_SECRET": spei_secret,
    }


def demo_command() -> None:
    """Install-free end-to-end run: seed, health, billing, issue, outbox, CFDI, payments; prints a summary."""
    shutil.rmtree(LOCAL_DEMO, ignore_errors=True)
    LOCAL_DEMO.mkdir(parents=True)
    summary: dict[str, Any] = {}
    key_file = LOCAL_DEMO / "conekta-demo-key.pem"
    conekta, spei_secret = ConektaFake.load_or_create(key_file), pysecrets.token_urlsafe(24)
    whatsapp = WhatsAppFake().start()
    with ExitStack() as scope:
        scope.callback(whatsapp.stop)
        agora = start_agora(scope)
        pac_url = scope.enter_context(local_simulator())
        s = scope.enter_context(stack(root=LOCAL_DEMO, throwaway=True))
        env = {
            **_secrets_env(pac_url, conekta, spei_secret),
            "WHATSAPP_API_URL": whatsapp.url,
            "WHATSAPP_PHONE_NUMBER_ID": whatsapp.phone_number_id,
            "WHATSAPP_API_KEY": whatsapp.api_key,
            **channel_env(whatsapp, agora),
            **demo_report.log_env(LOCAL_DEMO),  # JSON logs to .local/demo/logs/, not the terminal
        }
        host = scope.enter_context(function_host(s, extra_env=env))
        slug = str(TENANT["slug"])

        t = _step("seed: reference data and a synthetic utility")
        seed_reference(s.migrations_url)
        report = seed_synthetic(
            s.migrations_url,
            SyntheticSpec(accounts=DEMO_ACCOUNTS, sectors=DEMO_SECTORS, months=13, seed=7, until=DEMO_UNTIL),
        )
        summary["seed"] = {
            "accounts": report.rows("accounts"),
            "sectors": DEMO_SECTORS,
            "meter_readings": report.rows("meter_readings"),
            "seconds": round(time.perf_counter() - t, 2),
        }
        tenant_id = runs.tenant_id_for(slug)

        _step("health: /api/health/ready through the HTTP trigger")
        ready = httpx.get(f"{host.base_url}/api/health/ready", timeout=10)
        summary["health_ready"] = {"status": ready.status_code, "body": ready.json()}
        if ready.status_code != 200:
            raise typer.Exit(1)

        t = _step(f"billing run {DEMO_PERIOD} through the durable orchestrator, then the review policy")
        # The synthetic utility's reads are fixed in 2026, so the demo bills 2026-10 as back-billing whatever the
        # date; the run waits for an operator's approval (the tenant's policy does not auto-issue).
        result = run_billing(
            host, tenant=slug, period=DEMO_PERIOD, sector=None, now=datetime.now(UTC), back_billing=True
        )
        progress = result["progress"]
        summary["billing"] = {
            "status": result["status"],
            "accounts_billed": progress["invoices"],
            "estimated": progress["estimated"],
            "exceptions_held": progress["held"],
            "review": progress["review"],
            "run_held_reason": progress["review_reason"],
            "total_billed": progress["total_billed"],
            "sectors": progress["sectors"],
            "seconds": round(time.perf_counter() - t, 2),
        }
        if result["status"] != "AWAITING_APPROVAL":
            raise typer.Exit(1)

        t = _step("approval through the API: the orchestration issues, then stamps (CFDI 4.0, local PAC simulator)")
        approved = _approve(host, slug, result["run_id"])
        closed = follow(
            host,
            tenant_id=tenant_id,
            run_id=result["run_id"],
            instance_id=approved["instance_id"],
            until_waiting=False,
            timeout=900,
        )
        output = closed["output"] or {}
        summary["billing"]["issued"] = (output.get("issue") or {}).get("issued")
        # Bills are published lazily, on their first download (production default, docs/cfdi.md); the sample
        # below is downloaded through the API, which stores it in Blob Storage.
        sample = write_sample(tenant_id, LOCAL_DEMO / "cfdi-sample")
        summary["cfdi"] = {
            "status": closed["status"],
            "approve": approved,
            "result": output.get("cfdi"),
            "seconds": round(time.perf_counter() - t, 2),
            "sample": sample,
            "downloads": _download(host, slug, int(sample["invoice_id"])),
        }
        if closed["status"] != "COMPLETED":
            raise typer.Exit(1)

        _step("outbox relay: timer → domain-events queue → queue trigger")
        summary.update(_outbox_and_notices(host, tenant_id, whatsapp))

        _step("payments: signed Conekta and SPEI webhooks through the HTTP trigger")
        host.queues.start()
        summary["payments"] = run_payments_demo(
            base_url=host.base_url,
            tenant_slug=slug,
            key_file=str(key_file),
            spei_secret=spei_secret,
            echo=lambda *_a, **_k: None,
        )
        _step("conversation: WhatsApp, bot, leak report, Chatwoot handoff, the crew's 'reparado' notice")
        summary["conversation"] = run_conversation_demo(
            host=host, slug=slug, tenant_id=tenant_id, owner_url=s.migrations_url, whatsapp=whatsapp, agora=agora
        )
    typer.echo(demo_report.finish(summary, root=LOCAL_DEMO))  # short summary; the full one in summary.json
