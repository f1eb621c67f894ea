"""Macro-meter (district meter) reads: one row is one interval of one meter, [read_from, read_to) with the register
at the start and at the end. A batch is accepted whole or not at all: every row with a problem is reported with its
row number, and re-sending rows already stored (same meter, dates and values) is a no-op."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from shared.domain.errors import Invalid

COLUMNS = ("sector", "meter", "read_from", "read_to", "start_read", "end_read")
MAX_REGISTER = Decimal("99999999999.999")
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2100, 1, 1)
MAX_INTERVAL_DAYS = 366


@dataclass(frozen=True)
class MacroInterval:
    sector_code: str
    meter_code: str
    read_from: date
    read_to: date
    start_value: Decimal
    end_value: Decimal
    row_no: int = 0

    @property
    def volume_m3(self) -> Decimal:
        return self.end_value - self.start_value

    def same_read(self, other: MacroInterval) -> bool:
        return (self.meter_code, self.read_from, self.read_to, self.start_value, self.end_value) == (
            other.meter_code,
            other.read_from,
            other.read_to,
            other.start_value,
            other.end_value,
        )


@dataclass(frozen=True)
class RowProblem:
    row: int
    code: str
    message_es: str

    def to_dict(self) -> dict[str, object]:
        return {"row": self.row, "code": self.code, "message": self.message_es}


class MacroReadsRejected(Invalid):
    """The batch has rows that cannot be accepted; nothing of it was written."""

    default_code = "macro_reads_rejected"

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        self.problems = tuple(problems)
        first = "; ".join(f"fila {p.row}: {p.message_es}" for p in self.problems[:3])
        more = f" (y {len(self.problems) - 3} más)" if len(self.problems) > 3 else ""
        super().__init__(None, f"El lote de lecturas de macromedidor tiene errores, no se guardó nada: {first}{more}.")


def _date(text: str) -> date:
    value = date.fromisoformat(text.strip())
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(text)
    return value


def _register(text: str) -> Decimal:
    value = Decimal(text.strip())
    if not value.is_finite() or value < 0 or value > MAX_REGISTER or value != value.quantize(Decimal("0.001")):
        raise InvalidOperation(text)
    return value


class _Bad(Exception):
    def __init__(self, code: str, message_es: str) -> None:
        super().__init__(code)
        self.code, self.message_es = code, message_es


def _values(raw: Mapping[str, str | None], sectors: Mapping[str, int]) -> tuple[str, date, date, Decimal, Decimal]:
    missing = [c for c in COLUMNS if not (raw.get(c) or "").strip()]
    if missing:
        raise _Bad("missing_field", f"faltan columnas: {', '.join(missing)}")
    sector = str(raw["sector"]).strip()
    if sector not in sectors:
        raise _Bad("unknown_sector", f"el sector '{sector}' no existe")
    try:
        read_from, read_to = _date(str(raw["read_from"])), _date(str(raw["read_to"]))
    except ValueError as error:
        raise _Bad("invalid_date", "las fechas deben ser AAAA-MM-DD entre 2000 y 2100") from error
    try:
        start, end = _register(str(raw["start_read"])), _register(str(raw["end_read"]))
    except (InvalidOperation, ValueError) as error:
        raise _Bad("invalid_read", "las lecturas deben ser números ≥ 0 con hasta 3 decimales") from error
    if read_to <= read_from:
        raise _Bad("empty_interval", "read_to debe ser posterior a read_from")
    if (read_to - read_from).days > MAX_INTERVAL_DAYS:
        raise _Bad("interval_too_long", f"un intervalo no puede pasar de {MAX_INTERVAL_DAYS} días")
    if end < start:
        raise _Bad("read_goes_backwards", f"la lectura final {end} es menor que la inicial {start}")
    return sector, read_from, read_to, start, end


def _parse(row_no: int, raw: Mapping[str, str | None], sectors: Mapping[str, int]) -> MacroInterval | RowProblem:
    try:
        sector, read_from, read_to, start, end = _values(raw, sectors)
    except _Bad as bad:
        return RowProblem(row_no, bad.code, bad.message_es)
    return MacroInterval(sector, str(raw["meter"]).strip(), read_from, read_to, start, end, row_no)


def _meter_problems(meter: str, intervals: list[MacroInterval]) -> list[RowProblem]:
    """Sector changes, overlaps and a register going back between consecutive intervals of one meter."""
    problems: list[RowProblem] = []
    ordered = sorted(intervals, key=lambda r: (r.read_from, r.read_to, r.row_no))
    if len({r.sector_code for r in ordered}) > 1:
        message = f"el medidor '{meter}' aparece en varios sectores"
        problems.extend(RowProblem(r.row_no, "meter_sector_mismatch", message) for r in ordered if r.row_no)
    for before, after in itertools.pairwise(ordered):
        culprit = after if after.row_no else before
        if not culprit.row_no:
            continue
        if after.read_from < before.read_to:
            where = f"fila {before.row_no}" if before.row_no else "una lectura ya guardada"
            problems.append(
                RowProblem(
                    culprit.row_no,
                    "overlapping_interval",
                    f"el intervalo {after.read_from}–{after.read_to} del medidor '{meter}' se traslapa con "
                    f"{where} ({before.read_from}–{before.read_to})",
                )
            )
        elif after.start_value < before.end_value:
            problems.append(
                RowProblem(
                    culprit.row_no,
                    "read_goes_backwards",
                    f"la lectura inicial {after.start_value} del medidor '{meter}' el {after.read_from} es menor "
                    f"que la final anterior {before.end_value}",
                )
            )
    return problems


def validate_batch(
    *,
    rows: Sequence[Mapping[str, str | None]],
    sectors: Mapping[str, int],
    stored: Iterable[MacroInterval],
    first_row: int = 2,
) -> list[MacroInterval]:
    """The new intervals to write (rows already stored as they are are dropped). Raises `MacroReadsRejected` with
    every problem: unparseable rows, unknown sectors, a register that goes backwards (inside a row or between
    consecutive intervals of a meter), intervals that overlap another of the batch or one already stored, a meter
    that moved sector. `first_row` is the number of the first data row (2 for a CSV with a header)."""
    problems: list[RowProblem] = []
    parsed: list[MacroInterval] = []
    for i, raw in enumerate(rows):
        result = _parse(first_row + i, raw, sectors)
        (problems if isinstance(result, RowProblem) else parsed).append(result)  # type: ignore[arg-type]
    if not rows:
        problems.append(RowProblem(first_row, "empty_batch", "el lote no tiene filas"))
    by_meter: dict[str, list[MacroInterval]] = defaultdict(list)
    for old in stored:
        by_meter[old.meter_code].append(old)
    stored_keys = {m: list(v) for m, v in by_meter.items()}
    fresh: list[MacroInterval] = []
    for new in parsed:
        if any(new.same_read(old) for old in stored_keys.get(new.meter_code, [])):
            continue  # a redelivery: already stored exactly so
        fresh.append(new)
        by_meter[new.meter_code].append(new)
    for meter, intervals in by_meter.items():
        problems.extend(_meter_problems(meter, intervals))
    if problems:
        unique = {(p.row, p.code): p for p in problems}
        raise MacroReadsRejected(sorted(unique.values(), key=lambda p: (p.row, p.code)))
    return fresh


UNBILLED_COLUMNS = ("sector", "period", "category", "volume_m3")


@dataclass(frozen=True)
class UnbilledEntry:
    sector: str
    period: date
    category: str
    volume_m3: Decimal


class UnbilledRejected(Invalid):
    """The authorised-unbilled batch has rows that cannot be accepted; nothing of it was written."""

    default_code = "unbilled_rejected"

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        self.problems = tuple(problems)
        first = "; ".join(f"fila {p.row}: {p.message_es}" for p in self.problems[:3])
        super().__init__(None, f"El lote de consumo autorizado no facturado tiene errores, no se guardó nada: {first}.")


def _unbilled_row(
    raw: Mapping[str, str | None], sectors: Mapping[str, int], categories: Sequence[str]
) -> UnbilledEntry:
    missing = [c for c in UNBILLED_COLUMNS if not (raw.get(c) or "").strip()]
    if missing:
        raise _Bad("missing_field", f"faltan columnas: {', '.join(missing)}")
    sector, category = str(raw["sector"]).strip(), str(raw["category"]).strip()
    if sector not in sectors:
        raise _Bad("unknown_sector", f"el sector '{sector}' no existe")
    if category not in categories:
        raise _Bad("unknown_category", f"la categoría '{category}' no está configurada ({', '.join(categories)})")
    try:
        period = _date(str(raw["period"]).strip() + "-01")
    except ValueError as error:
        raise _Bad("invalid_period", "el periodo debe ser AAAA-MM") from error
    try:
        volume = _register(str(raw["volume_m3"]))
    except (InvalidOperation, ValueError) as error:
        raise _Bad("invalid_volume", "el volumen debe ser un número ≥ 0 con hasta 3 decimales") from error
    return UnbilledEntry(sector, period, category, volume)


def validate_unbilled(
    *,
    rows: Sequence[Mapping[str, str | None]],
    sectors: Mapping[str, int],
    categories: Sequence[str],
    first_row: int = 2,
) -> list[UnbilledEntry]:
    """Authorised unbilled volumes (fire fighting, flushing, ...) per sector, month and tenant category."""
    problems: list[RowProblem] = []
    out: list[UnbilledEntry] = []
    seen: dict[tuple[str, date, str], int] = {}
    for i, raw in enumerate(rows):
        row_no = first_row + i
        try:
            entry = _unbilled_row(raw, sectors, categories)
        except _Bad as bad:
            problems.append(RowProblem(row_no, bad.code, bad.message_es))
            continue
        key = (entry.sector, entry.period, entry.category)
        if key in seen:
            problems.append(RowProblem(row_no, "duplicate_row", f"repite la fila {seen[key]}"))
            continue
        seen[key] = row_no
        out.append(entry)
    if not rows:
        problems.append(RowProblem(first_row, "empty_batch", "el lote no tiene filas"))
    if problems:
        raise UnbilledRejected(problems)
    return out
