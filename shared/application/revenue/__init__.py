"""Revenue protection and tariff planning use cases (issue 17).

Modules:
  balance     macro-meter reads import, authorised unbilled volumes, sector water balance, ranking, CSV, PNG
"""

from shared.application.revenue.balance import (
    NoMacroReads,
    UnknownSector,
    WaterBalance,
    balance_csv,
    balance_png,
    import_macro_reads,
    record_unbilled,
    water_balance,
)

__all__ = [
    "NoMacroReads",
    "UnknownSector",
    "WaterBalance",
    "balance_csv",
    "balance_png",
    "import_macro_reads",
    "record_unbilled",
    "water_balance",
]
