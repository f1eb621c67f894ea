"""SQL of the CFDI lifecycle: what a stamping chunk reads (one SELECT) and writes (COPY + set-based updates), the
per-run record, and the document lookups the API, corrections and payments use.

Every function runs in the caller's tenant transaction (row-level security scopes it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from shared.data.sql import Row, fetch_dicts, fetch_one
from shared.domain.cfdi.stamped import stamp_insertion

ACTIONABLE = ("pending", "signed", "failed_retryable")  # an Ingreso in these states still needs the PAC


# ---------------------------------------------------------------- tenant


def tenant_fiscal(conn: psycopg.Connection[Any], tenant_id: UUID | str) -> Row:
    row = fetch_one(
        conn,
        "SELECT id, slug, name, rfc, fiscal_name, regimen_fiscal, postal_code, config FROM tenants WHERE id = %(id)s",
        {"id": str(tenant_id)},
    )
    if row is None:
        raise LookupError(f"tenant {tenant_id} not found")
    return row


# ---------------------------------------------------------------- run record


def begin_round(conn: psycopg.Connection[Any], *, tenant_id: UUID | str, run_id: int) -> int:
    """Start a new stamping round for the run; returns the round number (1 for the first)."""
    row = conn.execute(
        """INSERT INTO cfdi_stamp_runs (tenant_id, billing_run_id, rounds) VALUES (%s, %s, 1)
           ON CONFLICT (billing_run_id) DO UPDATE SET rounds = cfdi_stamp_runs.rounds + 1, status = 'running',
                                                   completed_at = NULL, started_at = now()
           RETURNING rounds""",
        (str(tenant_id), run_id),
    ).fetchone()
    assert row is not None
    return int(row[0])


def set_round_instance(conn: psycopg.Connection[Any], *, run_id: int, instance_id: str) -> None:
    conn.execute("UPDATE cfdi_stamp_runs SET instance_id = %s WHERE billing_run_id = %s", (instance_id, run_id))


def finish_round(
    conn: psycopg.Connection[Any], *, tenant_id: UUID | str, run_id: int, status: str, counters: dict[str, Any]
) -> None:
    """Store the run counters (creates the record when the orchestration was started without `begin_round`)."""
    conn.execute(
        """INSERT INTO cfdi_stamp_runs (tenant_id, billing_run_id, rounds, status, counters, completed_at)
           VALUES (%s, %s, 1, %s, %s, now())
           ON CONFLICT (billing_run_id) DO UPDATE SET status = excluded.status, counters = excluded.counters,
                                                   completed_at = now()""",
        (str(tenant_id), run_id, status, Jsonb(counters)),
    )


def stamp_run(conn: psycopg.Connection[Any], run_id: int) -> Row | None:
    return fetch_one(conn, "SELECT * FROM cfdi_stamp_runs WHERE billing_run_id = %(run)s", {"run": run_id})


def run_counters(conn: psycopg.Connection[Any], run_id: int) -> Row:
    """Issued invoices of the run by the state of their Ingreso CFDI ('pending' = no document yet or not sent)."""
    row = fetch_one(
        conn,
        """SELECT count(*)::int AS invoices,
                  count(*) FILTER (WHERE d.status IN ('stamped', 'cancel_requested', 'cancelled'))::int AS stamped,
                  count(*) FILTER (WHERE d.status = 'rejected')::int AS rejected,
                  count(*) FILTER (WHERE d.status = 'failed_retryable')::int AS failed_retryable,
                  count(*) FILTER (WHERE d.id IS NULL OR d.status IN ('pending', 'signed'))::int AS pending,
                  coalesce(sum(d.attempts), 0)::int AS pac_attempts
           FROM invoices i
           LEFT JOIN cfdi_documents d ON d.invoice_id = i.id AND d.kind = 'I' AND d.purpose = 'invoice'
           WHERE i.billing_run_id = %(run)s AND i.status = 'issued'""",
        {"run": run_id},
    )
    assert row is not None
    return row


# ---------------------------------------------------------------- chunk plan


def run_chunks(conn: psycopg.Connection[Any], *, run_id: int, chunk_size: int) -> list[Row]:
    """Per sector, id ranges [first, last] of at most `chunk_size` issued invoices of the run whose Ingreso is
    missing or not final: one pass over the run's invoices (sector_id, first_id, last_id, invoices)."""
    return fetch_dicts(
        conn.execute(
            """SELECT sector_id, min(id) AS first_id, max(id) AS last_id, count(*)::int AS invoices FROM (
               SELECT t.sector_id, i.id,
                      (row_number() OVER (PARTITION BY t.sector_id ORDER BY i.id) - 1) / %s AS n
               FROM invoices i
               JOIN accounts a ON a.id = i.account_id AND a.tenant_id = i.tenant_id
               JOIN tomas t ON t.id = a.toma_id
               LEFT JOIN cfdi_documents d ON d.invoice_id = i.id AND d.kind = 'I' AND d.purpose = 'invoice'
               WHERE i.billing_run_id = %s AND i.status = 'issued' AND (d.id IS NULL OR d.status = ANY(%s))) x
           GROUP BY sector_id, n ORDER BY sector_id, n""",
            (chunk_size, run_id, list(ACTIONABLE)),
        )
    )


# ---------------------------------------------------------------- chunk read

INVOICE_ROWS_SQL = """
SELECT i.id, i.account_id, i.period, i.serie, i.folio::text AS folio, i.subtotal, i.tax_total, i.total,
       a.account_number, p.rfc, p.person_type, p.legal_name, p.first_name, p.paternal_surname, p.maternal_surname,
       p.regimen_fiscal, p.uso_cfdi, p.fiscal_postal_code,
       d.id AS doc_id, d.status AS doc_status, d.signed_xml, d.attempts, d.fecha AS doc_fecha,
       (SELECT json_agg(json_build_array(l.line_no, l.code, l.description, l.quantity::text, l.unit_price::text,
                                         l.amount::text, l.tax_rate::text, l.tax_amount::text) ORDER BY l.line_no)
        FROM invoice_lines l WHERE l.invoice_id = i.id) AS lines
FROM {invoices} i
JOIN accounts a ON a.id = i.account_id
JOIN persons p ON p.id = a.person_id
JOIN tomas t ON t.id = a.toma_id
LEFT JOIN cfdi_documents d ON d.invoice_id = i.id AND d.kind = 'I' AND d.purpose = 'invoice'
"""
"""Invoices with receiver, lines (JSON, amounts as text) and existing Ingreso: `{invoices}` is the invoice source."""

_CHUNK_INVOICES = "(SELECT * FROM invoices WHERE id BETWEEN %(first)s AND %(last)s OFFSET 0)"
CHUNK_SQL = (
    INVOICE_ROWS_SQL.format(invoices=_CHUNK_INVOICES)
    + """
WHERE i.billing_run_id = %(run)s AND i.status = 'issued' AND t.sector_id = %(sector)s
  AND (d.id IS NULL OR d.status = ANY(%(actionable)s))
ORDER BY i.id
"""
)


def chunk_invoices(
    conn: psycopg.Connection[Any], *, run_id: int, sector_id: int, first_id: int, last_id: int
) -> list[Row]:
    """Invoices, lines (JSON, amounts as text) and receivers of one chunk, with their existing Ingreso if any.
    The chunk is read by primary-key range (the OFFSET 0 fence keeps that plan while the run's invoices are too
    new for the planner's statistics)."""
    return fetch_dicts(
        conn.execute(
            CHUNK_SQL,
            {"first": first_id, "last": last_id, "run": run_id, "sector": sector_id, "actionable": list(ACTIONABLE)},
        )
    )


# ---------------------------------------------------------------- chunk writes

_DOC_TYPES = (
    "uuid",
    "int8",
    "int8",
    "int8",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "numeric",
    "timestamp",
    "bytea",
    "uuid[]",
    "text",
    "timestamptz",
    "text",
    "text",
)
_OUTCOME_TYPES = ("int8", "text", "uuid", "bytea", "timestamp", "text", "text", "int4", "bytea", "int4", "bytea")


def _uuid(value: Any) -> UUID | None:
    return value if value is None or isinstance(value, UUID) else UUID(str(value))


def _copy_binary(
    conn: psycopg.Connection[Any], table: str, types: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Binary COPY into a temp table: the XML goes as raw bytes, not hex-escaped text (half the bytes, no
    decoding on the server)."""
    statement = sql.SQL("COPY {} FROM STDIN (FORMAT BINARY)").format(sql.Identifier(table))
    with conn.cursor() as cur, cur.copy(statement) as copy:
        copy.set_types(list(types))
        for r in rows:
            copy.write_row(r)


class NewDocument(NamedTuple):
    """A document a stamping chunk signed (or rejected), in the column order of the COPY into tmp_cfdi_docs."""

    tenant_id: UUID
    invoice_id: int
    account_id: int
    billing_run_id: int
    kind: str
    purpose: str
    serie: str | None
    folio: str | None
    status: str  # signed | rejected
    metodo_pago: str | None
    forma_pago: str | None
    receiver_rfc: str | None
    total: Decimal | None
    fecha: datetime
    signed_xml: bytes | None
    related_uuids: list[UUID]
    rejections: str | None  # JSON text
    signed_at: datetime | None
    incidence_code: str | None
    incidence_message: str | None


class Resigned(NamedTuple):
    """A document signed again with a new Fecha (its old one left the 72-hour window unstamped)."""

    doc_id: int
    signed_xml: bytes
    fecha: datetime
    signed_at: datetime


class PacOutcome(NamedTuple):
    """What the PAC answered for one sent document."""

    doc_id: int
    status: str  # stamped | failed_retryable | rejected
    uuid: str | None
    stamped_xml: bytes | None
    fecha_timbrado: datetime | None
    incidence_code: str | None
    incidence_message: str | None
    attempts: int  # added to the document's count
    sent_xml: bytes | None  # the signed bytes that were sent


def resign_documents(conn: psycopg.Connection[Any], rows: Sequence[Resigned]) -> None:
    """Replace the signed XML of documents the PAC never stamped (their Fecha went out of the 72-hour window).
    Only documents still 'signed'/'failed_retryable'."""
    with conn.cursor() as cur:
        cur.executemany(
            """UPDATE cfdi_documents SET signed_xml = %s, fecha = %s, signed_at = %s, status = 'signed',
                   updated_at = now()
               WHERE id = %s AND status IN ('signed', 'failed_retryable') AND uuid IS NULL""",
            [(r.signed_xml, r.fecha, r.signed_at, r.doc_id) for r in rows],
        )


def insert_documents(conn: psycopg.Connection[Any], rows: Sequence[NewDocument]) -> dict[tuple[int, str, str], int]:
    """Insert new documents through COPY into a temp table (each NewDocument is written as it is); existing natural
    keys are left alone. Returns {(invoice_id, kind, purpose): id} of the rows inserted now."""
    if not rows:
        return {}
    conn.execute(
        """CREATE TEMP TABLE IF NOT EXISTS tmp_cfdi_docs (
               tenant_id uuid, invoice_id bigint, account_id bigint, billing_run_id bigint, kind text,
               purpose text, serie text, folio text, status text, metodo_pago text, forma_pago text,
               receiver_rfc text, total numeric, fecha timestamp, signed_xml bytea, related_uuids uuid[],
               rejections text, signed_at timestamptz, incidence_code text, incidence_message text
           ) ON COMMIT DELETE ROWS"""
    )
    conn.execute("TRUNCATE tmp_cfdi_docs")
    _copy_binary(conn, "tmp_cfdi_docs", _DOC_TYPES, rows)
    cur = conn.execute(
        """INSERT INTO cfdi_documents (tenant_id, invoice_id, account_id, billing_run_id, kind, purpose, serie, folio,
                                       status, metodo_pago, forma_pago, receiver_rfc, total, fecha, signed_xml,
                                       related_uuids, rejections, signed_at, incidence_code, incidence_message)
           SELECT tenant_id, invoice_id, account_id, billing_run_id, kind, purpose, serie, folio, status, metodo_pago,
                  forma_pago, receiver_rfc, total, fecha, signed_xml, related_uuids, rejections::jsonb, signed_at,
                  incidence_code, incidence_message
           FROM tmp_cfdi_docs
           ON CONFLICT (tenant_id, invoice_id, kind, purpose) DO NOTHING
           RETURNING id, invoice_id, kind, purpose"""
    )
    return {(r[1], r[2], r[3]): int(r[0]) for r in cur.fetchall()}


def record_outcomes(conn: psycopg.Connection[Any], rows: Sequence[PacOutcome]) -> int:
    """Apply PAC outcomes in one statement.

    A stamped answer that is the sent XML plus one insertion is stored as that insertion (migration 0015). The
    insertion is only spliced into the stored signed XML when its SHA-256 equals the digest of the bytes that were
    sent: a document re-signed meanwhile (same length or not) is left for the next round, which recovers its own
    stamp with `stamped`. Any other answer replaces signed_xml with the whole stamped XML.
    """
    if not rows:
        return 0
    conn.execute(
        """CREATE TEMP TABLE IF NOT EXISTS tmp_cfdi_pac_outcomes (
               id bigint, status text, uuid uuid, stamped_xml bytea, fecha_timbrado timestamp, incidence_code text,
               incidence_message text, attempts integer, stamp_insert bytea, stamp_insert_at integer,
               signed_digest bytea
           ) ON COMMIT DELETE ROWS"""
    )
    conn.execute("TRUNCATE tmp_cfdi_pac_outcomes")
    _copy_binary(conn, "tmp_cfdi_pac_outcomes", _OUTCOME_TYPES, (_outcome_row(r) for r in rows))
    cur = conn.execute(
        """UPDATE cfdi_documents d SET
               status = o.status,
               uuid = coalesce(o.uuid, d.uuid),
               stamped_xml = coalesce(o.stamped_xml, d.stamped_xml),
               stamp_insert = coalesce(o.stamp_insert, d.stamp_insert),
               stamp_insert_at = coalesce(o.stamp_insert_at, d.stamp_insert_at),
               signed_xml = CASE WHEN o.status = 'stamped' AND o.stamp_insert IS NULL THEN NULL ELSE d.signed_xml END,
               fecha_timbrado = coalesce(o.fecha_timbrado, d.fecha_timbrado),
               stamped_at = CASE WHEN o.status = 'stamped' THEN now() ELSE d.stamped_at END,
               incidence_code = o.incidence_code,
               incidence_message = o.incidence_message,
               attempts = d.attempts + o.attempts,
               updated_at = now()
           FROM tmp_cfdi_pac_outcomes o
           WHERE d.id = o.id AND d.status IN ('pending', 'signed', 'failed_retryable')
             AND (o.stamp_insert IS NULL OR sha256(d.signed_xml) = o.signed_digest)"""
    )
    return cur.rowcount


def _outcome_row(r: PacOutcome) -> tuple[Any, ...]:
    doc_id, status, uuid, stamped, fecha_timbrado, code, message, attempts, sent = r
    insertion = stamp_insertion(sent, stamped) if stamped is not None and sent is not None else None
    if insertion is None:
        return (doc_id, status, _uuid(uuid), stamped, fecha_timbrado, code, message, attempts, None, None, None)
    at, inserted = insertion
    assert sent is not None
    digest = hashlib.sha256(sent).digest()
    return (doc_id, status, _uuid(uuid), None, fecha_timbrado, code, message, attempts, inserted, at, digest)


# ---------------------------------------------------------------- single documents

_XML_COLUMNS = ", d.signed_xml, cfdi_stamped_xml(d) AS stamped_xml"  # read the stamped XML only through it

DOC_COLUMNS = """d.id, d.tenant_id, d.invoice_id, d.account_id, d.billing_run_id, d.payment_id, d.kind, d.purpose,
    d.serie, d.folio, d.status, d.metodo_pago, d.forma_pago, d.receiver_rfc, d.total, d.fecha, d.uuid,
    d.fecha_timbrado, d.related_uuids, d.incidence_code, d.incidence_message, d.rejections, d.attempts, d.xml_blob,
    d.pdf_blob, d.cancel_motivo, d.cancel_substitute, d.cancel_status, d.sat_estado, d.stamped_at, d.cancelled_at"""


def document(
    conn: psycopg.Connection[Any], doc_id: int, *, with_xml: bool = False, for_update: bool = False
) -> Row | None:
    extra = _XML_COLUMNS if with_xml else ""
    lock = " FOR UPDATE" if for_update else ""
    return fetch_one(
        conn, f"SELECT {DOC_COLUMNS}{extra} FROM cfdi_documents d WHERE d.id = %(id)s{lock}", {"id": doc_id}
    )


def document_by_key(
    conn: psycopg.Connection[Any], *, invoice_id: int | None, kind: str, purpose: str, with_xml: bool = False
) -> Row | None:
    extra = _XML_COLUMNS if with_xml else ""
    return fetch_one(
        conn,
        f"""SELECT {DOC_COLUMNS}{extra} FROM cfdi_documents d
            WHERE d.invoice_id IS NOT DISTINCT FROM %(invoice)s AND d.kind = %(kind)s AND d.purpose = %(purpose)s""",
        {"invoice": invoice_id, "kind": kind, "purpose": purpose},
    )


def document_by_uuid(
    conn: psycopg.Connection[Any], uuid: str, *, with_xml: bool = False, for_update: bool = False
) -> Row | None:
    extra = _XML_COLUMNS if with_xml else ""
    lock = " FOR UPDATE" if for_update else ""
    return fetch_one(
        conn, f"SELECT {DOC_COLUMNS}{extra} FROM cfdi_documents d WHERE d.uuid = %(uuid)s{lock}", {"uuid": uuid}
    )


def invoice_documents(conn: psycopg.Connection[Any], invoice_id: int) -> list[Row]:
    return fetch_dicts(
        conn.execute(f"SELECT {DOC_COLUMNS} FROM cfdi_documents d WHERE d.invoice_id = %s ORDER BY d.id", (invoice_id,))
    )


def insert_document(
    conn: psycopg.Connection[Any],
    *,
    tenant_id: UUID | str,
    invoice_id: int | None,
    account_id: int | None,
    payment_id: int | None,
    kind: str,
    purpose: str,
    serie: str | None,
    folio: str | None,
    status: str,
    metodo_pago: str | None,
    forma_pago: str | None,
    receiver_rfc: str | None,
    total: Any,
    fecha: datetime | None,
    signed_xml: bytes | None,
    related_uuids: Sequence[str] = (),
    rejections: list[dict[str, str]] | None = None,
    billing_run_id: int | None = None,
) -> int | None:
    """One document (corrections, payments). None when its natural key already exists."""
    row = conn.execute(
        """INSERT INTO cfdi_documents (tenant_id, invoice_id, account_id, billing_run_id, payment_id, kind, purpose,
                                       serie, folio, status, metodo_pago, forma_pago, receiver_rfc, total, fecha,
                                       signed_xml, related_uuids, rejections, signed_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::uuid[], %s,
                   CASE WHEN %s::bytea IS NULL THEN NULL ELSE now() END)
           ON CONFLICT (tenant_id, invoice_id, kind, purpose) DO NOTHING RETURNING id""",
        (
            str(tenant_id),
            invoice_id,
            account_id,
            billing_run_id,
            payment_id,
            kind,
            purpose,
            serie,
            folio,
            status,
            metodo_pago,
            forma_pago,
            receiver_rfc,
            total,
            fecha,
            signed_xml,
            list(related_uuids),
            Jsonb(rejections) if rejections is not None else None,
            signed_xml,
        ),
    ).fetchone()
    return int(row[0]) if row else None


def set_incidence(conn: psycopg.Connection[Any], doc_id: int, *, code: str, message: str) -> None:
    conn.execute(
        "UPDATE cfdi_documents SET incidence_code = %s, incidence_message = %s WHERE id = %s", (code, message, doc_id)
    )


def set_publication(
    conn: psycopg.Connection[Any], doc_id: int, *, xml_blob: str | None = None, pdf_blob: str | None = None
) -> None:
    conn.execute(
        """UPDATE cfdi_documents SET xml_blob = coalesce(%s, xml_blob), pdf_blob = coalesce(%s, pdf_blob),
                  updated_at = now() WHERE id = %s""",
        (xml_blob, pdf_blob, doc_id),
    )


def unpublished(conn: psycopg.Connection[Any], *, run_id: int, first_id: int, last_id: int) -> list[Row]:
    return fetch_dicts(
        conn.execute(
            """SELECT d.id, d.invoice_id, d.uuid, i.period FROM cfdi_documents d JOIN invoices i ON i.id = d.invoice_id
           WHERE d.billing_run_id = %s AND d.status = 'stamped' AND d.xml_blob IS NULL
             AND d.invoice_id BETWEEN %s AND %s ORDER BY d.invoice_id""",
            (run_id, first_id, last_id),
        )
    )


def stamped_xml(conn: psycopg.Connection[Any], doc_id: int) -> bytes | None:
    row = conn.execute("SELECT cfdi_stamped_xml(d) FROM cfdi_documents d WHERE d.id = %s", (doc_id,)).fetchone()
    return bytes(row[0]) if row and row[0] is not None else None


# ---------------------------------------------------------------- cancellation


def mark_cancel_requested(
    conn: psycopg.Connection[Any],
    doc_id: int,
    *,
    motivo: str,
    substitute: str | None,
    cancel_status: str | None,
    acuse: bytes | None,
) -> None:
    conn.execute(
        """UPDATE cfdi_documents SET status = 'cancel_requested', cancel_motivo = %s, cancel_substitute = %s,
                  cancel_status = %s, cancel_acuse = %s, cancel_requested_at = now(), updated_at = now()
           WHERE id = %s""",
        (motivo, substitute, cancel_status, acuse, doc_id),
    )


def record_sat_status(
    conn: psycopg.Connection[Any], doc_id: int, *, estado: str | None, cancel_status: str | None, cancelled: bool
) -> None:
    conn.execute(
        """UPDATE cfdi_documents SET sat_estado = %s, cancel_status = coalesce(%s, cancel_status),
                  status = CASE WHEN %s THEN 'cancelled' ELSE status END,
                  cancelled_at = CASE WHEN %s THEN coalesce(cancelled_at, now()) ELSE cancelled_at END,
                  updated_at = now()
           WHERE id = %s""",
        (estado, cancel_status, cancelled, cancelled, doc_id),
    )


def cancel_requested(conn: psycopg.Connection[Any], limit: int = 500) -> list[Row]:
    return fetch_dicts(
        conn.execute(
            f"SELECT {DOC_COLUMNS} FROM cfdi_documents d WHERE d.status = 'cancel_requested' ORDER BY d.id LIMIT %s",
            (limit,),
        )
    )


# ---------------------------------------------------------------- folios of corrections and payments


def next_folio(conn: psycopg.Connection[Any], *, tenant_id: UUID | str, serie: str) -> int:
    """Gapless folio of a series (shared `folio_series` table), locked for the caller's transaction."""
    conn.execute(
        "INSERT INTO folio_series (tenant_id, serie) VALUES (%s, %s) ON CONFLICT DO NOTHING", (str(tenant_id), serie)
    )
    row = conn.execute(
        """UPDATE folio_series SET next_folio = next_folio + 1 WHERE tenant_id = %s AND serie = %s
           RETURNING next_folio - 1""",
        (str(tenant_id), serie),
    ).fetchone()
    assert row is not None
    return int(row[0])


def invoice_period(conn: psycopg.Connection[Any], invoice_id: int) -> date | None:
    row = conn.execute("SELECT period FROM invoices WHERE id = %s", (invoice_id,)).fetchone()
    return row[0] if row else None
