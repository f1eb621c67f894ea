"""Stamping a billing run: plan per sector, stamp chunks of invoices, keep per-invoice status and run counters.

Per chunk (`stamp_chunk`):
1. one SELECT reads the chunk's issued invoices with lines and receivers, and any Ingreso already started;
2. documents signed in an earlier round are re-sent as they are, never re-signed (the client recovers 307 with
   `stamped`); only one whose Fecha left the 72-hour window is signed again, after the PAC confirms it has no stamp;
3. new invoices are validated (rejected with reasons, before the PAC) or built and signed on the native fast path,
   in batches of SIGN_BATCH: each batch's signed XML is committed (status 'signed') BEFORE any of its PAC calls
   (COPY + one INSERT), then goes to the PAC thread pool while the next batch is signed;
4. outcomes are written in one statement: stamped (UUID + XML), failed_retryable (incidence) or rejected;
5. over-estimate credits of newly stamped invoices become Egresos related to the original UUID(s).
A PAC outage opens a breaker: the rest of the chunk stays 'signed' (pending) and `PacUnavailable` is raised after
everything is saved, so the durable retry (or a later round) re-sends exactly the same bytes.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from shared.adapters.pac import PacRetryableError
from shared.adapters.pac.incidences import NOT_STAMPED_YET
from shared.application.cfdi import mapping
from shared.application.cfdi.pac_calls import Outcome, PacSender, fecha_timbrado
from shared.application.cfdi.services import CfdiServices
from shared.application.cfdi.setup import load_config, services_of
from shared.application.cfdi.tenant_config import TenantCfdiConfig, tenant_config
from shared.data import billing as billing_data
from shared.data import cfdi as data
from shared.data import cfdi_sources as sources
from shared.data.cfdi import NewDocument, Resigned
from shared.data.db import tenant_transaction
from shared.domain.billing.errors import BillingError
from shared.domain.cfdi.models import InvoicingModel
from shared.domain.errors import Conflict, NotFound
from shared.domain.timezone import UTILITY_TZ
from shared.platform.metrics import cfdi_stamped_total, cfdi_stamping_failures_total
from shared.platform.telemetry import record_phase

log = logging.getLogger(__name__)
CHUNK_SIZE = 1000
SIGN_BATCH = 250
"""New documents are signed and committed in batches of this size; each batch goes to the PAC while the next one
is being signed."""


class PacUnavailable(RuntimeError):
    """The PAC kept failing with retryable errors; the chunk's unsent documents stay signed for a retry."""


class StampRunNotFound(BillingError, NotFound, LookupError):
    """No billing run with that id for this tenant."""

    default_code = "billing_run_not_found"
    detail = "La corrida de facturación no existe."


class RunNotIssued(BillingError, Conflict, ValueError):
    """The billing run has no issued invoice: there is nothing to stamp until it is approved and issued."""

    default_code = "billing_run_not_issued"


class NoStampingRound(BillingError, NotFound, LookupError):
    """The billing run has had no stamping round yet."""

    default_code = "stamping_round_not_found"
    detail = "La corrida no tiene rondas de timbrado."


# ------------------------------------------------------------------------------------------ run level
def stamps_at_billing(*, tenant_id: UUID | str) -> bool:
    """Whether the tenant stamps its invoices when they are issued (at_billing) rather than when paid."""
    return load_config(tenant_id).model is InvoicingModel.AT_BILLING


def start_stamping(*, tenant_id: UUID | str, run_id: int) -> dict[str, Any]:
    """Open a stamping round for a billing run; returns the orchestration to start:
    {"instance_id": ..., "input": {"tenant_id", "run_id", "round"}}. Each round is a new instance; documents are
    keyed by invoice, so a round only sends what is still pending. A missing run is StampRunNotFound; a run with
    no issued invoice is RunNotIssued (nothing is recorded)."""
    with tenant_transaction(tenant_id) as conn:
        if billing_data.get_run(conn, run_id) is None:
            raise StampRunNotFound(f"billing run {run_id} not found")
        if not billing_data.run_totals(conn, run_id).issued:
            raise RunNotIssued(f"la corrida {run_id} no tiene facturas emitidas: apruébela antes de timbrar")
        round_no = data.begin_round(conn, tenant_id=tenant_id, run_id=run_id)
        instance_id = f"cfdi-stamp-{tenant_id}-{run_id}-r{round_no}"
        data.set_round_instance(conn, run_id=run_id, instance_id=instance_id)
    return {"instance_id": instance_id, "input": {"tenant_id": str(tenant_id), "run_id": run_id, "round": round_no}}


def plan_run(*, tenant_id: UUID | str, run_id: int, chunk_size: int = CHUNK_SIZE) -> dict[int, list[list[int]]]:
    """{sector_id: [[first_id, last_id, invoices], ...]} of the invoices still to stamp, in one query (none under
    the on_payment model: those are stamped when paid)."""
    config = load_config(tenant_id)
    if config.model is not InvoicingModel.AT_BILLING:
        return {}
    plan: dict[int, list[list[int]]] = {}
    with tenant_transaction(tenant_id) as conn:
        for r in data.run_chunks(conn, run_id=run_id, chunk_size=chunk_size):
            plan.setdefault(int(r["sector_id"]), []).append([int(r["first_id"]), int(r["last_id"]), int(r["invoices"])])
    return plan


def round_status(*, tenant_id: UUID | str, run_id: int) -> dict[str, Any]:
    """The run's latest stamping round as stored (round number, instance, status) with live document counts."""
    with tenant_transaction(tenant_id) as conn:
        if billing_data.get_run(conn, run_id) is None:
            raise StampRunNotFound(f"billing run {run_id} not found")
        stored = data.stamp_run(conn, run_id)
        if stored is None:
            raise NoStampingRound(f"billing run {run_id} has no stamping round")
        live = dict(data.run_counters(conn, run_id))
    return {
        "run_id": run_id,
        "round": int(stored["rounds"]),
        "instance_id": stored["instance_id"],
        "status": stored["status"],
        "started_at": stored["started_at"].isoformat() if stored["started_at"] else None,
        "completed_at": stored["completed_at"].isoformat() if stored["completed_at"] else None,
        "documents": live,
        "last_round": stored["counters"],
    }


def finish_run(*, tenant_id: UUID | str, run_id: int, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run-level counters from the documents (the source of truth), stored on cfdi_stamp_runs."""
    with tenant_transaction(tenant_id) as conn:
        counters = dict(data.run_counters(conn, run_id))
        attempted = counters["stamped"] + counters["failed_retryable"] + counters["rejected"]
        counters["success_rate"] = round(counters["stamped"] / attempted, 6) if attempted else None
        counters.update(extra or {})
        status = "completed" if counters["pending"] == 0 and counters["failed_retryable"] == 0 else "incomplete"
        data.finish_round(conn, tenant_id=tenant_id, run_id=run_id, status=status, counters=counters)
    counters["status"] = status
    return counters


# ------------------------------------------------------------------------------------------ chunk
def _count(outcomes: list[Outcome]) -> dict[str, int]:
    counts = {"stamped": 0, "failed_retryable": 0, "rejected": 0, "not_sent": 0}
    for o in outcomes:
        counts["not_sent" if o.status == "signed" else o.status] += 1
    return counts


STAMP_WINDOW = dt.timedelta(hours=70)
"""A PAC refuses a CFDI whose Fecha is more than 72 hours old (incidence 401); re-sign with a margin."""


def _too_old_to_stamp(doc_fecha: dt.datetime | None, now_local: dt.datetime) -> bool:
    return doc_fecha is not None and now_local - doc_fecha > STAMP_WINDOW


def _refresh_stale(
    stale: list[dict[str, Any]],
    *,
    config: TenantCfdiConfig,
    services: CfdiServices,
    fecha: dt.datetime,
    signed_at: dt.datetime,
) -> tuple[list[Outcome], list[Resigned]]:
    """Documents signed long ago and never confirmed: first ask the PAC for an existing stamp (`stamped`: a timeout
    may have hidden a success); only when it has none (603) is the invoice signed again with a new Fecha. A second
    valid CFDI can never appear: the old bytes were never stamped, and the new ones replace them before any send."""
    recovered: list[Outcome] = []
    resigned: list[Resigned] = []
    for row in stale:
        doc_id, xml = int(row["doc_id"]), bytes(row["signed_xml"])
        try:
            found = services.pac.stamped(xml, fresh=False)
        except PacRetryableError as exc:
            if exc.incidence.code != NOT_STAMPED_YET:
                raise PacUnavailable(f"cannot confirm document {doc_id}: {exc.incidence.code}") from exc
        else:
            recovered.append(
                Outcome(
                    doc_id,
                    "stamped",
                    uuid=found.uuid,
                    xml=found.xml,
                    fecha_timbrado=fecha_timbrado(found.fecha_timbrado),
                    sent_xml=xml,
                )
            )
            continue
        prepared = mapping.prepare_ingreso(row, config, fecha=fecha)
        if prepared.computed is None:  # the receiver's data changed meanwhile: the next round rejects it cleanly
            continue
        resigned.append(Resigned(doc_id, services.signer.sign_native(prepared.computed).xml, fecha, signed_at))
    return recovered, resigned


def _sort_existing(
    rows: list[dict[str, Any]],
    *,
    fecha: dt.datetime,
) -> tuple[list[tuple[int, bytes]], list[dict[str, Any]]]:
    """Documents started in an earlier round: (re-sends of their signed bytes as they are, those too old to stamp)."""
    resend: list[tuple[int, bytes]] = []
    stale: list[dict[str, Any]] = []
    for row in rows:
        if row["signed_xml"] is None:
            continue
        if _too_old_to_stamp(row["doc_fecha"], fecha):
            stale.append(row)
        else:
            resend.append((int(row["doc_id"]), bytes(row["signed_xml"])))
    return resend, stale


@dataclass
class _Signed:
    rows: list[NewDocument] = field(default_factory=list)  # new documents (signed or rejected)
    xml: dict[int, bytes] = field(default_factory=dict)  # invoice id -> signed XML of the new documents
    invalid: int = 0


def _sign_new(
    rows: list[dict[str, Any]],
    *,
    tenant_id: UUID | str,
    run_id: int,
    config: TenantCfdiConfig,
    services: CfdiServices,
    fecha: dt.datetime,
    signed_at: dt.datetime,
) -> _Signed:
    """Build and sign new Ingresos; invalid ones become rejected documents with their reasons."""
    out = _Signed()
    tenant = UUID(str(tenant_id))
    for row in rows:
        prepared = mapping.prepare_ingreso(row, config, fecha=fecha)
        base = (tenant, row["id"], row["account_id"], run_id, "I", "invoice", row["serie"], row["folio"])
        if prepared.computed is None:
            out.invalid += 1
            code, message = mapping.rejection_summary(prepared.rejections)
            out.rows.append(
                NewDocument(
                    *base,
                    status="rejected",
                    metodo_pago=prepared.metodo_pago,
                    forma_pago=prepared.forma_pago,
                    receiver_rfc=prepared.receiver_rfc,
                    total=None,
                    fecha=fecha,
                    signed_xml=None,
                    related_uuids=[],
                    rejections=mapping.rejections_json(prepared.rejections),
                    signed_at=None,
                    incidence_code=code,
                    incidence_message=message,
                )
            )
            continue
        signed = services.signer.sign_native(prepared.computed)
        out.xml[row["id"]] = signed.xml
        out.rows.append(
            NewDocument(
                *base,
                status="signed",
                metodo_pago=prepared.metodo_pago,
                forma_pago=prepared.forma_pago,
                receiver_rfc=prepared.receiver_rfc,
                total=prepared.computed.total,
                fecha=fecha,
                signed_xml=signed.xml,
                related_uuids=[],
                rejections=None,
                signed_at=signed_at,
                incidence_code=None,
                incidence_message=None,
            )
        )
    return out


def stamp_chunk(
    *,
    tenant_id: UUID | str,
    run_id: int,
    sector_id: int,
    first_id: int,
    last_id: int,
    now: dt.datetime,
    services: CfdiServices | None = None,
    timings: dict[str, float] | None = None,
) -> dict[str, int]:
    """Stamp one chunk of a run's issued invoices; returns counts. Raises PacUnavailable after saving everything
    when the PAC had retryable failures (the durable retry re-sends the same signed bytes)."""
    clock = _Clock(timings, run_id=run_id, sector_id=sector_id, first_id=first_id)
    with tenant_transaction(tenant_id) as conn:
        config = tenant_config(data.tenant_fiscal(conn, tenant_id))
        rows = data.chunk_invoices(conn, run_id=run_id, sector_id=sector_id, first_id=first_id, last_id=last_id)
    clock.lap("load")
    if config.model is not InvoicingModel.AT_BILLING or not rows:
        return {
            "invoices": len(rows),
            "stamped": 0,
            "failed_retryable": 0,
            "rejected": 0,
            "not_sent": 0,
            "invalid": 0,
            "resent": 0,
            "credit_notes": 0,
        }
    services = services or services_of(config)
    fecha = mapping.local_now(now)
    signed_at = now if now.tzinfo is not None else now.replace(tzinfo=UTILITY_TZ)
    resend, stale = _sort_existing([r for r in rows if r["doc_id"] is not None], fecha=fecha)
    new = [r for r in rows if r["doc_id"] is None]
    recovered, resigned = _refresh_stale(stale, config=config, services=services, fecha=fecha, signed_at=signed_at)
    jobs = resend + [(r.doc_id, r.signed_xml) for r in resigned]
    resent, invalid = len(jobs), 0
    if resigned:
        with tenant_transaction(tenant_id) as conn:  # committed before the first PAC call
            data.resign_documents(conn, resigned)
    sender = PacSender(services).submit(jobs)
    clock.lap("sign")
    try:
        for start in range(0, len(new), SIGN_BATCH):  # sign batch k+1 while the PAC stamps batch k
            signed = _sign_new(
                new[start : start + SIGN_BATCH],
                tenant_id=tenant_id,
                run_id=run_id,
                config=config,
                services=services,
                fecha=fecha,
                signed_at=signed_at,
            )
            invalid += signed.invalid
            clock.lap("sign")
            with tenant_transaction(tenant_id) as conn:  # committed before the batch's first PAC call
                inserted = data.insert_documents(conn, signed.rows)
            sender.submit(
                [
                    (inserted[(invoice_id, "I", "invoice")], xml)
                    for invoice_id, xml in signed.xml.items()
                    if (invoice_id, "I", "invoice") in inserted
                ]
            )
            clock.lap("persist_signed")
    except BaseException:
        sender.abandon()
        raise
    outcomes = recovered + sender.results()
    clock.lap("pac")
    with tenant_transaction(tenant_id) as conn:
        data.record_outcomes(conn, [o.row() for o in outcomes if o.status != "signed"])
    clock.lap("persist_stamped")
    counts = _count(outcomes)
    counts.update(invoices=len(rows), invalid=invalid, resent=resent)
    counts["credit_notes"] = _estimate_credits(
        tenant_id=tenant_id,
        run_id=run_id,
        first_id=first_id,
        last_id=last_id,
        config=config,
        services=services,
        now=now,
    )
    clock.lap("credit_notes")
    _metrics(counts)
    if counts["failed_retryable"]:
        raise PacUnavailable(f"PAC unavailable in chunk {sector_id}:{first_id}-{last_id}: {counts}")
    return counts


def _metrics(counts: dict[str, int]) -> None:
    if counts["stamped"]:
        cfdi_stamped_total.add(counts["stamped"], {"kind": "I"})
    for key in ("failed_retryable", "rejected", "invalid"):
        if counts[key]:
            cfdi_stamping_failures_total.add(counts[key], {"kind": "I", "outcome": key})


def _estimate_credits(
    *,
    tenant_id: UUID | str,
    run_id: int,
    first_id: int,
    last_id: int,
    config: TenantCfdiConfig,
    services: CfdiServices,
    now: dt.datetime,
) -> int:
    from shared.application.cfdi.corrections import issue_estimate_credit

    with tenant_transaction(tenant_id) as conn:
        todo = [int(r["id"]) for r in sources.credits_to_issue(conn, run_id=run_id, first_id=first_id, last_id=last_id)]
    issued = 0
    for invoice_id in todo:
        result = issue_estimate_credit(
            tenant_id=tenant_id, invoice_id=invoice_id, services=services, now=now, config=config
        )
        issued += result.get("status") == "stamped"
    return issued


class _Clock:
    """Lap clock of the stamping pipeline: each lap is an OpenTelemetry span `cfdi.stamp.<phase>` (and, for the
    bench, a running total in `sink`)."""

    def __init__(self, sink: dict[str, float] | None, **attributes: int) -> None:
        self.sink = sink
        self.attributes = attributes
        self.t = time.perf_counter()
        self.t_ns = time.time_ns()

    def lap(self, name: str) -> None:
        now, now_ns = time.perf_counter(), time.time_ns()
        record_phase(f"cfdi.stamp.{name}", started_ns=self.t_ns, ended_ns=now_ns, **self.attributes)
        if self.sink is not None:
            self.sink[name] = self.sink.get(name, 0.0) + now - self.t
        self.t, self.t_ns = now, now_ns
