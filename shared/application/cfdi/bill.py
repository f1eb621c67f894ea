"""Assemble the printed bill (`BillData`) of an invoice: account and toma, readings from the calculation trace,
12 months of consumption, the charge lines, balances and payment references, and the stamp's fiscal data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from shared.adapters.cfdi_xml.reading import fiscal_data
from shared.adapters.pdf import BillData, ChargeLine, Reading
from shared.application.cfdi.mapping import receiver_name
from shared.data import cfdi as data
from shared.data import cfdi_sources as sources
from shared.data.db import tenant_transaction
from shared.domain.billing.errors import BillingError
from shared.domain.errors import NotFound


class BillNotFound(BillingError, NotFound, LookupError):
    """No such invoice for this tenant."""

    default_code = "not_found"
    detail = "La factura no existe."


def _read(value: dict[str, Any] | None) -> Reading | None:
    return Reading(date.fromisoformat(value["on"]), Decimal(value["value"])) if value else None


def _reads(lines: list[dict[str, Any]]) -> tuple[Reading | None, Reading | None]:
    """(previous, current) reads of the water line's calculation trace, when the consumption was measured."""
    for line in lines:
        used = ((line.get("trace") or {}).get("consumption") or {}).get("reads_used")
        if used:
            return _read(used.get("previous")), _read(used.get("current"))
    return None, None


def _address(h: dict[str, Any]) -> str:
    number = f" {h['ext_number']}" if h.get("ext_number") else ""
    inner = f" int. {h['int_number']}" if h.get("int_number") else ""
    colonia = f", {h['colonia']}" if h.get("colonia") else ""
    return f"{h['street']}{number}{inner}{colonia}, {h['municipality']}, {h['state']}, CP {h['postal_code']}"


def live_ingreso(conn: Any, invoice_id: int) -> dict[str, Any] | None:
    """The invoice's current Ingreso: a stamped substitute wins over a cancelled original."""
    docs = [d for d in data.invoice_documents(conn, invoice_id) if d["kind"] == "I"]
    for status in ("stamped", "cancel_requested"):
        for doc in sorted(docs, key=lambda d: d["id"], reverse=True):
            if doc["status"] == status:
                return doc
    return next((d for d in docs if d["purpose"] == "invoice"), None)


def bill_data(*, tenant_id: UUID | str, invoice_id: int) -> tuple[BillData, dict[str, Any] | None]:
    """(the printed bill, the Ingreso document it shows or None while not stamped)."""
    with tenant_transaction(tenant_id) as conn:
        tenant = data.tenant_fiscal(conn, tenant_id)
        h = sources.bill_header(conn, invoice_id)
        if h is None:
            raise BillNotFound(f"invoice {invoice_id} not found")
        lines = sources.bill_lines(conn, invoice_id)
        period: date = h["period"]
        since = date(period.year - 1 + (period.month == 12), period.month % 12 + 1, 1)
        from_reads = sources.read_consumption_history(conn, account_id=h["account_id"], since=since, until=period)
        billed = sources.consumption_history(conn, account_id=h["account_id"], since=since, until=period)
        by_period = {
            r["period"]: Decimal(r["consumption_m3"])
            for r in from_reads
            if r["consumption_m3"] is not None and since <= r["period"] <= period
        }
        by_period.update({r["period"]: Decimal(r["consumption_m3"]) for r in billed})  # billed m³ wins
        doc = live_ingreso(conn, invoice_id)
        xml = data.stamped_xml(conn, int(doc["id"])) if doc is not None and doc["uuid"] else None
    previous, current = _reads(lines)
    bill = BillData(
        issuer_name=tenant["fiscal_name"],
        issuer_rfc=tenant["rfc"],
        issuer_regimen=tenant["regimen_fiscal"],
        lugar_expedicion=tenant["postal_code"],
        serie=h["serie"] or "",
        folio=str(h["folio"] or "—"),
        account_number=h["account_number"],
        toma_number=h["toma_number"],
        holder_name=receiver_name(h),
        address=_address(h),
        sector=f"{h['sector_code']} {h['sector_name']}",
        tariff_class=h["tariff_class"],
        meter_serial=h["meter_serial"],
        period=period,
        issued_on=h["issued_at"].date() if h["issued_at"] else None,
        due_date=h["due_date"],
        previous_read=previous,
        current_read=current,
        consumption_m3=Decimal(h["consumption_m3"]),
        estimated=bool(h["estimated"]),
        history=tuple(sorted(by_period.items())),
        lines=tuple(
            ChargeLine(
                line["description"],
                Decimal(line["quantity"]),
                Decimal(line["unit_price"]),
                Decimal(line["amount"]),
                Decimal(line["tax_rate"]),
                Decimal(line["tax_amount"]),
            )
            for line in lines
        ),
        subtotal=Decimal(h["subtotal"]),
        tax_total=Decimal(h["tax_total"]),
        period_total=Decimal(h["total"]),
        previous_balance=Decimal(h["previous_balance"]),
        amount_due=Decimal(h["amount_due"]),
        payment_reference=h["payment_reference"],
        clabe=h["clabe"],
        household_size=int(h["household_size"]),
        fiscal=fiscal_data(xml) if xml else None,
    )
    return bill, doc
