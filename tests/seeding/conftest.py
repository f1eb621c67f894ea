"""Seeding fixtures: a database seeded once per module with a small synthetic utility (300 accounts × 6 months)."""

import datetime as dt
import itertools
import os
from collections.abc import Iterator

import pytest

from devtools.devstack.postgres import Cluster, clone_database, drop_database
from devtools.seeding.plan import SyntheticSpec
from devtools.seeding.reference import seed_reference
from devtools.seeding.synthetic import SeedReport, seed_synthetic
from tests.fixtures.postgres import TEMPLATE, TestDatabase

SMALL = SyntheticSpec(accounts=300, sectors=6, months=6, seed=20260, until=dt.date(2026, 11, 1))
_names = itertools.count()


def new_database(cluster: Cluster) -> TestDatabase:
    name = f"seed_{os.getpid()}_{next(_names)}"
    clone_database(cluster, template=TEMPLATE, name=name)
    return TestDatabase(cluster=cluster, name=name)


def seed_into(db: TestDatabase, spec: SyntheticSpec = SMALL, *, parallel: bool = True) -> SeedReport:
    seed_reference(db.owner_url)
    return seed_synthetic(db.owner_url, spec, parallel=parallel)


@pytest.fixture(scope="module")
def seeded(pg_cluster: Cluster) -> Iterator[tuple[TestDatabase, SeedReport]]:
    db = new_database(pg_cluster)
    try:
        yield db, seed_into(db)
    finally:
        drop_database(pg_cluster, db.name)


@pytest.fixture
def extra_database(pg_cluster: Cluster) -> Iterator[TestDatabase]:
    db = new_database(pg_cluster)
    try:
        yield db
    finally:
        drop_database(pg_cluster, db.name)
