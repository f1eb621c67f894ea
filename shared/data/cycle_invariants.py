"""Invariants of the monthly cycle outside the ledger (billing, folios, CFDI), as SQL: each query returns the rows
that violate one rule (empty = holds). Read together with the ledger's (shared/data/ledger.py) by
`snapshot`, in one read-only REPEATABLE READ transaction, so a check never mixes two moments."""

from __future__ import annotations

from typing import Any, NamedTuple
from uuid import UUID

from psycopg.rows import dict_row

from shared.data import db, ledger
from shared.data.sql import Conn

CYCLE_INVARIANTS: dict[str, str] = {
    # each account is billed at most once per period (live invoices)
    "account_period_billed_once": """
        SELECT account_id, period, count(*) AS invoices FROM invoices
        WHERE status IN ('draft', 'held', 'issued') GROUP BY account_id, period HAVING count(*) > 1""",
    # folios of a series are unique and contiguous, and the series counter stands right after the last one
    "folios_gapless_per_series": """
        SELECT i.serie, count(*) AS issued, min(i.folio) AS first, max(i.folio) AS last,
               max(s.next_folio) AS next_folio
        FROM invoices i LEFT JOIN folio_series s ON s.tenant_id = i.tenant_id AND s.serie = i.serie
        WHERE i.folio IS NOT NULL GROUP BY i.serie
        HAVING count(*) <> count(DISTINCT i.folio) OR max(i.folio) - min(i.folio) + 1 <> count(*)
            OR coalesce(max(s.next_folio), 0) <> max(i.folio) + 1""",
    # an invoice never holds two live fiscal documents (a substitution cancels the first one)
    "invoice_single_live_uuid": """
        SELECT invoice_id, count(*) AS live_uuids FROM cfdi_documents
        WHERE kind = 'I' AND invoice_id IS NOT NULL AND uuid IS NOT NULL
          AND status NOT IN ('cancelled', 'cancel_requested')
        GROUP BY invoice_id HAVING count(*) > 1""",
    # a stamped document has its UUID and its stamped XML (whole, or the signed bytes plus the PAC's insertion,
    # read through cfdi_stamped_xml); a signed or retryable one keeps the exact signed bytes
    # and no UUID (so a retry sends the same bytes and cannot add a second UUID)
    "document_state_consistent": """
        SELECT id, status, uuid IS NOT NULL AS has_uuid, signed_xml IS NOT NULL AS has_signed,
               cfdi_stamped_xml(d) IS NOT NULL AS has_stamped FROM cfdi_documents d
        WHERE (status = 'stamped' AND (uuid IS NULL OR cfdi_stamped_xml(d) IS NULL))
           OR (status IN ('signed', 'failed_retryable') AND (signed_xml IS NULL OR uuid IS NOT NULL))""",
    # an issued invoice's fiscal document states the same total
    "document_total_matches_invoice": """
        SELECT d.id AS document_id, d.invoice_id, d.total, i.total AS invoice_total
        FROM cfdi_documents d JOIN invoices i ON i.id = d.invoice_id
        WHERE d.kind = 'I' AND d.purpose = 'invoice' AND d.total IS NOT NULL AND d.total <> i.total""",
}


class CycleSnapshot(NamedTuple):
    """Violations per invariant name (at most `limit` rows each): the ledger's and the cycle's."""

    ledger: dict[str, list[dict[str, Any]]]
    cycle: dict[str, list[dict[str, Any]]]


def check(conn: Conn, *, limit: int = 20) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    with conn.cursor(row_factory=dict_row) as cur:
        for name, sql in CYCLE_INVARIANTS.items():
            cur.execute(f"SELECT * FROM ({sql}) v LIMIT %s", (limit,))
            out[name] = cur.fetchall()
    return out


def snapshot(*, tenant_id: UUID | str, limit: int) -> CycleSnapshot:
    """Every ledger and cycle invariant of one tenant in one consistent read-only snapshot."""
    with db.connection() as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        db.set_tenant(conn, tenant_id)
        return CycleSnapshot(ledger.check(conn, limit=limit), check(conn, limit=limit))
