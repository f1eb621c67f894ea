"""One evaluation: world(s), responder wired to the fake (scripted) or the real API (live), every task × trial."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

from devtools.agent_eval.runner import Recorder, TaskResult, run_task, summary
from devtools.agent_eval.tasks import CUSTOMERS_NEEDED, build_tasks
from devtools.agent_eval.world import build_world
from devtools.fakes.claude_server import ClaudeFake
from shared.adapters.claude import ClaudeClient
from shared.application.agents.customer import CustomerAgentResponder
from shared.platform.config import Settings


def _next_free(owner_url: str) -> tuple[int, int]:
    """The first free account id and a fresh run number (the evaluation may run again on the same database)."""
    with psycopg.connect(owner_url) as conn:
        row = conn.execute(
            "SELECT coalesce(max(id), 0) + 1, (SELECT count(*) FROM tenants WHERE slug LIKE 'agent-eval-%') "
            "FROM accounts"
        ).fetchone()
    assert row is not None
    return max(int(row[0]), 100_000), int(row[1])


def evaluate(
    *,
    owner_url: str,
    live: bool = False,
    trials: int = 1,
    limit: int | None = None,
    adversarial_only: bool = False,
    settings: Settings | None = None,
    progress: Callable[[TaskResult], None] | None = None,
) -> dict[str, Any]:
    """Run the task set `trials` times (a fresh world per trial, so writes never carry over) and summarise."""
    fake = None if live else ClaudeFake().start()
    base = settings or Settings()
    try:
        if fake is not None:
            base = base.model_copy(update={"ANTHROPIC_BASE_URL": fake.url, "AGENT_MAX_RETRIES": 1})
        recorder = Recorder()
        client = ClaudeClient(settings=base, api_key=fake.api_key if fake else None, recorder=recorder)
        queued: list[dict[str, Any]] = []  # notification queue messages (no worker here: the rows are graded)
        responder = CustomerAgentResponder(settings=base, client=client, enqueue=queued.append)
        results: list[TaskResult] = []
        conversation = 0
        for trial in range(trials):
            first, run = _next_free(owner_url)
            world = build_world(
                owner_url=owner_url,
                customers=CUSTOMERS_NEEDED,
                slug=f"agent-eval-{run}-{trial}",
                first_account_id=first,
            )
            tasks = [t for t in build_tasks(world) if t.adversarial or not adversarial_only]
            tasks = tasks[:limit] if limit else tasks
            for task in tasks:
                conversation += 1
                result = run_task(
                    task,
                    world=world,
                    responder=responder,
                    owner_url=owner_url,
                    conversation_id=conversation,
                    trial=trial,
                    fake=fake,
                    recorder=recorder,
                )
                results.append(result)
                if progress is not None:
                    progress(result)
        return summary(results, trials=trials, mode="live" if live else "scripted")
    finally:
        if fake is not None:
            fake.stop()
