"""Bulk loading with PostgreSQL binary COPY, rows encoded column-wise with numpy (no Python loop per row).

A table load is a list of `Encoded` columns of equal length; `copy_columns` encodes them in row chunks into the
binary COPY format (signature, per row a 16-bit field count then per field a 32-bit length, -1 for NULL, and the
value in the type's binary "send" representation; trailer -1) and streams them with psycopg's `cursor.copy()`.

Supported column types and their binary forms:
  bigint/integer/smallint  big-endian two's complement, 8/4/2 bytes
  boolean                  1 byte
  uuid                     16 bytes
  timestamptz              int64 microseconds since 2000-01-01 00:00 UTC
  date                     int32 days since 2000-01-01
  numeric                  header (ndigits, weight, sign, dscale) + base-10000 digits; we always send 3 integer
                           digits with weight 2 (|value| < 10^12) and 0-2 fraction digits, which the server
                           normalises on receipt
  text                     the UTF-8 bytes
Text columns may vary in length and any column may hold NULLs (`with_nulls`).

`reserve_ids` hands out a contiguous block of identity values so that related rows can carry their foreign keys
before they are written; the caller must hold a lock that keeps other writers out of the table meanwhile.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
COPY_TRAILER = b"\xff\xff"
PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
PG_EPOCH_DATE = dt.date(2000, 1, 1)
NUMERIC_LIMIT = 10**12
_NUMERIC_NEGATIVE = 0x4000

U8 = np.uint8


class BulkEncodingError(ValueError):
    """A column cannot be encoded (wrong length, value out of range for its binary form)."""


@dataclass(frozen=True)
class Encoded:
    """One column ready for binary COPY.

    Fixed width (`width` set, no NULLs): `payload` is uint8 of shape (n, width), or (1, width) for a constant.
    Variable: `lengths` int32 per row (-1 = NULL), `payload` the non-null values concatenated in row order,
    `offsets` the start of each row's bytes in `payload` (n + 1 entries).
    """

    n: int
    width: int | None
    payload: np.ndarray
    lengths: np.ndarray | None = None
    offsets: np.ndarray | None = None

    @property
    def constant(self) -> bool:
        return self.width is not None and self.payload.shape[0] == 1 and self.n != 1

    def take(self, start: int, stop: int) -> Encoded:
        """Rows [start, stop) of the column."""
        stop = min(stop, self.n)
        if self.width is not None:
            payload = self.payload if self.constant else self.payload[start:stop]
            return Encoded(n=stop - start, width=self.width, payload=payload)
        assert self.lengths is not None and self.offsets is not None
        lo, hi = int(self.offsets[start]), int(self.offsets[stop])
        return Encoded(
            n=stop - start,
            width=None,
            payload=self.payload[lo:hi],
            lengths=self.lengths[start:stop],
            offsets=self.offsets[start : stop + 1] - lo,
        )


def _fixed(values: Any, dtype: str, n: int | None = None) -> Encoded:
    arr = np.asarray(values).astype(dtype, copy=False)
    if arr.ndim == 0:
        if n is None:
            raise BulkEncodingError("a constant column needs its row count")
        return Encoded(n=n, width=arr.itemsize, payload=arr.reshape(1).view(U8).reshape(1, arr.itemsize))
    arr = np.ascontiguousarray(arr)
    return Encoded(n=arr.shape[0], width=arr.itemsize, payload=arr.view(U8).reshape(arr.shape[0], arr.itemsize))


def int8(values: Any, n: int | None = None) -> Encoded:
    return _fixed(values, ">i8", n)


def int4(values: Any, n: int | None = None) -> Encoded:
    return _fixed(values, ">i4", n)


def int2(values: Any, n: int | None = None) -> Encoded:
    return _fixed(values, ">i2", n)


def boolean(values: Any, n: int | None = None) -> Encoded:
    return _fixed(np.asarray(values).astype(np.uint8), "u1", n)


def uuid_const(value: uuid.UUID | str, n: int) -> Encoded:
    raw = (value if isinstance(value, uuid.UUID) else uuid.UUID(value)).bytes
    return Encoded(n=n, width=16, payload=np.frombuffer(raw, dtype=U8).reshape(1, 16))


def timestamptz(us_since_pg_epoch: Any, n: int | None = None) -> Encoded:
    """Microseconds since 2000-01-01 UTC (see `to_pg_us`)."""
    return _fixed(us_since_pg_epoch, ">i8", n)


def date(days_since_pg_epoch: Any, n: int | None = None) -> Encoded:
    """Days since 2000-01-01 (see `to_pg_days`)."""
    return _fixed(days_since_pg_epoch, ">i4", n)


def to_pg_us(moment: dt.datetime) -> int:
    """A timezone-aware datetime as microseconds since the PostgreSQL epoch."""
    if moment.tzinfo is None:
        raise BulkEncodingError("timestamptz values must be timezone-aware")
    delta = moment - PG_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def to_pg_days(day: dt.date) -> int:
    return (day - PG_EPOCH_DATE).days


def numeric(scaled: Any, scale: int, n: int | None = None) -> Encoded:
    """Integers `scaled` = value × 10^scale (0 ≤ scale ≤ 8) as numeric with `scale` decimals."""
    if not 0 <= scale <= 8:
        raise BulkEncodingError(f"numeric scale {scale} is outside 0..8")
    v = np.asarray(scaled, dtype=np.int64)
    constant = v.ndim == 0
    v = v.reshape(-1)
    magnitude = np.abs(v)
    if magnitude.size and int(magnitude.max()) >= NUMERIC_LIMIT * 10**scale:
        raise BulkEncodingError(f"numeric value too large for the bulk encoder (limit {NUMERIC_LIMIT})")
    whole, frac = np.divmod(magnitude, 10**scale)
    frac_digits = (scale + 3) // 4
    frac = frac * 10 ** (4 * frac_digits - scale)
    rows = v.shape[0]
    out = np.empty((rows, 7 + frac_digits), dtype=">i2")
    out[:, 0] = 3 + frac_digits  # ndigits
    out[:, 1] = 2  # weight of the first digit: 10000^2
    out[:, 2] = np.where(v < 0, _NUMERIC_NEGATIVE, 0)
    out[:, 3] = scale
    out[:, 4] = whole // 100_000_000
    out[:, 5] = (whole // 10_000) % 10_000
    out[:, 6] = whole % 10_000
    for k in range(frac_digits):
        out[:, 7 + k] = (frac // 10_000 ** (frac_digits - 1 - k)) % 10_000
    width = out.shape[1] * 2
    payload = out.view(U8).reshape(rows, width)
    if constant:
        if n is None:
            raise BulkEncodingError("a constant column needs its row count")
        return Encoded(n=n, width=width, payload=payload)
    return Encoded(n=rows, width=width, payload=payload)


def text(values: Sequence[str | None]) -> Encoded:
    """Variable-length UTF-8 text; None is NULL."""
    raw = [b"" if s is None else s.encode() for s in values]
    lengths = np.fromiter((len(b) for b in raw), dtype=np.int32, count=len(raw))
    nulls = [i for i, s in enumerate(values) if s is None]
    if nulls:
        lengths[nulls] = -1
    return _variable(lengths, np.frombuffer(b"".join(raw), dtype=U8))


def text_const(value: str, n: int) -> Encoded:
    raw = value.encode()
    return Encoded(n=n, width=len(raw), payload=np.frombuffer(raw, dtype=U8).reshape(1, len(raw)))


def text_fixed(chars: np.ndarray) -> Encoded:
    """ASCII text of one width for every row, given as a uint8 array of shape (n, width)."""
    chars = np.ascontiguousarray(chars, dtype=U8)
    return Encoded(n=chars.shape[0], width=chars.shape[1], payload=chars)


def digits(values: Any, width: int) -> np.ndarray:
    """Non-negative integers as zero-padded ASCII digits: a uint8 array of shape (n, width)."""
    v = np.asarray(values, dtype=np.int64).copy()
    if v.size and (int(v.min()) < 0 or int(v.max()) >= 10**width):
        raise BulkEncodingError(f"value does not fit in {width} digits")
    out = np.empty((v.shape[0], width), dtype=U8)
    for k in range(width - 1, -1, -1):
        out[:, k] = 48 + v % 10
        v //= 10
    return out


def null_column(n: int) -> Encoded:
    return _variable(np.full(n, -1, dtype=np.int32), np.empty(0, dtype=U8))


def with_nulls(column: Encoded, null_mask: Any) -> Encoded:
    """The column with the rows where `null_mask` is true replaced by NULL."""
    mask = np.asarray(null_mask, dtype=bool)
    if mask.shape != (column.n,):
        raise BulkEncodingError("null mask length differs from the column")
    if column.width is not None:
        full = np.broadcast_to(column.payload, (column.n, column.width))
        keep = full[~mask]
        lengths = np.where(mask, -1, column.width).astype(np.int32)
        return _variable(lengths, np.ascontiguousarray(keep).reshape(-1))
    assert column.lengths is not None and column.offsets is not None
    lengths = column.lengths.copy()
    clipped = np.maximum(lengths, 0)
    drop = mask & (lengths >= 0)
    keep_bytes = np.repeat(~drop, clipped)
    lengths[mask] = -1
    return _variable(lengths, column.payload[keep_bytes])


def _variable(lengths: np.ndarray, payload: np.ndarray) -> Encoded:
    offsets = np.zeros(lengths.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.maximum(lengths, 0), out=offsets[1:])
    if int(offsets[-1]) != payload.shape[0]:
        raise BulkEncodingError("payload size does not match the lengths")
    return Encoded(n=lengths.shape[0], width=None, payload=payload, lengths=lengths, offsets=offsets)


def encode_rows(columns: Sequence[Encoded]) -> bytes:
    """The tuples of binary COPY for these columns (no signature or trailer)."""
    if not columns:
        raise BulkEncodingError("no columns")
    n = columns[0].n
    if any(c.n != n for c in columns):
        raise BulkEncodingError("columns differ in length: " + ", ".join(str(c.n) for c in columns))
    if all(c.width is not None for c in columns):
        return _encode_fixed(columns, n)
    return _encode_general(columns, n)


def _encode_fixed(columns: Sequence[Encoded], n: int) -> bytes:
    fields: list[tuple[str, str]] = [("count", ">i2")]
    for i, c in enumerate(columns):
        fields += [(f"l{i}", ">i4"), (f"v{i}", f"V{c.width}")]
    out = np.empty(n, dtype=fields)
    out["count"] = len(columns)
    for i, c in enumerate(columns):
        out[f"l{i}"] = c.width
        out[f"v{i}"] = np.ascontiguousarray(c.payload).view(f"V{c.width}").reshape(-1)
    return out.tobytes()


def _encode_general(columns: Sequence[Encoded], n: int) -> bytes:
    sizes = np.full(n, 2, dtype=np.int64)
    for c in columns:
        if c.width is not None:
            sizes += 4 + c.width
        else:
            assert c.lengths is not None
            sizes += 4 + np.maximum(c.lengths, 0)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    out = np.empty(int(sizes.sum()), dtype=U8)
    count = np.array([len(columns)], dtype=">i2").view(U8)
    out[starts[:, None] + np.arange(2)] = count
    pos = starts + 2
    for c in columns:
        if c.width is not None:
            header = np.array([c.width], dtype=">i4").view(U8)
            out[pos[:, None] + np.arange(4)] = header
            if c.width:
                out[(pos + 4)[:, None] + np.arange(c.width)] = c.payload
            pos += 4 + c.width
            continue
        assert c.lengths is not None and c.offsets is not None
        out[pos[:, None] + np.arange(4)] = c.lengths.astype(">i4").view(U8).reshape(n, 4)
        clipped = np.maximum(c.lengths, 0).astype(np.int64)
        total = int(c.offsets[-1])
        if total:
            index = np.repeat(pos + 4 - c.offsets[:-1], clipped) + np.arange(total)
            out[index] = c.payload
        pos += 4 + clipped
    return out.tobytes()


def copy_chunks(
    conn: psycopg.Connection[Any], table: str, chunks: Iterable[dict[str, Encoded]], *, chunk_rows: int = 100_000
) -> int:
    """COPY chunks of columns (same names, same order in every chunk) into `table` in the current transaction.

    Returns the number of rows written. Encoding the next block overlaps with sending the previous one (queued
    writer thread). Nothing is sent for an empty iterable.
    """
    written = 0
    names: list[str] | None = None
    copy: Any = None
    with contextlib.ExitStack() as stack:
        for chunk in chunks:
            if names is None:
                names = list(chunk)
                statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
                    sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(name) for name in names)
                )
                cur = stack.enter_context(conn.cursor())
                copy = stack.enter_context(cur.copy(statement, writer=QueuedLibpqWriter(cur)))
                copy.write(COPY_SIGNATURE)
            elif list(chunk) != names:
                raise BulkEncodingError(f"chunk columns {list(chunk)} differ from the first chunk's {names}")
            columns = list(chunk.values())
            n = columns[0].n
            for start in range(0, n, chunk_rows):
                copy.write(encode_rows([c.take(start, start + chunk_rows) for c in columns]))
            written += n
        if copy is not None:
            copy.write(COPY_TRAILER)
    return written


def copy_columns(
    conn: psycopg.Connection[Any], table: str, columns: dict[str, Encoded], *, chunk_rows: int = 100_000
) -> int:
    """COPY one set of columns into `table` in the current transaction; returns the number of rows."""
    return copy_chunks(conn, table, [columns], chunk_rows=chunk_rows)


def reserve_ids(conn: psycopg.Connection[Any], table: str, count: int) -> int:
    """Reserve `count` consecutive ids of `table`'s identity column; returns the first.

    The caller holds a lock that keeps other writers out of `table` (e.g. SHARE ROW EXCLUSIVE) in this transaction.
    The sequence is moved past both its current value and the table's highest id; a rollback leaves a gap, never a
    duplicate.
    """
    seq_row = conn.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,)).fetchone()
    if seq_row is None or seq_row[0] is None:
        raise BulkEncodingError(f"table {table} has no identity column 'id'")
    seq = seq_row[0]
    query = sql.SQL(
        "SELECT setval({seq}::regclass, greatest((SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END"
        " FROM {seq_ident}), (SELECT coalesce(max(id), 0) FROM {table})) + %s)"
    ).format(seq=sql.Literal(seq), seq_ident=sql.Identifier(*seq.split(".")), table=sql.Identifier(table))
    row = conn.execute(query, (max(count, 1),)).fetchone()
    assert row is not None
    return int(row[0]) - max(count, 1) + 1
