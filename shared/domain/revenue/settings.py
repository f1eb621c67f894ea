"""A tenant's revenue-protection settings (`tenants.config["revenue"]`), with the defaults documented in
docs/revenue.md. Parsed once per use case; an invalid value is a clear error, never a silent default."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.domain.errors import Invalid

DEFAULT_UNBILLED_CATEGORIES = ("fire_fighting", "mains_flushing", "public_fountains", "utility_own_use")


class InvalidRevenueSettings(Invalid):
    default_code = "invalid_revenue_settings"

    def __init__(self, name: str, value: object) -> None:
        super().__init__(None, f"La configuración de ingresos '{name}' no es válida: {value!r}.")


@dataclass(frozen=True)
class Thresholds:
    """Signal thresholds for inspection candidates (all tenant-configurable)."""

    drop_ratio: Decimal = Decimal("0.5")
    """Sudden sustained drop: the last `drop_months` average below this share of the 6 months before."""
    drop_months: int = 3
    zero_streak_months: int = 3
    """Consecutive months at 0 m³ on an active (occupied) toma."""
    low_vs_peers_ratio: Decimal = Decimal("0.25")
    """Consumption below this share of the median of the same class and sector."""
    min_peer_count: int = 5
    sector_loss_rise_points: Decimal = Decimal("5")
    """A sector whose NRW % rose by at least this many points over the trend window."""
    min_score: Decimal = Decimal("1")


@dataclass(frozen=True)
class RevenueSettings:
    meter_under_registration: Decimal = Decimal("0.03")
    """Share of the true volume customer meters fail to register (apparent losses)."""
    unauthorised_use: Decimal = Decimal("0.02")
    """Share of the system input estimated as unauthorised use (apparent losses)."""
    unbilled_categories: tuple[str, ...] = DEFAULT_UNBILLED_CATEGORIES
    thresholds: Thresholds = field(default_factory=Thresholds)
    back_billing_surcharge: Decimal = Decimal("0")
    """Legal surcharge on a confirmed fraud's back-bill, as a share (0 disables it)."""
    back_billing_max_months: int = 60
    household_income_by_decile: tuple[Decimal, ...] = tuple(
        Decimal(v) for v in (4500, 6500, 8200, 9900, 11800, 14000, 16800, 20600, 27000, 46000)
    )
    """Monthly household income (MXN) per income decile for affordability (ENIGH-like defaults)."""


def _share(raw: dict[str, Any], name: str, default: Decimal, *, upper: Decimal = Decimal(1)) -> Decimal:
    value = raw.get(name)
    if value is None:
        return default
    if isinstance(value, float | bool):
        raise InvalidRevenueSettings(name, value)
    try:
        share = Decimal(str(value))
    except InvalidOperation as error:
        raise InvalidRevenueSettings(name, value) from error
    if not share.is_finite() or share < 0 or share >= upper:
        raise InvalidRevenueSettings(name, value)
    return share


def _int(raw: dict[str, Any], name: str, default: int, *, low: int = 1, high: int = 120) -> int:
    value = raw.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidRevenueSettings(name, value)
    return value


def parse_settings(config: dict[str, Any] | None) -> RevenueSettings:
    """The `revenue` section of a tenant's config (absent keys take the defaults)."""
    raw = dict((config or {}).get("revenue") or {})
    t = dict(raw.get("thresholds") or {})
    defaults = Thresholds()
    thresholds = Thresholds(
        drop_ratio=_share(t, "drop_ratio", defaults.drop_ratio),
        drop_months=_int(t, "drop_months", defaults.drop_months, high=12),
        zero_streak_months=_int(t, "zero_streak_months", defaults.zero_streak_months, high=12),
        low_vs_peers_ratio=_share(t, "low_vs_peers_ratio", defaults.low_vs_peers_ratio),
        min_peer_count=_int(t, "min_peer_count", defaults.min_peer_count, high=10_000),
        sector_loss_rise_points=_share(
            t, "sector_loss_rise_points", defaults.sector_loss_rise_points, upper=Decimal(100)
        ),
        min_score=_share(t, "min_score", defaults.min_score, upper=Decimal(100)),
    )
    categories = raw.get("unbilled_categories", list(DEFAULT_UNBILLED_CATEGORIES))
    if not isinstance(categories, list) or not all(isinstance(c, str) and c for c in categories):
        raise InvalidRevenueSettings("unbilled_categories", categories)
    incomes_raw = raw.get("household_income_by_decile")
    incomes = RevenueSettings().household_income_by_decile
    if incomes_raw is not None:
        if not isinstance(incomes_raw, list) or len(incomes_raw) != 10:
            raise InvalidRevenueSettings("household_income_by_decile", incomes_raw)
        incomes = tuple(_share({"v": v}, "v", Decimal(0), upper=Decimal(10**9)) for v in incomes_raw)
        if any(v <= 0 for v in incomes):
            raise InvalidRevenueSettings("household_income_by_decile", incomes_raw)
    return RevenueSettings(
        meter_under_registration=_share(raw, "meter_under_registration", Decimal("0.03"), upper=Decimal("0.5")),
        unauthorised_use=_share(raw, "unauthorised_use", Decimal("0.02"), upper=Decimal("0.5")),
        unbilled_categories=tuple(categories),
        thresholds=thresholds,
        back_billing_surcharge=_share(raw, "back_billing_surcharge", Decimal(0), upper=Decimal(5)),
        back_billing_max_months=_int(raw, "back_billing_max_months", 60, high=120),
        household_income_by_decile=incomes,
    )
