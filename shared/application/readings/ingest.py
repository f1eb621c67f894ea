"""Ingest a batch of meter reads (handheld, AMR, customer self-reads, operator edits).

Every row is checked on its own: malformed rows (unknown meter, impossible date, non-numeric or negative value) are
reported with a clear reason and skipped; the valid rows are validated against the meter's history (VEE) and stored
in ONE transaction, so a batch is never half-written. A read already received (same meter, moment, source and
source id) is reported as a duplicate and not counted twice. Reads that fail validation are stored with status
`exception` and their reason codes, and the billing run holds their invoices for review.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, ValidationError, field_validator

from shared.adapters import storage
from shared.application.access.errors import Forbidden
from shared.application.access.principal import ALL_DATA, READINGS_WRITE, Principal
from shared.application.billing.periods import add_months, local_date
from shared.data import db
from shared.data import readings as sql
from shared.data.readings import MeterInstallation, NewRead
from shared.domain.readings.model import ConsumptionPeriod, Meter, MeterRead, ValidationPolicy
from shared.domain.readings.queries import NegativeConsumption, ReadOutOfRange, consumption_between, validate_read
from shared.domain.timezone import UTILITY_TZ
from shared.platform.config import get_settings

EARLIEST = datetime(2000, 1, 1, tzinfo=UTILITY_TZ)
MAX_BATCH = 10_000
_MESSAGES = {
    "decimal_parsing": "el valor no es numérico",
    "decimal_type": "el valor no es numérico",
    "greater_than_equal": "el valor no puede ser negativo",
    "datetime_parsing": "fecha y hora inválidas",
    "datetime_from_date_parsing": "fecha y hora inválidas",
    "datetime_type": "fecha y hora inválidas",
    "missing": "falta el campo",
    "literal_error": "origen desconocido (handheld, amr, self, operator)",
    "string_too_short": "texto vacío",
    "string_too_long": "texto demasiado largo",
    "decimal_max_digits": "el valor tiene demasiados dígitos",
    "decimal_max_places": "el valor tiene más de 3 decimales",
}


class ReadIn(BaseModel):
    meter_serial: str = Field(min_length=1, max_length=40)
    read_at: datetime
    value: Decimal = Field(ge=0, max_digits=12, decimal_places=3)
    source: Literal["handheld", "amr", "self", "operator"]
    source_id: str = Field(min_length=1, max_length=100)
    photo_base64: str | None = Field(default=None, max_length=8_000_000)

    @field_validator("value", mode="before")
    @classmethod
    def _no_floats(cls, v: Any) -> Any:
        return str(v) if isinstance(v, float) else v

    @field_validator("read_at")
    @classmethod
    def _local_when_naive(cls, v: datetime) -> datetime:
        return v.replace(tzinfo=UTILITY_TZ) if v.tzinfo is None else v


RowStatus = Literal["accepted", "exception", "duplicate", "rejected"]


@dataclass
class RowResult:
    row: int
    status: RowStatus
    errors: list[str] = field(default_factory=list)
    exception_codes: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    received: int
    accepted: int = 0
    exceptions: int = 0
    duplicates: int = 0
    rejected: int = 0
    rows: list[RowResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "accepted": self.accepted,
            "exceptions": self.exceptions,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rows": [r.__dict__ for r in self.rows if r.status != "accepted"],
        }


class BatchTooLarge(ValueError):
    """More rows than MAX_BATCH in one request."""


def _parse(index: int, raw: Any, now: datetime) -> tuple[ReadIn | None, list[str]]:
    if not isinstance(raw, dict):
        return None, ["la fila no es un objeto"]
    try:
        read = ReadIn.model_validate(raw)
    except ValidationError as exc:
        errors = []
        for e in exc.errors(include_url=False):
            where = ".".join(str(p) for p in e["loc"]) or "fila"
            errors.append(f"{where}: {_MESSAGES.get(e['type'], e['msg'])}")
        return None, errors
    if read.read_at < EARLIEST or read.read_at > now + timedelta(days=1):
        return None, [f"read_at: fecha imposible ({read.read_at.isoformat()})"]
    return read, []


def consumption_history(reads: list[tuple[date, Decimal]], dials: int) -> list[ConsumptionPeriod]:
    """Consumption periods between consecutive actual reads (impossible pairs are skipped)."""
    periods = []
    for (d0, v0), (d1, v1) in pairwise(reads):
        if d1 <= d0:
            continue
        try:
            used = consumption_between(previous=v0, current=v1, dials=dials)
        except (NegativeConsumption, ReadOutOfRange):
            continue
        periods.append(ConsumptionPeriod(start=d0, end=d1, m3=used.m3))
    return periods


def _photo_blob(tenant: UUID, read: ReadIn) -> tuple[str, bytes] | None:
    if not read.photo_base64:
        return None
    data = base64.b64decode(read.photo_base64, validate=True)
    name = f"{tenant}/{read.meter_serial}/{read.read_at:%Y%m%dT%H%M%S%z}-{read.source}-{read.source_id}.jpg"
    return name, data


def _resolve(
    meters: dict[str, MeterInstallation], parsed: list[tuple[int, ReadIn]], results: dict[int, RowResult]
) -> list[tuple[int, ReadIn]]:
    known = []
    for i, read in parsed:
        if read.meter_serial not in meters:
            results[i] = RowResult(
                row=i, status="rejected", errors=[f"meter_serial: medidor desconocido {read.meter_serial!r}"]
            )
        elif meters[read.meter_serial].account_id is None:
            results[i] = RowResult(row=i, status="rejected", errors=["el medidor no está instalado en una toma"])
        else:
            known.append((i, read))
    return known


def _store_photos(tenant: UUID, known: list[tuple[int, ReadIn]], results: dict[int, RowResult]) -> dict[int, str]:
    photos: dict[int, str] = {}
    for i, read in known:
        try:
            photo = _photo_blob(tenant, read)
        except (binascii.Error, ValueError):
            results[i] = RowResult(row=i, status="rejected", errors=["photo_base64: no es base64 válido"])
            continue
        if photo is not None:
            photos[i] = storage.put_blob(get_settings().BLOB_CONTAINER_READING_PHOTOS, photo[0], photo[1], "image/jpeg")
    return photos


def meter_from_row(*, meter: MeterInstallation, day: date) -> Meter:
    """The domain meter from a meter with its latest installation (a read's own day when never installed)."""
    return Meter(
        serial=meter.serial,
        dials=int(meter.dials),
        installed_on=local_date(meter.installed_at) if meter.installed_at else day,
        removed_on=local_date(meter.removed_at) if meter.removed_at else None,
        initial_read=meter.initial_read if meter.initial_read is not None else Decimal(0),
    )


def read_exception_codes(
    *,
    value: Decimal,
    day: date,
    before: list[tuple[date, Decimal]],
    meter: Meter,
    policy: ValidationPolicy,
    now: datetime,
) -> list[str]:
    """VEE codes of a read on `day` given the meter's earlier actual reads (oldest first)."""
    return [
        c.value
        for c in validate_read(
            read=MeterRead(value=value, read_on=day),
            previous=MeterRead(value=before[-1][1], read_on=before[-1][0]) if before else None,
            history=consumption_history(before[-13:], meter.dials),
            meter=meter,
            policy=policy,
            now=local_date(now),
        )
    ]


def _validate(
    known: list[tuple[int, ReadIn]],
    meters: dict[str, MeterInstallation],
    history: dict[int, list[tuple[date, Decimal]]],
    photos: dict[int, str],
    *,
    policy: ValidationPolicy,
    now: datetime,
) -> tuple[list[NewRead], list[tuple[int, list[str]]]]:
    """VEE in time order per meter; a valid read becomes history for the next one in the batch."""
    rows_out: list[NewRead] = []
    verdicts: list[tuple[int, list[str]]] = []
    for i, read in sorted(known, key=lambda x: (x[1].meter_serial, x[1].read_at)):
        m = meters[read.meter_serial]
        day = local_date(read.read_at)
        series = history.setdefault(m.meter_id, [])
        before = [(d, v) for d, v in series if d < day]
        codes = read_exception_codes(
            value=read.value, day=day, before=before, meter=meter_from_row(meter=m, day=day), policy=policy, now=now
        )
        if not codes:
            series.append((day, read.value))
            series.sort()
        assert m.account_id is not None  # _resolve rejected meters without an account
        rows_out.append(
            NewRead(
                meter_id=m.meter_id,
                account_id=m.account_id,
                read_at=read.read_at,
                value=read.value,
                source=read.source,
                source_id=read.source_id,
                status="exception" if codes else "valid",
                exception_codes=codes,
                photo_blob=photos.get(i),
            )
        )
        verdicts.append((i, codes))
    return rows_out, verdicts


def _tally(report: IngestReport, results: dict[int, RowResult]) -> IngestReport:
    report.rows = [results[i] for i in sorted(results)]
    counts = {"accepted": 0, "exception": 0, "duplicate": 0, "rejected": 0}
    for r in report.rows:
        counts[r.status] += 1
    report.accepted, report.exceptions = counts["accepted"], counts["exception"]
    report.duplicates, report.rejected = counts["duplicate"], counts["rejected"]
    return report


def ingest_reads(
    *, tenant_id: UUID | str, rows: list[Any], now: datetime, policy: ValidationPolicy | None = None
) -> IngestReport:
    if len(rows) > MAX_BATCH:
        raise BatchTooLarge(f"a batch holds at most {MAX_BATCH} reads, got {len(rows)}")
    tenant = UUID(str(tenant_id))
    results: dict[int, RowResult] = {}
    parsed: list[tuple[int, ReadIn]] = []
    for i, raw in enumerate(rows):
        read, errors = _parse(i, raw, now)
        if read is None:
            results[i] = RowResult(row=i, status="rejected", errors=errors)
        else:
            parsed.append((i, read))
    with db.tenant_transaction(tenant) as conn:
        meters = sql.meters_by_serial(conn, serials=sorted({r.meter_serial for _, r in parsed}))
        known = _resolve(meters, parsed, results)
        photos = _store_photos(tenant, known, results)
        known = [(i, r) for i, r in known if i not in results]
        if known:
            first, last = min(r.read_at for _, r in known), max(r.read_at for _, r in known)
            sql.ensure_partitions(conn, first=local_date(first).replace(day=1), last=add_months(local_date(last), 1))
            history = sql.recent_actual_reads(
                conn, meter_ids=[meters[r.meter_serial].meter_id for _, r in known], since=first - timedelta(days=400)
            )
            rows_out, verdicts = _validate(known, meters, history, photos, policy=policy or ValidationPolicy(), now=now)
            for (i, codes), new in zip(verdicts, sql.insert_reads(conn, rows=rows_out), strict=True):
                status: RowStatus = "duplicate" if not new else ("exception" if codes else "accepted")
                results[i] = RowResult(row=i, status=status, exception_codes=codes if new else [])
    return _tally(IngestReport(received=len(rows)), results)


def ingest_batch(*, principal: Principal, rows: list[Any], now: datetime) -> IngestReport:
    """A batch sent through the API: staff with `readings:write` only."""
    if not (principal.can(READINGS_WRITE) and principal.can(ALL_DATA)):
        raise Forbidden("forbidden", "Su rol no puede cargar lotes de lecturas.")
    return ingest_reads(tenant_id=principal.tenant_id, rows=rows, now=now)
