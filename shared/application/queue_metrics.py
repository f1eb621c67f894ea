"""Monitoring samples: every app queue and its poison queue into `queue_messages_waiting` (the queue-backlog alerts
and the Queues workbook read it), the open dead letters, the app pool's connections and the database's cache hit
ratio and largest tables (Database Health workbook), and the tenants whose billing day it is
(`billing_runs_due_total`, which makes the billing-no-invoices alert aware of each tenant's schedule)."""

from __future__ import annotations

import logging
from datetime import datetime

from shared.adapters.queue_depth import approximate_length
from shared.application.billing import due_today, local_date, tenant_slugs
from shared.application.dead_letters import dead_letter_queues, open_counts
from shared.data import db, db_health, kpis
from shared.domain.timezone import UTILITY_TZ
from shared.platform.metrics import (
    billing_invoice_average_mxn,
    billing_runs_due_total,
    db_cache_hit_ratio,
    db_pool_connections,
    db_table_bytes,
    payments_revenue_today_mxn,
    queue_messages_waiting,
)

__all__ = ["record_billing_due", "sample_business", "sample_database", "sample_queue_depths"]
log = logging.getLogger(__name__)


def sample_queue_depths() -> dict[str, int]:
    """Record the waiting messages of every queue and `<queue>-poison`; returns what was recorded. A queue that
    cannot be read is logged and skipped (the others are still recorded)."""
    depths: dict[str, int] = {}
    for base in dead_letter_queues():
        for name in (base, f"{base}-poison"):
            try:
                depths[name] = approximate_length(name)
            except Exception:
                log.exception("queue length unavailable", extra={"queue": name})
                continue
            queue_messages_waiting.set(depths[name], {"queue": name})
    log.info("queue depths sampled", extra={"depths": depths, "dead_letters_open": _open_letters()})
    return depths


def _open_letters() -> dict[str, int]:
    try:
        return open_counts()
    except Exception:
        log.exception("dead letters count unavailable")
        return {}


def sample_database(*, tables: bool) -> dict[str, float]:
    """Pool connections by state, cache hit ratio and (with `tables`) the largest tables' sizes."""
    stats = db.get_pool().get_stats()
    size, idle = stats.get("pool_size", 0), stats.get("pool_available", 0)
    db_pool_connections.set(size - idle, {"state": "in_use"})
    db_pool_connections.set(idle, {"state": "idle"})
    out: dict[str, float] = {"in_use": size - idle, "idle": idle}
    with db.connection() as conn, conn.transaction():
        ratio = db_health.cache_hit_ratio(conn)
        sizes = db_health.largest_tables(conn) if tables else []
    if ratio is not None:
        db_cache_hit_ratio.set(ratio)
        out["cache_hit_ratio"] = ratio
    for t in sizes:
        db_table_bytes.set(t.bytes, {"table": t.table})
    return out


def record_billing_due(*, now: datetime) -> list[str]:
    """Count each tenant whose billing day is today (at the billing timer's schedule); returns their slugs."""
    today, due = local_date(now), []
    for slug in tenant_slugs():
        if due_today(tenant_slug=slug, today=today) is not None:
            billing_runs_due_total.add(1, {"tenant": slug})
            due.append(slug)
    log.info("billing days checked", extra={"due": due})
    return due


def sample_business(*, now: datetime, invoices: bool) -> dict[str, float]:
    """Today's applied revenue by channel (all tenants) and, with `invoices`, the average issued invoice."""
    midnight = now.astimezone(UTILITY_TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    by_channel: dict[str, float] = {}
    totals: list[float] = []
    for tenant_id in db.tenant_ids():
        with db.tenant_transaction(tenant_id) as conn:
            for row in kpis.revenue_since(conn, since=midnight):
                by_channel[row.channel] = by_channel.get(row.channel, 0.0) + float(row.amount)
            average = kpis.average_issued_invoice(conn) if invoices else None
        if average is not None:
            totals.append(float(average))
    for channel, amount in by_channel.items():
        payments_revenue_today_mxn.set(amount, {"channel": channel})
    if totals:
        billing_invoice_average_mxn.set(sum(totals) / len(totals))
    return by_channel
