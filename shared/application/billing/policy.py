"""Tenant billing policy and tariff schedules, as the billing run reads them."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

import orjson

from shared.data.billing import TariffInForce
from shared.domain.billing.model import BillingPolicy
from shared.domain.billing.review import ReviewPolicy, review_policy
from shared.domain.readings.model import EstimationPolicy
from shared.domain.tariffs.schema import TariffSchedule

DEFAULT_POLICY: dict[str, Any] = {
    "due_days": 20,
    "series": "A",
    "late_fee_rate": "0",
    "run_day": 1,
    "back_billing_months": 3,
}


def billing_settings(config: dict[str, Any]) -> dict[str, Any]:
    """The tenant's `billing` settings (tenants.config) over the defaults."""
    return {**DEFAULT_POLICY, **(config.get("billing") or {})}


def billing_policy(config: dict[str, Any]) -> BillingPolicy:
    billing = billing_settings(config)
    return BillingPolicy(
        late_fee_rate=Decimal(str(billing["late_fee_rate"])),
        due_days=int(billing["due_days"]),
        series=str(billing["series"]),
    )


def run_review_policy(config: dict[str, Any]) -> ReviewPolicy:
    """The review policy of tenants.config `billing.review` (hold rules, estimated-share limit, auto issue)."""
    return review_policy(settings=dict((config.get("billing") or {}).get("review") or {}))


def estimation_policy(config: dict[str, Any]) -> EstimationPolicy:
    estimation = config.get("estimation") or {}
    return EstimationPolicy(average_periods=int(estimation.get("average_periods", 6)))


@lru_cache(maxsize=256)
def _parse(schedule_id: int, definition: bytes) -> TariffSchedule:
    return TariffSchedule.model_validate_json(definition)


def parsed_schedule(row: TariffInForce) -> TariffSchedule:
    """Schedules are immutable per id (new versions get new rows), so parsing is cached per process."""
    return _parse(row.id, orjson.dumps(row.definition))
