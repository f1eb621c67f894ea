"""Runner tests: the session host serving the test-only sample app, and an in-process Durable engine.

The Azurite and host fixtures come from the plugins `tests.fixtures.azurite` and `tests.fixtures.runner`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.local_runner.durable.activities import InProcessActivityRunner
from devtools.local_runner.durable.engine import DurableEngine
from devtools.local_runner.host import LocalHost
from devtools.local_runner.index import FunctionIndex
from devtools.local_runner.invoke import FunctionInvoker
from tests.fixtures.runner import HostFactory
from tests.runner.apps import sample_app

APPS = Path(__file__).resolve().parent / "apps"
SAMPLE_ENV = {"SAMPLE_HUB": "samplehub", "SAMPLE_SCHEDULE": "0 0 8 1 * *"}


@pytest.fixture(scope="package")
def sample_host(local_host_factory: HostFactory) -> Iterator[LocalHost]:
    """The sample app served over HTTP, activities in 2 worker processes, queues on the session Azurite.

    Package-scoped and stopped explicitly: a running host puts its settings in os.environ, which must not leak
    into other test areas.
    """
    host = local_host_factory(
        "tests.runner.apps.sample_app:app",
        host_json=APPS / "host.json",
        env=SAMPLE_ENV,
        with_azurite=True,
        activity_workers=2,
    )
    yield host
    host.stop()


@pytest.fixture(scope="session")
def invoker() -> Iterator[FunctionInvoker]:
    inv = FunctionInvoker(threads=8, name="test")
    yield inv
    inv.close()


@pytest.fixture(params=[0, 1, 2], ids=["schemaV1", "schemaV2", "schemaV3"])
def engine(request: pytest.FixtureRequest, invoker: FunctionInvoker) -> Iterator[DurableEngine]:
    """An in-process Durable engine over the sample app, once per replay schema the extension may send."""
    index = FunctionIndex.of(sample_app.app)
    eng = DurableEngine(index, InProcessActivityRunner(index, invoker), replay_schema=request.param)
    yield eng
    eng.close()


@pytest.fixture
def engine_v3(invoker: FunctionInvoker) -> Iterator[DurableEngine]:
    index = FunctionIndex.of(sample_app.app)
    eng = DurableEngine(index, InProcessActivityRunner(index, invoker), replay_schema=2)
    yield eng
    eng.close()
