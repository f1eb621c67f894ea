"""Money math of the comprobante (hypothesis): ROUND_HALF_UP per line, totals are sums of rounded lines."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.cfdi.amounts import compute_cfdi
from shared.domain.cfdi.models import CfdiRequest, ConceptInput, Issuer, Receiver

ISSUER = Issuer(rfc="EKU9003173C9", name="ESCUELA KEMPER URGATE", regimen_fiscal="601", postal_code="76000")
RECEIVER = Receiver(rfc="CACX7605101P8", name="X", regimen_fiscal="612", postal_code="10740", uso_cfdi="G03")
CENT = Decimal("0.01")

quantities = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("5000"), places=4)
unit_values = st.decimals(min_value=Decimal("0"), max_value=Decimal("99999"), places=6)
rates = st.sampled_from([None, Decimal("0"), Decimal("0.08"), Decimal("0.16")])
concepts = st.builds(
    lambda q, v, r, pct: ConceptInput(
        clave_prod_serv="83101500",
        clave_unidad="E48",
        description="x",
        quantity=q,
        unit_value=v,
        iva_rate=r,
        discount=((q * v).quantize(CENT, ROUND_HALF_UP) * pct / 100).quantize(CENT) if pct else None,
    ),
    quantities,
    unit_values,
    rates,
    st.sampled_from([0, 0, 0, 10, 50]),
)


def _request(lines: list[ConceptInput]) -> CfdiRequest:
    return CfdiRequest(
        issuer=ISSUER,
        receiver=RECEIVER,
        fecha=dt.datetime(2026, 1, 15, 12),
        concepts=tuple(lines),
        metodo_pago="PUE",
        forma_pago="01",
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(concepts, min_size=1, max_size=8))
def test_totals_are_sums_of_rounded_lines(lines: list[ConceptInput]) -> None:
    cfdi = compute_cfdi(request=_request(lines))
    for line, computed in zip(lines, cfdi.concepts, strict=True):
        assert computed.importe == (line.quantity * line.unit_value).quantize(CENT, ROUND_HALF_UP)
        if line.iva_rate is None:
            assert computed.traslados == () and computed.objeto_imp == "01"
        else:
            (t,) = computed.traslados
            assert t.base == computed.importe - (computed.discount or 0)
            assert t.importe == (t.base * line.iva_rate).quantize(CENT, ROUND_HALF_UP)
            assert computed.objeto_imp == "02"
    assert cfdi.subtotal == sum(c.importe for c in cfdi.concepts)
    discount = sum((c.discount or Decimal(0)) for c in cfdi.concepts)
    assert (cfdi.discount or Decimal(0)) == discount
    line_taxes = sum(t.importe for c in cfdi.concepts for t in c.traslados)
    assert (cfdi.total_traslados or Decimal(0)) == line_taxes == sum(t.importe for t in cfdi.traslados)
    assert cfdi.total == cfdi.subtotal - discount + line_taxes
    # one summary per rate, bases add up
    rates_seen = [t.tasa_o_cuota for t in cfdi.traslados]
    assert len(rates_seen) == len(set(rates_seen))
    for t in cfdi.traslados:
        assert t.base == sum(x.base for c in cfdi.concepts for x in c.traslados if x.tasa_o_cuota == t.tasa_o_cuota)
    # every amount shows centavos
    for amount in (cfdi.subtotal, cfdi.total, *(c.importe for c in cfdi.concepts)):
        assert amount.as_tuple().exponent == -2


def test_half_up_on_ties_differs_from_bankers_rounding() -> None:
    # 0.125 × 1 → 0.13 (half-up); Python's round() would give 0.12
    line = ConceptInput(
        clave_prod_serv="83101500",
        clave_unidad="E48",
        description="x",
        quantity=Decimal("1"),
        unit_value=Decimal("0.125"),
        iva_rate=Decimal("0.16"),
    )
    cfdi = compute_cfdi(request=_request([line]))
    assert cfdi.subtotal == Decimal("0.13")
    assert cfdi.traslados[0].importe == Decimal("0.02")  # 0.13 × 0.16 = 0.0208


def test_reference_worked_example() -> None:
    # 35 m³ × 31.4567 = 1100.98 and IVA 176.16 (reference §1.9)
    line = ConceptInput(
        clave_prod_serv="83101500",
        clave_unidad="MTQ",
        description="x",
        quantity=Decimal("35"),
        unit_value=Decimal("31.4567"),
        iva_rate=Decimal("0.16"),
    )
    cfdi = compute_cfdi(request=_request([line]))
    assert (cfdi.subtotal, cfdi.total_traslados, cfdi.total) == (
        Decimal("1100.98"),
        Decimal("176.16"),
        Decimal("1277.14"),
    )
