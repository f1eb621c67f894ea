"""Pure business rules of SUPRA Water: tariffs, meter-read validation, estimation and true-up.

Nothing here touches the database, the network, Azure or the clock: callers pass every input (including `now`
and the billing period) and persist the results. Modules are organised as `queries.py` (read-only selection)
and `operations.py` (calculations), with their value types in small modules next to them.
"""
