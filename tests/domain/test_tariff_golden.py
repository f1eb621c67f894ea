"""Golden quotes, hand-computed from the published or seeded tables (the arithmetic is written out per case)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from shared.domain.tariffs.breakdown import LineKind
from shared.domain.tariffs.operations import InvalidConsumption, TariffNotInForce, UmaValueRequired, quote
from shared.domain.tariffs.queries import NoScheduleInForce, OverlappingSchedules, select_schedule
from shared.domain.tariffs.schema import TariffClass, TariffSchedule
from tests.domain.helpers import load_tariff, schedule_dict

ON = date(2026, 3, 15)


@pytest.fixture(scope="module")
def domestico() -> TariffSchedule:
    return load_tariff("domestico_2026.json")


# Seed §1.5 "Domestico 2026": 0–10 @ 5.50, 10–20 @ 8.75, 20–40 @ 14.50, 40+ @ 22.00, cargo fijo 45.00, IVA 0 %.
DOMESTICO_CASES = [
    # m3, expected block amounts, total
    ("0", [], "45.00"),  # only the fixed charge
    ("10", ["55.00"], "100.00"),  # 10 × 5.50 = 55.00 (exactly on the boundary: all in block 1) + 45
    ("10.5", ["55.00", "4.38"], "104.38"),  # 0.5 × 8.75 = 4.375 → 4.38 half-up; 55 + 4.38 + 45
    ("25", ["55.00", "87.50", "72.50"], "260.00"),  # 55 + 10 × 8.75 + 5 × 14.50 = 215.00; + 45
    ("40", ["55.00", "87.50", "290.00"], "477.50"),  # 55 + 87.50 + 20 × 14.50 = 432.50; + 45
    ("120", ["55.00", "87.50", "290.00", "1760.00"], "2237.50"),  # 432.50 + 80 × 22 = 2192.50; + 45
]


@pytest.mark.parametrize(("m3", "block_amounts", "total"), DOMESTICO_CASES)
def test_domestico_2026_golden_totals(domestico: TariffSchedule, m3: str, block_amounts: list[str], total: str) -> None:
    result = quote(schedule=domestico, m3=D(m3), on=ON)
    assert [str(b.amount) for b in result.block_split] == block_amounts
    assert [line.amount for line in result.lines_of(LineKind.FIXED)] == [D("45.00")]
    assert result.tax_total == D("0.00")
    assert str(result.total) == total
    assert result.total == result.subtotal


def test_domestico_line_detail_and_trace(domestico: TariffSchedule) -> None:
    result = quote(schedule=domestico, m3=D("10.5"), on=ON)
    first, second, fixed = result.lines
    assert (first.code, first.quantity, first.unit_price, first.amount, first.block) == (
        "agua",
        D(10),
        D("5.50"),
        D("55.00"),
        1,
    )
    assert (second.quantity, second.unit_price, second.amount) == (D("0.5"), D("8.75"), D("4.38"))
    assert second.description_es == "Agua potable, bloque 2 (de 10 a 20 m³)"
    assert (fixed.code, fixed.description_es, fixed.tax_rate) == ("cargo_fijo", "Cargo fijo por servicio", D(0))
    assert result.trace["tariff"]["name"] == "Domestico 2026"
    assert result.trace["tariff"]["version"] == "2026-01"
    assert result.trace["method"] == "incremental_blocks"
    assert [b["quantity"] for b in result.trace["block_split"]] == ["10", "0.5"]


def test_domestic_drainage_is_taxed_while_water_is_not(domestico: TariffSchedule) -> None:
    with_drainage = TariffSchedule.model_validate(
        domestico.model_dump()
        | {
            "surcharges": [
                {
                    "code": "alcantarillado",
                    "description_es": "Alcantarillado",
                    "kind": "percent_of_water",
                    "value": "25",
                }
            ],
            "taxes": {"iva_rates": {"agua": "0", "cargo_fijo": "0", "alcantarillado": "0.16"}},
        }
    )
    result = quote(schedule=with_drainage, m3=D(25), on=ON)
    (drainage,) = result.lines_of(LineKind.SURCHARGE)
    assert drainage.amount == D("53.75")  # 25 % of the 215.00 water charge
    assert drainage.tax_amount == D("8.60")  # 16 % of 53.75
    assert result.total == D("322.35")  # 215 + 45 + 53.75 + 8.60
    assert [(t.rate, t.base, t.amount) for t in result.tax_summary] == [
        (D(0), D("260.00"), D("0.00")),
        (D("0.16"), D("53.75"), D("8.60")),
    ]


def test_comercial_25_m3_every_line_taxed_at_16() -> None:
    result = quote(schedule=load_tariff("comercial_2026.json"), m3=D(25), on=ON)
    # water 15 × 18.50 = 277.50 and 10 × 24.00 = 240.00; fixed 75.00;
    # alcantarillado 20 % × 517.50 = 103.50; saneamiento 15 % × 517.50 = 77.625 → 77.63
    assert [line.amount for line in result.lines] == [D("277.50"), D("240.00"), D("75.00"), D("103.50"), D("77.63")]
    # IVA per line: 44.40 + 38.40 + 12.00 + 16.56 + 12.4208 → 12.42 = 123.78
    assert [line.tax_amount for line in result.lines] == [D("44.40"), D("38.40"), D("12.00"), D("16.56"), D("12.42")]
    assert (result.subtotal, result.tax_total, result.total) == (D("773.63"), D("123.78"), D("897.41"))


def test_comercial_minimum_charge_tops_up_water_and_feeds_surcharges() -> None:
    result = quote(schedule=load_tariff("comercial_2026.json"), m3=D(0), on=ON)
    (top_up,) = result.lines_of(LineKind.MINIMUM)
    assert (top_up.code, top_up.amount, top_up.tax_amount) == ("cargo_minimo", D("90.00"), D("14.40"))
    # 90 + 75 + 18.00 + 13.50 = 196.50; IVA 14.40 + 12.00 + 2.88 + 2.16 = 31.44
    assert (result.subtotal, result.tax_total, result.total) == (D("196.50"), D("31.44"), D("227.94"))


def test_industrial_minimum_m3_and_per_m3_sanitation() -> None:
    result = quote(schedule=load_tariff("industrial_2026.json"), m3=D(5), on=ON)
    assert result.billed_m3 == D(20)
    # billed 20 m³: water 20 × 26 = 520; fixed 350; alcantarillado 20 % = 104; saneamiento 20 × 3.20 = 64
    assert [line.amount for line in result.lines] == [D("520.00"), D("350.00"), D("104.00"), D("64.00")]
    sanitation = result.lines[-1]
    assert (sanitation.quantity, sanitation.unit_price) == (D(20), D("3.20"))
    assert result.total == D("1204.08")  # 1038.00 + 16 % (83.20 + 56.00 + 16.64 + 10.24 = 166.08)


def test_social_minimum_charge() -> None:
    result = quote(schedule=load_tariff("social_2026.json"), m3=D(3), on=ON)
    # water 3 × 2.75 = 8.25 < 15.00 minimum → top-up 6.75; fixed 20; alcantarillado 10 % × 15 = 1.50 (IVA 0.24);
    # saneamiento 5 % × 15 = 0.75 (IVA 0.12)
    assert result.water_amount == D("15.00")
    assert (result.subtotal, result.tax_total, result.total) == (D("37.25"), D("0.36"), D("37.61"))


CUAUTITLAN_PUBLISHED = [("5", "76.39"), ("10", "112.16"), ("20", "269.04"), ("30", "416.25")]


@pytest.mark.parametrize(("m3", "bill"), CUAUTITLAN_PUBLISHED)
def test_base_plus_excess_matches_the_published_worked_examples(m3: str, bill: str) -> None:
    """Cuautitlán Izcalli 2023 popular (reference §6.2), UMA 103.74: e.g. 10 m³ = 0.7364 + 2.5 × 0.1379 UMA."""
    result = quote(schedule=load_tariff("cuautitlan_izcalli_popular_2023.json"), m3=D(m3), on=date(2023, 6, 1))
    assert str(result.total) == bill
    assert len(result.lines) == 1 and result.lines[0].quantity == D(1)


def test_base_plus_excess_range_includes_its_upper_limit_and_follows_the_table_down() -> None:
    schedule = load_tariff("cuautitlan_izcalli_popular_2023.json")
    at_limit = quote(schedule=schedule, m3=D("22.5"), on=date(2023, 6, 1))
    above = quote(schedule=schedule, m3=D("22.51"), on=date(2023, 6, 1))
    assert at_limit.trace["range"]["index"] == 3 and above.trace["range"]["index"] == 4
    assert at_limit.total == D("305.32")  # (1.8939 + 7.5 × 0.1399) × 103.74 = 305.3224
    assert above.total == D("292.86")  # (2.8214 + 0.01 × 0.1588) × 103.74 = 292.8564; the published table drops here


def test_uma_value_at_quote_time_overrides_the_schedule() -> None:
    schedule = load_tariff("cuautitlan_izcalli_popular_2023.json")
    result = quote(schedule=schedule, m3=D(10), on=date(2023, 6, 1), uma_value=D("108.57"))
    assert result.total == D("117.38")  # 1.08115 × 108.57 = 117.3805
    assert result.trace["uma_value"] == "108.57"
    without = TariffSchedule.model_validate(schedule.model_dump() | {"uma_value": None})
    with pytest.raises(UmaValueRequired):
        quote(schedule=without, m3=D(10), on=date(2023, 6, 1))


def test_validity_is_half_open() -> None:
    schedule = TariffSchedule.model_validate(schedule_dict(effective_to="2027-01-01"))
    quote(schedule=schedule, m3=D(1), on=date(2026, 1, 1))
    quote(schedule=schedule, m3=D(1), on=date(2026, 12, 31))
    for outside in (date(2025, 12, 31), date(2027, 1, 1)):
        with pytest.raises(TariffNotInForce, match="not in force on"):
            quote(schedule=schedule, m3=D(1), on=outside)


def test_negative_or_float_consumption_is_refused(domestico: TariffSchedule) -> None:
    with pytest.raises(InvalidConsumption):
        quote(schedule=domestico, m3=D("-0.001"), on=ON)
    with pytest.raises(TypeError):
        quote(schedule=domestico, m3=10.5, on=ON)  # type: ignore[arg-type]


def test_select_schedule() -> None:
    y2026 = TariffSchedule.model_validate(schedule_dict(name="2026", effective_to="2027-01-01"))
    y2027 = TariffSchedule.model_validate(schedule_dict(name="2027", effective_from="2027-01-01"))
    comercial = load_tariff("comercial_2026.json")
    schedules = [y2026, y2027, comercial]
    assert select_schedule(schedules=schedules, tariff_class="domestico", on=date(2026, 12, 31)) is y2026
    assert select_schedule(schedules=schedules, tariff_class=TariffClass.DOMESTICO, on=date(2027, 1, 1)) is y2027
    assert select_schedule(schedules=schedules, tariff_class="comercial", on=date(2030, 1, 1)) is comercial
    with pytest.raises(NoScheduleInForce):
        select_schedule(schedules=schedules, tariff_class="domestico", on=date(2025, 6, 1))
    with pytest.raises(NoScheduleInForce):
        select_schedule(schedules=schedules, tariff_class="industrial", on=date(2026, 6, 1))
    overlapping = TariffSchedule.model_validate(schedule_dict(name="otra", effective_from="2026-06-01"))
    with pytest.raises(OverlappingSchedules, match="2 'domestico' schedules"):
        select_schedule(schedules=[*schedules, overlapping], tariff_class="domestico", on=date(2026, 7, 1))
