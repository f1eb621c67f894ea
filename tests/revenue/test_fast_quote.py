"""The what-if's fast total equals `quote(...).total` for every repository tariff file and adversarial
consumptions (block edges, fractions, huge values), with UMA, minimums and surcharges exercised."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.revenue.fast_quote import compile_tariff, quote_total
from shared.domain.tariffs.operations import quote
from shared.domain.tariffs.schema import TariffSchedule
from tests.billing.builders import TARIFFS

SCHEDULES = [TariffSchedule.model_validate(json.loads(p.read_text())) for p in sorted(TARIFFS.glob("*.json"))]


def _variant(schedule: TariffSchedule) -> TariffSchedule:
    """The same schedule with a minimum volume and charge and both kinds of surcharge."""
    data = schedule.model_dump(mode="json")
    data["minimum_m3"] = "5"
    data["minimum_charge"] = "60.37"
    data["surcharges"] = [
        *data["surcharges"],
        {"code": "wi_saneamiento", "description_es": "Saneamiento", "kind": "percent_of_water", "value": "17.5"},
        {"code": "wi_infra", "description_es": "Infraestructura", "kind": "per_m3", "value": "0.333"},
    ]
    data["taxes"]["iva_rates"].update({"wi_saneamiento": "0.16", "wi_infra": "0.16"})
    return TariffSchedule.model_validate(data)


ALL = SCHEDULES + [_variant(s) for s in SCHEDULES]
edges = st.sampled_from([Decimal(v) for v in ("0", "0.001", "4.999", "5", "10", "10.001", "20", "39.999", "40")])
m3s = st.one_of(edges, st.decimals(min_value=0, max_value=100_000, places=3, allow_nan=False, allow_infinity=False))


@settings(max_examples=400, deadline=None)
@given(index=st.integers(min_value=0, max_value=len(ALL) - 1), m3=m3s)
def test_fast_total_equals_the_quote(index, m3):
    schedule = ALL[index]
    on = schedule.effective_from
    assert quote_total(compile_tariff(schedule), m3) == quote(schedule=schedule, m3=m3, on=on).total


def test_every_tariff_file_is_covered():
    assert len(SCHEDULES) >= 6 and any(s.pricing.method != SCHEDULES[0].pricing.method for s in SCHEDULES)
    assert date(2026, 1, 1) >= min(s.effective_from for s in SCHEDULES)
