"""Revenue protection and tariff planning use cases (issue 17).

Modules:
  access      the principal of an operator command
  inspections inspection candidates, inspection work orders, outcome → fraud case → back-billing or credits
  whatif      tariff what-if: start, plan, replay chunks, finish, report as JSON/CSV/PNG (durable: functions/revenue.py)
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
from shared.application.revenue.inspections import (
    CandidateList,
    InspectionNotFound,
    NoReads,
    create_inspection_orders,
    inspection_candidates,
    list_inspections,
    record_inspection_outcome,
)
from shared.domain.revenue.macro_reads import MacroReadsRejected, UnbilledRejected
from shared.domain.revenue.months import parse_period

__all__ = [
    "CandidateList",
    "InspectionNotFound",
    "MacroReadsRejected",
    "NoMacroReads",
    "NoReads",
    "UnbilledRejected",
    "UnknownSector",
    "WaterBalance",
    "balance_csv",
    "balance_png",
    "create_inspection_orders",
    "import_macro_reads",
    "inspection_candidates",
    "list_inspections",
    "parse_period",
    "record_inspection_outcome",
    "record_unbilled",
    "water_balance",
]
