"""Agent test fixtures: the fake Messages API (a real HTTP server, the real SDK runs against it), a fresh database
with the evaluation world, and the customer agent wired to both."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from devtools.agent_eval.world import World, build_world
from devtools.fakes.claude_server import ClaudeFake
from shared.adapters.claude import ClaudeClient
from shared.application.agents.customer import CustomerAgentResponder
from shared.platform.config import Settings
from tests.fixtures.postgres import TestDatabase


@pytest.fixture
def claude_fake() -> Iterator[ClaudeFake]:
    fake = ClaudeFake().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def agent_settings(claude_fake: ClaudeFake) -> Settings:
    return Settings(ANTHROPIC_BASE_URL=claude_fake.url, AGENT_MAX_RETRIES=1, AGENT_TIMEOUT_SECONDS=10)


@pytest.fixture
def world(fresh_db: TestDatabase) -> World:
    return build_world(owner_url=fresh_db.owner_url, customers=12, slug="cea-eval")


@pytest.fixture
def queued() -> list[dict[str, Any]]:
    """Messages the agent sent to the notifications queue (one-time codes)."""
    return []


@pytest.fixture
def responder(
    agent_settings: Settings, claude_fake: ClaudeFake, world: World, queued: list[dict[str, Any]]
) -> CustomerAgentResponder:
    client = ClaudeClient(settings=agent_settings, api_key=claude_fake.api_key)
    return CustomerAgentResponder(settings=agent_settings, client=client, enqueue=queued.append)
