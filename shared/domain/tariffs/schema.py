"""Tariff schedule schema: the JSON an operator posts to the API and the CLI reads from a file.

A schedule prices one tariff class (doméstico, comercial, ...) over a half-open validity period
[effective_from, effective_to). Water is priced either by incremental blocks (each m³ at its block's price) or by
base-plus-excess ranges (the consumption falls in one range: base amount + m³ above the range start × price), in
MXN or in UMA. Fixed charges, a minimum charge or minimum m³, surcharges (alcantarillado, saneamiento) and an
explicit IVA rate per charge code complete it. IVA rates are data, not code: the tax advisor decides them per
charge and per use (see the CFDI reference §1.4: domestic water 0 %, drainage/sanitation and non-domestic 16 %).

Validation collects every structural problem of a model into one readable message; `parse_schedule` turns a
pydantic `ValidationError` into a list of "location: problem" strings (`InvalidTariffSchedule.problems`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

WATER_CODE = "agua"
"""Charge code of the water lines; its IVA rate must be in `taxes.iva_rates`."""

MINIMUM_CHARGE_CODE = "cargo_minimo"
"""Charge code of the top-up line when the water charge is below `minimum_charge`; taxed at the water rate."""

RESERVED_CODES = frozenset({WATER_CODE, MINIMUM_CHARGE_CODE})

Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
NonNegative = Annotated[Decimal, Field(ge=0)]


class TariffClass(StrEnum):
    """Use types ("tipos de uso") a schedule can price."""

    DOMESTICO = "domestico"
    DOMESTICO_POPULAR = "domestico_popular"
    DOMESTICO_RESIDENCIAL = "domestico_residencial"
    COMERCIAL = "comercial"
    INDUSTRIAL = "industrial"
    PUBLICO = "publico"
    SOCIAL = "social"


class AmountUnit(StrEnum):
    """Unit of published amounts: pesos, or multiples of the daily UMA (converted with `uma_value`)."""

    MXN = "MXN"
    UMA = "UMA"


class SurchargeKind(StrEnum):
    PERCENT_OF_WATER = "percent_of_water"
    PER_M3 = "per_m3"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _span_problems(spans: list[tuple[Decimal, Decimal | None]], noun: str) -> list[str]:
    """Problems with a list of consumption spans: must start at 0, be contiguous and end open-ended."""
    if not spans:
        return [f"at least one {noun} is required"]
    problems: list[str] = []
    if spans[0][0] != 0:
        problems.append(f"{noun}[0] must start at 0 m3, it starts at {spans[0][0]}")
    last = len(spans) - 1
    for i, (start, end) in enumerate(spans):
        if end is None and i != last:
            problems.append(f"{noun}[{i}] is open-ended (to_m3 null) but only the last {noun} may be")
        if end is not None and end <= start:
            problems.append(f"{noun}[{i}] ends at {end} m3, which is not after its start {start} m3")
        if i > 0:
            previous_end = spans[i - 1][1]
            if previous_end is not None and start > previous_end:
                problems.append(
                    f"gap between {noun}[{i - 1}] (ends at {previous_end} m3) and {noun}[{i}] (starts at {start} m3)"
                )
            elif previous_end is not None and start < previous_end:
                problems.append(
                    f"{noun}[{i}] starts at {start} m3, overlapping {noun}[{i - 1}] which ends at {previous_end} m3"
                )
    if spans[last][1] is not None:
        problems.append(f"the last {noun} must be open-ended (to_m3 null) so that every consumption is priced")
    return problems


class IncrementalBlock(_Strict):
    """Block [from_m3, to_m3): every m³ consumed inside it is charged at `price_per_m3`."""

    from_m3: NonNegative
    to_m3: NonNegative | None = None
    price_per_m3: NonNegative


class IncrementalBlocksPricing(_Strict):
    method: Literal["incremental_blocks"]
    unit: AmountUnit = AmountUnit.MXN
    blocks: list[IncrementalBlock]

    @model_validator(mode="after")
    def _blocks_are_contiguous(self) -> IncrementalBlocksPricing:
        problems = _span_problems([(b.from_m3, b.to_m3) for b in self.blocks], "blocks")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class ExcessRange(_Strict):
    """Range (from_m3, to_m3]: charge = base_amount + (m³ − from_m3) × price_per_m3_excess.

    A consumption equal to `to_m3` belongs to this range (published tables read "de 7.51 a 15 m³"); the first
    range also includes 0.
    """

    from_m3: NonNegative
    to_m3: NonNegative | None = None
    base_amount: NonNegative
    price_per_m3_excess: NonNegative


class BasePlusExcessPricing(_Strict):
    method: Literal["base_plus_excess"]
    unit: AmountUnit = AmountUnit.MXN
    ranges: list[ExcessRange]

    @model_validator(mode="after")
    def _ranges_are_contiguous(self) -> BasePlusExcessPricing:
        problems = _span_problems([(r.from_m3, r.to_m3) for r in self.ranges], "ranges")
        if problems:
            raise ValueError("; ".join(problems))
        return self


Pricing = Annotated[IncrementalBlocksPricing | BasePlusExcessPricing, Field(discriminator="method")]


class FixedCharge(_Strict):
    """A fixed amount billed every period whatever the consumption (e.g. "cargo fijo por servicio")."""

    code: Code
    description_es: str = Field(min_length=1)
    amount: NonNegative
    unit: AmountUnit = AmountUnit.MXN


class Surcharge(_Strict):
    """Alcantarillado, saneamiento...: `value` is a percentage of the water charge (25 = 25 %) or MXN per m³."""

    code: Code
    description_es: str = Field(min_length=1)
    kind: SurchargeKind
    value: NonNegative

    @model_validator(mode="after")
    def _percent_is_plausible(self) -> Surcharge:
        if self.kind is SurchargeKind.PERCENT_OF_WATER and self.value > 100:
            raise ValueError(f"surcharge '{self.code}' is {self.value} % of water; a percentage above 100 is refused")
        return self


class Taxes(_Strict):
    """IVA rate (0.16 = 16 %) for every charge code of the schedule, including `agua`."""

    iva_rates: dict[Code, Annotated[Decimal, Field(ge=0, le=1)]]


class TariffSchedule(_Strict):
    """One tariff class's prices over [effective_from, effective_to)."""

    name: str = Field(min_length=1)
    version: str | None = None
    source: str | None = Field(default=None, description="Publication, e.g. 'La Sombra de Arteaga 2026-01-15'")
    tariff_class: TariffClass
    effective_from: date
    effective_to: date | None = Field(default=None, description="Exclusive end of validity; null = open-ended")
    currency: Literal["MXN"] = "MXN"
    uma_value: Annotated[Decimal, Field(gt=0)] | None = Field(
        default=None, description="MXN per UMA for amounts given in UMA; a value given at quote time wins"
    )
    pricing: Pricing
    fixed_charges: list[FixedCharge] = Field(default_factory=list)
    minimum_charge: NonNegative | None = Field(default=None, description="The water charge is at least this (MXN)")
    minimum_m3: NonNegative | None = Field(default=None, description="Bill at least this many m³")
    surcharges: list[Surcharge] = Field(default_factory=list)
    taxes: Taxes

    @model_validator(mode="after")
    def _consistent(self) -> TariffSchedule:
        problems: list[str] = []
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            problems.append(f"effective_to ({self.effective_to}) must be after effective_from ({self.effective_from})")
        seen: set[str] = set()
        for code in [c.code for c in self.fixed_charges] + [s.code for s in self.surcharges]:
            if code in RESERVED_CODES:
                problems.append(f"charge code '{code}' is reserved for water lines")
            elif code in seen:
                problems.append(f"charge code '{code}' is used more than once")
            seen.add(code)
        expected = {WATER_CODE} | seen
        missing = sorted(expected - set(self.taxes.iva_rates))
        unknown = sorted(set(self.taxes.iva_rates) - expected)
        if missing:
            problems.append(f"taxes.iva_rates has no IVA rate for charge code(s): {', '.join(missing)}")
        if unknown:
            problems.append(f"taxes.iva_rates names charge code(s) the schedule does not bill: {', '.join(unknown)}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def in_force(self, on: date) -> bool:
        """True if `on` falls inside [effective_from, effective_to)."""
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)

    def uses_uma(self) -> bool:
        return self.pricing.unit is AmountUnit.UMA or any(f.unit is AmountUnit.UMA for f in self.fixed_charges)


class InvalidTariffSchedule(ValueError):
    """Raised by `parse_schedule`; `problems` lists each problem as "location: message"."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid tariff schedule:\n" + "\n".join(f"  - {p}" for p in problems))


def describe_validation_error(error: ValidationError) -> list[str]:
    """Render pydantic errors as "pricing.blocks[2].price_per_m3: Input should be ..." strings."""
    lines: list[str] = []
    for item in error.errors(include_url=False):
        location = ""
        for part in item["loc"]:
            location += f"[{part}]" if isinstance(part, int) else (f".{part}" if location else str(part))
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{location or 'schedule'}: {message}")
    return lines


def parse_schedule(raw: str | bytes) -> TariffSchedule:
    """Parse and validate a schedule from JSON text; raises `InvalidTariffSchedule` with readable problems."""
    try:
        return TariffSchedule.model_validate_json(raw)
    except ValidationError as error:
        raise InvalidTariffSchedule(describe_validation_error(error)) from error
