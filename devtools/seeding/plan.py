"""The synthetic utility as arrays: everything two or more tables share, drawn once, deterministically from a seed.

`build_plan(spec)` decides per account its tariff class, colonia, sector, coordinates, household size, meter,
consumption month by month, which reads are missing, leaks, vacant houses (zero consumption), meter rollovers and
opening debts. Row builders (`rows.py`) turn a plan into table columns; nothing here touches the database or the
clock. The same spec gives the same plan on every run (numpy PCG64 streams keyed by the seed).

Consumption model: a per-account base (class median × log-normal spread × household size for homes), times the
class's seasonal factor for the calendar month (April–June highest in Querétaro), times month-to-month noise.
Vacant homes consume 0. Leaks add 20–80 m³ a month (×2 commercial, ×5 industrial) for 2–4 consecutive months.
Meters register cumulatively modulo 10^dials; handheld and self reads are whole m³, AMR reads carry litres.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from devtools.seeding import catalog

CLASSES: tuple[str, ...] = tuple(name for name, _ in catalog.TARIFF_MIX)
DOMESTICO, COMERCIAL, INDUSTRIAL, PUBLICO, SOCIAL = range(5)
SOURCES: tuple[str, ...] = ("handheld", "amr", "self")
HANDHELD, AMR, SELF = range(3)
LOCAL_UTC_OFFSET_H = 6  # America/Mexico_City is UTC-6 all year since 2022
US_PER_DAY = 86_400_000_000
US_PER_HOUR = 3_600_000_000
PG_EPOCH = dt.date(2000, 1, 1)
MISSING_READ_SHARE = 0.03
VACANT_SHARE = 0.025
LEAK_SHARE = 0.012
ROLLOVER_SHARE = 0.004
ARREARS_SHARE = 0.08
CHUNK = 50_000  # row builders draw per chunk of this many accounts, so chunking never changes the data


class InvalidSpec(ValueError):
    """The requested synthetic utility is not possible (e.g. more sectors than accounts)."""


def month_add(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def pg_days(day: dt.date) -> int:
    return (day - PG_EPOCH).days


@dataclass(frozen=True)
class SyntheticSpec:
    """`months` monthly reads per account in [until − months, until); `until` is normalised to its month's 1st."""

    accounts: int
    sectors: int
    months: int
    seed: int
    until: dt.date
    tenant_id: str = catalog.TENANT_ID

    def __post_init__(self) -> None:
        if self.accounts < 1:
            raise InvalidSpec("at least one account is required")
        if not 1 <= self.sectors <= min(self.accounts, 999):
            raise InvalidSpec(f"sectors must be between 1 and min(accounts, 999), got {self.sectors}")
        if not 1 <= self.months <= 120:
            raise InvalidSpec(f"months must be between 1 and 120, got {self.months}")
        if self.accounts >= 100_000_000:
            raise InvalidSpec("at most 99,999,999 accounts")

    @property
    def end_month(self) -> dt.date:
        return self.until.replace(day=1)

    @property
    def first_month(self) -> dt.date:
        return month_add(self.end_month, -self.months)

    @property
    def month_starts(self) -> list[dt.date]:
        return [month_add(self.first_month, k) for k in range(self.months)]


@dataclass
class Plan:
    spec: SyntheticSpec
    cls: np.ndarray  # int8 class index per account (CLASSES)
    colonia: np.ndarray  # int16 index into catalog.COLONIAS
    sector: np.ndarray  # int32 0..S-1
    lat_e6: np.ndarray  # int64 latitude × 10^6
    lon_e6: np.ndarray
    household: np.ndarray  # int16
    opened_day: np.ndarray  # int32 days since 2000-01-01
    drainage: np.ndarray  # bool
    vacant: np.ndarray  # bool: zero consumption all along
    leak: np.ndarray  # bool
    rollover: np.ndarray  # bool: the register wraps inside the window
    amr: np.ndarray  # bool: the meter is read remotely
    dials: np.ndarray  # int16
    installed_us: np.ndarray  # int64 µs since 2000-01-01 UTC
    initial_read: np.ndarray  # int64 m³ on the register when installed (whole m³)
    debt_cents: np.ndarray  # int64, 0 = no opening debt
    debt_periods: np.ndarray  # int16 unpaid periods behind the debt
    restricted: np.ndarray  # bool: supply limited (state water law art. 74)
    person_of_account: np.ndarray  # int64 index into persons
    persons: int
    institution_persons: int
    reading_value: np.ndarray  # int64 (N, M) thousandths of m³ on the register
    reading_us: np.ndarray  # int64 (N, M)
    reading_source: np.ndarray  # int8 (N, M)
    reading_present: np.ndarray  # bool (N, M)
    sector_names: list[str] = field(default_factory=list)

    @property
    def accounts(self) -> int:
        return self.spec.accounts

    @property
    def readings(self) -> int:
        return int(self.reading_present.sum())

    @property
    def debts(self) -> int:
        return int((self.debt_cents > 0).sum())

    def sector_code(self, k: int) -> str:
        width = max(2, len(str(self.spec.sectors)))
        return f"S{k + 1:0{width}d}"


def rng_for(seed: int, stream: int, chunk: int = 0) -> np.random.Generator:
    """An independent, reproducible random stream per (seed, purpose, chunk)."""
    return np.random.default_rng([seed, stream, chunk])


def _quota(rng: np.random.Generator, n: int, shares: list[float]) -> np.ndarray:
    """Exactly round(share × n) of each category (largest remainder), in random order."""
    raw = np.array(shares) * n
    counts = np.floor(raw).astype(np.int64)
    for i in np.argsort(-(raw - counts), kind="stable")[: n - int(counts.sum())]:
        counts[i] += 1
    return rng.permutation(np.repeat(np.arange(len(shares)), counts)).astype(np.int8)


def _at_least(rng: np.random.Generator, candidates: np.ndarray, share: float, minimum: int) -> np.ndarray:
    """Indices drawn from `candidates` (bool mask): share × count of them, at least `minimum` when possible."""
    pool = np.flatnonzero(candidates)
    k = min(len(pool), max(minimum, round(share * len(candidates))))
    return np.sort(rng.choice(pool, size=k, replace=False)) if k else np.empty(0, dtype=np.int64)


class _Builder:
    """Draws the plan step by step from one random stream; the step order is part of the determinism."""

    def __init__(self, spec: SyntheticSpec) -> None:
        self.spec = spec
        self.n, self.m = spec.accounts, spec.months
        self.rng = rng_for(spec.seed, 0)
        self.minimum = 1 if self.n >= 20 else 0
        self.window_day = pg_days(spec.first_month)

    def places(self) -> None:
        n, rng = self.n, self.rng
        self.cls = _quota(rng, n, [share for _, share in catalog.TARIFF_MIX])
        weights = np.array([c.weight for c in catalog.COLONIAS], dtype=float)
        self.colonia = np.sort(rng.choice(len(catalog.COLONIAS), size=n, p=weights / weights.sum())).astype(np.int16)
        self.sector = ((np.arange(n, dtype=np.int64) * self.spec.sectors) // n).astype(np.int32)
        lat = np.array([c.lat for c in catalog.COLONIAS])[self.colonia] + rng.normal(0, 0.006, n)
        lon = np.array([c.lon for c in catalog.COLONIAS])[self.colonia] + rng.normal(0, 0.006, n)
        self.lat = np.clip(lat, catalog.BBOX_LAT[0] + 0.001, catalog.BBOX_LAT[1] - 0.001)
        self.lon = np.clip(lon, catalog.BBOX_LON[0] + 0.001, catalog.BBOX_LON[1] - 0.001)
        self.homes = (self.cls == DOMESTICO) | (self.cls == SOCIAL)
        self.household = np.where(self.homes, 1 + rng.binomial(7, 0.38, n), 1).astype(np.int16)
        self.drainage = rng.random(n) < np.where(self.cls == INDUSTRIAL, 0.9, 0.96)
        earliest = pg_days(dt.date(1990, 1, 1))
        self.opened_day = (earliest + rng.random(n) * (self.window_day - 60 - earliest)).astype(np.int32)

    def consumption(self) -> None:
        """m³ per account and month: base × season × noise; vacant homes 0; leak streaks added."""
        n, m, rng, cls = self.n, self.m, self.rng, self.cls
        median = np.array([catalog.MEDIAN_M3[c] for c in CLASSES])[cls]
        spread = np.array([catalog.SPREAD[c] for c in CLASSES])[cls]
        base = median * np.exp(rng.normal(0, 1, n) * spread)
        self.base = np.where(self.homes, base * (self.household / 3.66) ** 0.6, base)
        calendar = np.array([d.month - 1 for d in self.spec.month_starts])
        season = np.array([catalog.SEASON[c] for c in CLASSES])[cls][:, calendar]
        self.used = self.base[:, None] * season * np.exp(rng.normal(0, 0.12, (n, m)))
        self.vacant = np.zeros(n, dtype=bool)
        self.vacant[_at_least(rng, cls != INDUSTRIAL, VACANT_SHARE, self.minimum)] = True
        self.used[self.vacant] = 0.0
        self.leak = np.zeros(n, dtype=bool)
        leak_idx = _at_least(rng, ~self.vacant, LEAK_SHARE, self.minimum)
        self.leak[leak_idx] = True
        class_leak_factor = np.array([1.0, 2.0, 5.0, 2.0, 1.0])
        for i in leak_idx:
            length = int(rng.integers(2, 5))
            start = int(rng.integers(0, max(1, m - 1)))
            self.used[i, start : start + length] += rng.uniform(20, 80) * class_leak_factor[cls[i]]

    def meters(self) -> None:
        """Dials, installation, register at the start of the window; a few registers about to roll over."""
        n, m, rng, cls = self.n, self.m, self.rng, self.cls
        self.dials = np.full(n, 5, dtype=np.int16)
        self.dials[(cls == DOMESTICO) & (rng.random(n) < 0.12)] = 4
        self.dials[cls == INDUSTRIAL] = 6
        self.amr = (cls == INDUSTRIAL) | ((cls == COMERCIAL) & (rng.random(n) < 0.25)) | (rng.random(n) < 0.02)
        install_lo = np.maximum(self.opened_day, pg_days(dt.date(2010, 1, 1)))
        install_day = (install_lo + rng.random(n) * np.maximum(self.window_day - 30 - install_lo, 1)).astype(np.int64)
        self.installed_us = (
            install_day * US_PER_DAY + (LOCAL_UTC_OFFSET_H + 9) * US_PER_HOUR + rng.integers(0, 8 * 3600, n) * 1_000_000
        )
        self.capacity = 10 ** self.dials.astype(np.int64)
        self.initial_read = np.where(rng.random(n) < 0.15, (rng.random(n) * self.capacity / 10).astype(np.int64), 0)
        age_months = (self.window_day - install_day) / 30.44
        self.start_register = self.initial_read + self.base * age_months * rng.uniform(0.8, 1.2, n)
        self.rollover = np.zeros(n, dtype=bool)
        if m < 2:
            return
        roll_idx = _at_least(rng, ~self.vacant & ~self.leak, ROLLOVER_SHARE, self.minimum)
        self.rollover[roll_idx] = True
        for i in roll_idx:
            self.dials[i] = 4 if cls[i] in (DOMESTICO, SOCIAL) and rng.random() < 0.5 else max(5, int(self.dials[i]))
            self.capacity[i] = 10 ** int(self.dials[i])
            wrap_at = int(rng.integers(1, m))
            cum = np.cumsum(self.used[i])
            # The register passes its maximum between read wrap_at − 1 and read wrap_at.
            self.start_register[i] = self.capacity[i] - (cum[wrap_at - 1] + cum[wrap_at]) / 2
            consumed_before = self.base[i] * age_months[i]
            self.initial_read[i] = int(self.start_register[i] - consumed_before) % int(self.capacity[i])

    def reads(self) -> None:
        """Route day per sector, a jitter per account, working hours; ~3 % missing (never on rollover meters)."""
        n, m, rng = self.n, self.m, self.rng
        month_us = np.array([pg_days(d) for d in self.spec.month_starts], dtype=np.int64) * US_PER_DAY
        route_day = (1 + (np.arange(self.spec.sectors) * 5) % 23)[self.sector]
        self.reading_us = (
            month_us[None, :]
            + (route_day[:, None] + rng.integers(0, 3, (n, m))) * US_PER_DAY
            + (LOCAL_UTC_OFFSET_H + 8) * US_PER_HOUR
            + rng.integers(0, 8 * 3600, (n, m)) * 1_000_000
        )
        register = self.start_register[:, None] + np.cumsum(self.used, axis=1)
        self.source = np.where(self.amr[:, None], AMR, HANDHELD).astype(np.int8) * np.ones((1, m), dtype=np.int8)
        self.source[(~self.amr[:, None]) & (rng.random((n, m)) < 0.01)] = SELF
        cap = self.capacity[:, None]
        whole = np.floor(register).astype(np.int64) % cap * 1000
        litres = np.round(register * 1000).astype(np.int64) % (cap * 1000)
        self.reading_value = np.where(self.source == AMR, litres, whole)
        self.present = rng.random((n, m)) >= MISSING_READ_SHARE
        self.present[self.rollover] = True

    def debts(self) -> None:
        """Opening debts of ~8 % of accounts; homes two periods behind are often restricted (art. 74)."""
        n, rng = self.n, self.rng
        debt_idx = _at_least(rng, np.ones(n, dtype=bool), ARREARS_SHARE, self.minimum)
        self.debt_periods = np.zeros(n, dtype=np.int16)
        self.debt_periods[debt_idx] = 1 + np.minimum(11, rng.geometric(0.35, len(debt_idx)) - 1)
        bill = np.array([catalog.AVERAGE_BILL[c] for c in CLASSES])[self.cls]
        noise = np.exp(rng.normal(0, 0.35, len(debt_idx)))
        self.debt_cents = np.zeros(n, dtype=np.int64)
        amount = bill[debt_idx] * self.debt_periods[debt_idx] * noise
        self.debt_cents[debt_idx] = np.maximum(100, np.round(amount * 100))
        self.restricted = (self.debt_periods >= 2) & (rng.random(n) < np.where(self.homes, 0.6, 0.4))

    def owners(self) -> None:
        """One person per account, except that public-use accounts belong to a few institutions."""
        public = self.cls == PUBLICO
        self.institutions = min(len(catalog.PUBLIC_INSTITUTIONS), int(public.sum()))
        self.private_persons = int((~public).sum())
        self.person_of_account = np.where(public, 0, np.cumsum(~public) - 1).astype(np.int64)
        if self.institutions:
            self.person_of_account[public] = self.private_persons + self.rng.integers(
                0, self.institutions, int(public.sum())
            )

    def plan(self) -> Plan:
        plan = Plan(
            spec=self.spec,
            cls=self.cls,
            colonia=self.colonia,
            sector=self.sector,
            lat_e6=np.round(self.lat * 1e6).astype(np.int64),
            lon_e6=np.round(self.lon * 1e6).astype(np.int64),
            household=self.household,
            opened_day=self.opened_day,
            drainage=self.drainage,
            vacant=self.vacant,
            leak=self.leak,
            rollover=self.rollover,
            amr=self.amr,
            dials=self.dials,
            installed_us=self.installed_us,
            initial_read=self.initial_read.astype(np.int64),
            debt_cents=self.debt_cents,
            debt_periods=self.debt_periods,
            restricted=self.restricted,
            person_of_account=self.person_of_account,
            persons=self.private_persons + self.institutions,
            institution_persons=self.institutions,
            reading_value=self.reading_value,
            reading_us=self.reading_us,
            reading_source=self.source,
            reading_present=self.present,
        )
        names = [c.name for c in catalog.COLONIAS]
        ks = np.arange(self.spec.sectors)
        middle = (np.searchsorted(self.sector, ks) + np.searchsorted(self.sector, ks, side="right")) // 2
        plan.sector_names = [
            f"Sector {plan.sector_code(k)} {names[self.colonia[middle[k]]]}" for k in range(self.spec.sectors)
        ]
        return plan


def build_plan(spec: SyntheticSpec) -> Plan:
    """The synthetic utility for `spec` (pure and deterministic)."""
    builder = _Builder(spec)
    builder.places()
    builder.consumption()
    builder.meters()
    builder.reads()
    builder.debts()
    builder.owners()
    return builder.plan()
