"""Table columns of the synthetic utility, built from a `Plan` in chunks of `plan.CHUNK` accounts.

Each builder yields `dict[column, Encoded]` chunks ready for `devtools.seeding.bulk.copy_chunks`. Ids come from
`IdBlocks` (reserved before building), so related rows carry their foreign keys without a round trip. Random
draws use one stream per (seed, table, chunk): the same spec always yields the same rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from devtools.seeding import bulk, catalog, people
from devtools.seeding.bulk import Encoded
from devtools.seeding.identifiers import clabe_check_digits, luhn_check_digits
from devtools.seeding.plan import (
    AMR,
    CHUNK,
    CLASSES,
    COMERCIAL,
    DOMESTICO,
    HANDHELD,
    INDUSTRIAL,
    LOCAL_UTC_OFFSET_H,
    PUBLICO,
    SELF,
    SOCIAL,
    SOURCES,
    US_PER_DAY,
    US_PER_HOUR,
    Plan,
    pg_days,
    rng_for,
)

Columns = dict[str, Encoded]
ADDRESS_STREAM, ACOMETIDA_STREAM, METER_STREAM = 2, 3, 4
BRAND_CODES = {
    "Cicasa": "CIC",
    "Itron": "ITR",
    "Elster": "ELS",
    "Badger Meter": "BAD",
    "Zenner": "ZEN",
    "Sensus": "SEN",
    "Arad": "ARA",
}


@dataclass(frozen=True)
class IdBlocks:
    """First id of each table's reserved block."""

    sectores_hidraulicos: int
    persons: int
    addresses: int
    tomas: int
    acometidas: int
    meters: int
    meter_installations: int
    accounts: int
    adjustments: int
    account_movements: int
    meter_readings: int


def row_counts(plan: Plan) -> dict[str, int]:
    """Rows each table receives."""
    n = plan.accounts
    return {
        "sectores_hidraulicos": plan.spec.sectors,
        "persons": plan.persons,
        "addresses": n,
        "tomas": n,
        "acometidas": n + int(plan.drainage.sum()),
        "meters": n,
        "meter_installations": n,
        "accounts": n,
        "adjustments": plan.debts,
        "account_movements": plan.debts,
        "meter_readings": plan.readings,
    }


def _chunks(n: int) -> Iterator[tuple[int, int, int]]:
    for number, lo in enumerate(range(0, n, CHUNK)):
        yield number, lo, min(n, lo + CHUNK)


def _local_us(days: np.ndarray, hour: int) -> np.ndarray:
    return days.astype(np.int64) * US_PER_DAY + (hour + LOCAL_UTC_OFFSET_H) * US_PER_HOUR


def _tenant(plan: Plan, n: int) -> Encoded:
    return bulk.uuid_const(plan.spec.tenant_id, n)


def account_numbers(lo: int, hi: int) -> np.ndarray:
    """Nine-digit account numbers "1" + 8-digit sequence, as ASCII digits (n, 9)."""
    return bulk.digits(100_000_000 + np.arange(lo + 1, hi + 1), 9)


def sectors(plan: Plan, ids: IdBlocks) -> Iterator[Columns]:
    s = plan.spec.sectors
    yield {
        "id": bulk.int8(ids.sectores_hidraulicos + np.arange(s)),
        "tenant_id": _tenant(plan, s),
        "code": bulk.text([plan.sector_code(k) for k in range(s)]),
        "name": bulk.text(plan.sector_names),
    }


def persons(plan: Plan, ids: IdBlocks) -> Iterator[Columns]:
    return people.persons(plan, ids.persons)


_COLONIA_NAMES = np.array([c.name for c in catalog.COLONIAS], dtype=object)
_COLONIA_CPS = np.array([c.postal_code for c in catalog.COLONIAS], dtype=object)
_COLONIA_MUNICIPALITIES = np.array([c.municipality for c in catalog.COLONIAS], dtype=object)
_STREETS = np.array(catalog.STREETS, dtype=object)
_INTERIORS = np.array(
    ["A", "B", "C", "1", "2", "3", "Depto 1", "Depto 2", "Depto 4", "Local 1", "Local 2", "Local 5"], dtype=object
)


def addresses(plan: Plan, ids: IdBlocks) -> Iterator[Columns]:
    for number, lo, hi in _chunks(plan.accounts):
        rng = rng_for(plan.spec.seed, ADDRESS_STREAM, number)
        k = hi - lo
        colonia = plan.colonia[lo:hi]
        ext = rng.integers(1, 2400, k)
        no_number = rng.random(k) < 0.01
        interior_share = np.where(plan.cls[lo:hi] == COMERCIAL, 0.3, 0.05)
        interior = _INTERIORS[rng.integers(0, len(_INTERIORS), k)]
        interior[rng.random(k) >= interior_share] = None
        yield {
            "id": bulk.int8(ids.addresses + np.arange(lo, hi)),
            "tenant_id": _tenant(plan, k),
            "street": bulk.text(_STREETS[rng.integers(0, len(_STREETS), k)].tolist()),
            "ext_number": bulk.text(["S/N" if s else str(e) for s, e in zip(no_number, ext, strict=True)]),
            "int_number": bulk.text(interior.tolist()),
            "colonia": bulk.text(_COLONIA_NAMES[colonia].tolist()),
            "municipality": bulk.text(_COLONIA_MUNICIPALITIES[colonia].tolist()),
            "state": bulk.text_const("Querétaro", k),
            "postal_code": bulk.text(_COLONIA_CPS[colonia].tolist()),
        }


_CLASS_NAMES = np.array(CLASSES, dtype=object)


def tomas(plan: Plan, ids: IdBlocks) -> Iterator[Columns]:
    for _, lo, hi in _chunks(plan.accounts):
        k = hi - lo
        numbers = np.concatenate(
            [np.full((k, 1), ord("T"), np.uint8), bulk.digits(np.arange(lo + 1, hi + 1), 8)], axis=1
        )
        yield {
            "id": bulk.int8(ids.tomas + np.arange(lo, hi)),
            "tenant_id": _tenant(plan, k),
            "toma_number": bulk.text_fixed(numbers),
            "address_id": bulk.int8(ids.addresses + np.arange(lo, hi)),
            "sector_id": bulk.int8(ids.sectores_hidraulicos + plan.sector[lo:hi].astype(np.int64)),
            "tariff_class": bulk.text(_CLASS_NAMES[plan.cls[lo:hi]].tolist()),
            "status": bulk.text(np.where(plan.restricted[lo:hi], "restricted", "active").tolist()),
            "latitude": bulk.numeric(plan.lat_e6[lo:hi], 6),
            "longitude": bulk.numeric(plan.lon_e6[lo:hi], 6),
            "service_drainage": bulk.boolean(plan.drainage[lo:hi]),
            "created_at": bulk.timestamptz(_local_us(plan.opened_day[lo:hi], 9)),
        }


_WATER_DIAMETERS = {
    DOMESTICO: (13,),
    SOCIAL: (13,),
    COMERCIAL: (13, 13, 19),
    INDUSTRIAL: (25, 38, 50),
    PUBLICO: (19, 25),
}
_WATER_MATERIALS = np.array(["PEAD", "Cobre", "Polietileno"], dtype=object)
_SEWER_MATERIALS = np.array(["PVC", "Concreto"], dtype=object)


def acometidas(plan: Plan, ids: IdBlocks) -> Iterator[Columns]:
    next_id = ids.acometidas
    for number, lo, hi in _chunks(plan.accounts):
        rng = rng_for(plan.spec.seed, ACOMETIDA_STREAM, number)
        k = hi - lo
        cls = plan.cls[lo:hi]
        pick = rng.integers(0, 3, k)
        diameter = np.array(
            [_WATER_DIAMETERS[int(c)][p % len(_WATER_DIAMETERS[int(c)])] for c, p in zip(cls, pick, strict=True)],
            dtype=np.int64,
        )
        sewer = np.flatnonzero(plan.drainage[lo:hi])
        toma = ids.tomas + np.arange(lo, hi)
        installed = plan.opened_day[lo:hi]
        rows = k + len(sewer)
        yield {
            "id": bulk.int8(next_id + np.arange(rows)),
            "tenant_id": _tenant(plan, rows),
            "toma_id": bulk.int8(np.concatenate([toma, toma[sewer]])),
            "kind": bulk.text(["agua"] * k + ["drenaje"] * len(sewer)),
            "diameter_mm": bulk.int4(np.concatenate([diameter, np.where(cls[sewer] == INDUSTRIAL, 200, 150)])),
            "material": bulk.text(
                _WATER_MATERIALS[rng.integers(0, 3, k)].tolist()
                + _SEWER_MATERIALS[rng.integers(0, 2, len(sewer))].tolist()
            ),
            "installed_on": bulk.date(np.concatenate([installed, installed[sewer]])),
        }
        next_id += rows


_BRANDS = np.array(catalog.METER_BRANDS, dtype=object)


def meters(plan: Plan, ids: IdBlocks) -> Iterator[Columns]:
    for number, lo, hi in _chunks(plan.accounts):
        rng = rng_for(plan.spec.seed, METER_STREAM, number)
        k = hi - lo
        brand = rng.integers(0, len(_BRANDS), k)
        year = (
            np.datetime64("2000-01-01", "D") + (plan.installed_us[lo:hi] // US_PER_DAY).astype("timedelta64[D]")
        ).astype("datetime64[Y]").astype(np.int64) + 1970
        serials = [
            f"{BRAND_CODES[_BRANDS[b]]}{y % 100:02d}{i + 1:08d}"
            for b, y, i in zip(brand, year, range(lo, hi), strict=True)
        ]
        yield {
            "id": bulk.int8(ids.meters + np.arange(lo, hi)),
            "tenant_id": _tenant(plan, k),
            "serial": bulk.text(serials),
            "brand": bulk.text(_BRANDS[brand].tolist()),
            "dials": bulk.int2(plan.dials[lo:hi]),
        }


def meter_installations(plan: Plan, ids: IdBlocks) -> Iterator[Columns]:
    for _, lo, hi in _chunks(plan.accounts):
        k = hi - lo
        yield {
            "id": bulk.int8(ids.meter_installations + np.arange(lo, hi)),
            "tenant_id": _tenant(plan, k),
            "meter_id": bulk.int8(ids.meters + np.arange(lo, hi)),
            "toma_id": bulk.int8(ids.tomas + np.arange(lo, hi)),
            "installed_at": bulk.timestamptz(plan.installed_us[lo:hi]),
            "initial_read": bulk.numeric(plan.initial_read[lo:hi] * 1000, 3),
        }


def payment_references(lo: int, hi: int) -> np.ndarray:
    """12 digits: "10" + account number + Luhn check digit, as ASCII (n, 12)."""
    body = np.concatenate(
        [
            np.tile(np.frombuffer(catalog.PAYMENT_REFERENCE_PREFIX.encode(), np.uint8), (hi - lo, 1)),
            account_numbers(lo, hi),
        ],
        axis=1,
    )
    return np.concatenate([body, (48 + luhn_check_digits(body - 48)).astype(np.uint8)[:, None]], axis=1)


def clabes(lo: int, hi: int) -> np.ndarray:
    """18 digits: bank 646 (STP) + plaza 180 + "7" + 10-digit account sequence + check digit, as ASCII (n, 18)."""
    prefix = (catalog.CLABE_BANK + catalog.CLABE_PLAZA + catalog.CLABE_PREFIX).encode()
    body = np.concatenate(
        [np.tile(np.frombuffer(prefix, np.uint8), (hi - lo, 1)), bulk.digits(np.arange(lo + 1, hi + 1), 10)], axis=1
    )
    return np.concatenate([body, (48 + clabe_check_digits(body - 48)).astype(np.uint8)[:, None]], axis=1)


def accounts(plan: Plan, ids: IdBlocks) -> Iterator[Columns]:
    for _, lo, hi in _chunks(plan.accounts):
        k = hi - lo
        yield {
            "id": bulk.int8(ids.accounts + np.arange(lo, hi)),
            "tenant_id": _tenant(plan, k),
            "account_number": bulk.text_fixed(account_numbers(lo, hi)),
            "person_id": bulk.int8(ids.persons + plan.person_of_account[lo:hi]),
            "toma_id": bulk.int8(ids.tomas + np.arange(lo, hi)),
            "tariff_class": bulk.text(_CLASS_NAMES[plan.cls[lo:hi]].tolist()),
            "status": bulk.text_const("active", k),
            "household_size": bulk.int2(plan.household[lo:hi]),
            "opened_on": bulk.date(plan.opened_day[lo:hi]),
            "payment_reference": bulk.text_fixed(payment_references(lo, hi)),
            "clabe": bulk.text_fixed(clabes(lo, hi)),
            "created_at": bulk.timestamptz(_local_us(plan.opened_day[lo:hi], 9)),
        }


def _debtors(plan: Plan) -> np.ndarray:
    return np.flatnonzero(plan.debt_cents > 0)


def _window_start_us(plan: Plan) -> int:
    return pg_days(plan.spec.first_month) * US_PER_DAY + LOCAL_UTC_OFFSET_H * US_PER_HOUR


def adjustments(plan: Plan, ids: IdBlocks) -> Iterator[Columns]:
    debtors = _debtors(plan)
    k = len(debtors)
    if not k:
        return
    numbers = [n.decode() for n in account_numbers(0, plan.accounts)[debtors].view("S9").ravel()]
    periods = plan.debt_periods[debtors]
    yield {
        "id": bulk.int8(ids.adjustments + np.arange(k)),
        "tenant_id": _tenant(plan, k),
        "account_id": bulk.int8(ids.accounts + debtors),
        "amount": bulk.numeric(plan.debt_cents[debtors], 2),
        "reason": bulk.text([f"Saldo inicial migrado: adeudo de {p} periodo{'s' if p > 1 else ''}" for p in periods]),
        "natural_key": bulk.text([f"seed:saldo-inicial:{n}" for n in numbers]),
        "created_by": bulk.text_const("seed", k),
        "created_at": bulk.timestamptz(_window_start_us(plan), k),
    }


def account_movements(plan: Plan, ids: IdBlocks) -> Iterator[Columns]:
    debtors = _debtors(plan)
    k = len(debtors)
    if not k:
        return
    yield {
        "id": bulk.int8(ids.account_movements + np.arange(k)),
        "tenant_id": _tenant(plan, k),
        "account_id": bulk.int8(ids.accounts + debtors),
        "kind": bulk.text_const("adjustment", k),
        "amount": bulk.numeric(plan.debt_cents[debtors], 2),
        "source_type": bulk.text_const("adjustment", k),
        "source_id": bulk.int8(ids.adjustments + np.arange(k)),
        "occurred_at": bulk.timestamptz(_window_start_us(plan), k),
    }


_RECEIVED_DELAY_US = {HANDHELD: 3 * US_PER_HOUR, AMR: 10 * 60 * 1_000_000, SELF: 60 * 1_000_000}


def readings_per_month(plan: Plan) -> list[int]:
    return [int(c) for c in plan.reading_present.sum(axis=0)]


def partition_name(month: dt.date) -> str:
    return f"meter_readings_y{month:%Y}m{month:%m}"


def readings(plan: Plan, ids: IdBlocks, month_index: int, first_id: int) -> Iterator[Columns]:
    """Reads of one month: handheld, then AMR, then self reads, each in account order; ids from `first_id`."""
    month = plan.spec.month_starts[month_index]
    present = plan.reading_present[:, month_index]
    source = plan.reading_source[:, month_index]
    numbers = account_numbers(0, plan.accounts)
    prefix = np.frombuffer(f"{month:%Y%m}-".encode(), np.uint8)
    next_id = first_id
    for code in (HANDHELD, AMR, SELF):
        rows = np.flatnonzero(present & (source == code))
        k = len(rows)
        if not k:
            continue
        read_us = plan.reading_us[rows, month_index]
        yield {
            "id": bulk.int8(next_id + np.arange(k)),
            "tenant_id": _tenant(plan, k),
            "meter_id": bulk.int8(ids.meters + rows),
            "account_id": bulk.int8(ids.accounts + rows),
            "read_at": bulk.timestamptz(read_us),
            "value": bulk.numeric(plan.reading_value[rows, month_index], 3),
            "source": bulk.text_const(SOURCES[code], k),
            "source_id": bulk.text_fixed(np.concatenate([np.tile(prefix, (k, 1)), numbers[rows]], axis=1)),
            "received_at": bulk.timestamptz(read_us + _RECEIVED_DELAY_US[code]),
        }
        next_id += k
