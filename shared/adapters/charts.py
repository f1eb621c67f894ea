"""PNG charts of the revenue reports (issue 17), drawn with matplotlib's Agg backend (no display, thread-safe use
through the object API: one Figure per call, never pyplot's global state)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def water_balance_png(
    *,
    title: str,
    months: Sequence[str],
    supplied: Sequence[Decimal],
    billed: Sequence[Decimal],
    unbilled: Sequence[Decimal],
    nrw_pct: Sequence[Decimal | None],
) -> bytes:
    """Stacked bars (billed, unbilled authorised, losses) against the supplied volume, NRW % on a second axis."""
    figure = Figure(figsize=(9, 4.5))
    ax = figure.add_subplot()
    x = list(range(len(months)))
    billed_f = [float(v) for v in billed]
    unbilled_f = [float(v) for v in unbilled]
    losses_f = [max(float(s - b - u), 0.0) for s, b, u in zip(supplied, billed, unbilled, strict=True)]
    ax.bar(x, billed_f, label="Facturado", color="#2b6cb0")
    ax.bar(x, unbilled_f, bottom=billed_f, label="Autorizado no facturado", color="#68d391")
    bottoms = [b + u for b, u in zip(billed_f, unbilled_f, strict=True)]
    ax.bar(x, losses_f, bottom=bottoms, label="Pérdidas (ANC)", color="#f56565")
    ax.plot(x, [float(v) for v in supplied], color="black", marker="o", label="Suministrado")
    ax.set_xticks(x, list(months), rotation=45)
    ax.set_ylabel("m³")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    pct = figure.add_subplot(sharex=ax, frameon=False)
    pct.yaxis.tick_right()
    pct.yaxis.set_label_position("right")
    pct.xaxis.set_visible(False)
    pct.plot(x, [float(v) if v is not None else float("nan") for v in nrw_pct], color="#c05621", linestyle="--")
    pct.set_ylabel("ANC %")
    return _png(figure)


def bars_png(*, title: str, labels: Sequence[str], values: Sequence[Decimal], ylabel: str) -> bytes:
    figure = Figure(figsize=(8, 4))
    ax = figure.add_subplot()
    ax.bar(list(range(len(labels))), [float(v) for v in values], color="#2b6cb0")
    ax.set_xticks(list(range(len(labels))), list(labels), rotation=45)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.axhline(0, color="black", linewidth=0.5)
    return _png(figure)
