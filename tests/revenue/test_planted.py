"""The seeder plants known frauds and meter faults in a synthetic utility; the inspection ranking must find them
(precision@k and recall measured on the planted list, not on hard-coded accounts)."""

from __future__ import annotations

import datetime as dt
import uuid

from devtools.seeding.catalog import TENANT_ID, TENANT_SLUG
from devtools.seeding.plan import SyntheticSpec
from devtools.seeding.planted import KINDS, plant_cases, ranking_quality
from devtools.seeding.reference import seed_reference
from devtools.seeding.synthetic import seed_synthetic
from shared.application.revenue import inspections
from tests.revenue.helpers import principal

SPEC = SyntheticSpec(accounts=1500, sectors=3, months=13, seed=1717, until=dt.date(2026, 11, 1))


def test_ranking_finds_the_planted_cases(fresh_db):
    seed_reference(fresh_db.owner_url)
    seed_synthetic(fresh_db.owner_url, SPEC, parallel=False)
    planted = plant_cases(fresh_db.owner_url, tenant_id=TENANT_ID, count=40, seed=5)
    assert {c.kind for c in planted} == set(KINDS) and len({c.account_id for c in planted}) == 40
    p = principal(uuid.UUID(TENANT_ID), TENANT_SLUG)
    found = inspections.inspection_candidates(principal=p, period=dt.date(2026, 10, 1))
    quality = ranking_quality(planted=planted, ranked=[c.account_id for c in found.candidates])
    print(quality.to_dict())
    assert quality.recall >= 0.95, quality
    assert quality.precision_at_k >= 0.85, quality
