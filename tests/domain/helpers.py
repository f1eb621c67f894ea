"""Helpers for the domain tests: the shipped tariff files and a valid schedule to vary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.domain.tariffs.schema import TariffSchedule, parse_schedule

TARIFF_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "tariffs"


def load_tariff(file_name: str) -> TariffSchedule:
    return parse_schedule((TARIFF_DIR / file_name).read_bytes())


def schedule_dict(**overrides: Any) -> dict[str, Any]:
    """A valid incremental-blocks schedule as plain JSON-like data; keyword arguments replace top-level keys."""
    data: dict[str, Any] = {
        "name": "Prueba",
        "tariff_class": "domestico",
        "effective_from": "2026-01-01",
        "pricing": {
            "method": "incremental_blocks",
            "blocks": [
                {"from_m3": 0, "to_m3": 10, "price_per_m3": "5.50"},
                {"from_m3": 10, "to_m3": None, "price_per_m3": "8.75"},
            ],
        },
        "fixed_charges": [],
        "surcharges": [],
        "taxes": {"iva_rates": {"agua": "0"}},
    }
    data.update(overrides)
    return data
