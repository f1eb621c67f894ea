"""Tariff schedule validation: every structural mistake is refused with a readable message."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.domain.tariffs.schema import InvalidTariffSchedule, TariffClass, parse_schedule
from tests.domain.helpers import TARIFF_DIR, schedule_dict


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidTariffSchedule) as caught:
        parse_schedule(json.dumps(data))
    return caught.value.problems


def blocks(*spans: tuple[Any, Any, str]) -> dict[str, Any]:
    return {
        "method": "incremental_blocks",
        "blocks": [{"from_m3": a, "to_m3": b, "price_per_m3": p} for a, b, p in spans],
    }


@pytest.mark.parametrize("path", sorted(TARIFF_DIR.glob("*.json")), ids=lambda p: p.name)
def test_shipped_tariff_files_are_valid(path: Any) -> None:
    schedule = parse_schedule(path.read_bytes())
    assert schedule.currency == "MXN"


def test_every_shipped_class_file_has_its_class() -> None:
    classes = {parse_schedule(p.read_bytes()).tariff_class for p in TARIFF_DIR.glob("*.json")}
    expected = {
        TariffClass.DOMESTICO,
        TariffClass.COMERCIAL,
        TariffClass.INDUSTRIAL,
        TariffClass.PUBLICO,
        TariffClass.SOCIAL,
        TariffClass.DOMESTICO_POPULAR,
    }
    assert expected <= classes


def test_gap_between_blocks() -> None:
    problems = problems_of(schedule_dict(pricing=blocks((0, 10, "5"), (12, None, "8"))))
    assert problems == [
        "pricing.incremental_blocks: gap between blocks[0] (ends at 10 m3) and blocks[1] (starts at 12 m3)"
    ]


def test_overlapping_blocks() -> None:
    problems = problems_of(schedule_dict(pricing=blocks((0, 10, "5"), (8, None, "8"))))
    assert len(problems) == 1
    assert "blocks[1] starts at 8 m3, overlapping blocks[0] which ends at 10 m3" in problems[0]


def test_first_block_must_start_at_zero() -> None:
    (problem,) = problems_of(schedule_dict(pricing=blocks((1, 10, "5"), (10, None, "8"))))
    assert "blocks[0] must start at 0 m3, it starts at 1" in problem


def test_only_last_block_may_be_open_ended_and_it_must_be() -> None:
    (problem,) = problems_of(schedule_dict(pricing=blocks((0, None, "5"), (10, 20, "8"))))
    assert "blocks[0] is open-ended (to_m3 null) but only the last blocks may be" in problem
    assert "the last blocks must be open-ended" in problem


def test_block_ending_before_it_starts() -> None:
    (problem,) = problems_of(schedule_dict(pricing=blocks((0, 10, "5"), (10, 10, "6"), (10, None, "8"))))
    assert "blocks[1] ends at 10 m3, which is not after its start 10 m3" in problem


def test_several_problems_are_reported_together() -> None:
    (problem,) = problems_of(schedule_dict(pricing=blocks((2, 10, "5"), (12, 30, "8"))))
    assert "must start at 0" in problem and "gap between" in problem and "must be open-ended" in problem


def test_negative_price_is_refused_with_its_location() -> None:
    problems = problems_of(schedule_dict(pricing=blocks((0, 10, "5"), (10, None, "-1"))))
    assert problems == ["pricing.incremental_blocks.blocks[1].price_per_m3: Input should be greater than or equal to 0"]


def test_unknown_class_lists_the_valid_ones() -> None:
    (problem,) = problems_of(schedule_dict(tariff_class="residencial_plus"))
    assert problem.startswith("tariff_class: Input should be 'domestico', 'domestico_popular'")


def test_effective_to_must_follow_effective_from() -> None:
    (problem,) = problems_of(schedule_dict(effective_to="2026-01-01"))
    assert problem == "schedule: effective_to (2026-01-01) must be after effective_from (2026-01-01)"


def test_iva_rate_required_for_every_charge_and_no_strays() -> None:
    data = schedule_dict(
        surcharges=[
            {"code": "alcantarillado", "description_es": "Alcantarillado", "kind": "percent_of_water", "value": "25"}
        ],
        taxes={"iva_rates": {"agua": "0", "saneamiento": "0.16"}},
    )
    (problem,) = problems_of(data)
    assert "no IVA rate for charge code(s): alcantarillado" in problem
    assert "does not bill: saneamiento" in problem


def test_duplicate_and_reserved_codes() -> None:
    fixed = {"code": "cargo_fijo", "description_es": "Cargo fijo", "amount": "10"}
    data = schedule_dict(
        fixed_charges=[fixed, fixed, {"code": "agua", "description_es": "x", "amount": "1"}],
        taxes={"iva_rates": {"agua": "0", "cargo_fijo": "0"}},
    )
    (problem,) = problems_of(data)
    assert "'cargo_fijo' is used more than once" in problem
    assert "'agua' is reserved" in problem


def test_percent_surcharge_above_100_and_rate_above_one() -> None:
    data = schedule_dict(
        surcharges=[{"code": "alcantarillado", "description_es": "A", "kind": "percent_of_water", "value": "160"}],
        taxes={"iva_rates": {"agua": "16", "alcantarillado": "0.16"}},
    )
    problems = problems_of(data)
    assert any(p.startswith("surcharges[0]: surcharge 'alcantarillado' is 160 % of water") for p in problems)
    assert "taxes.iva_rates.agua: Input should be less than or equal to 1" in problems


def test_unknown_fields_and_methods_are_refused() -> None:
    problems = problems_of(schedule_dict(tarif_class="domestico"))
    assert "tarif_class: Extra inputs are not permitted" in problems
    bad_method = schedule_dict(pricing={"method": "flat", "blocks": []})
    (problem,) = problems_of(bad_method)
    assert "pricing" in problem and "incremental_blocks" in problem and "base_plus_excess" in problem


def test_invalid_json_is_reported() -> None:
    with pytest.raises(InvalidTariffSchedule) as caught:
        parse_schedule(b"{not json")
    assert "Invalid JSON" in caught.value.problems[0]


def test_base_plus_excess_ranges_are_checked_too() -> None:
    pricing = {
        "method": "base_plus_excess",
        "unit": "UMA",
        "ranges": [
            {"from_m3": 0, "to_m3": 10, "base_amount": "1", "price_per_m3_excess": "0"},
            {"from_m3": 11, "to_m3": None, "base_amount": "1", "price_per_m3_excess": "0.2"},
        ],
    }
    (problem,) = problems_of(schedule_dict(pricing=pricing))
    assert "gap between ranges[0] (ends at 10 m3) and ranges[1] (starts at 11 m3)" in problem
