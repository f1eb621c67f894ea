"""`manage.py agent eval`: the τ-style evaluation of the customer agent (docs/agents.md).

Scripted (default): the local fake Messages API plays each task's model script. `--live`: the same tasks against the
real API (ANTHROPIC_API_KEY / Key Vault `anthropic-api-key`, ANTHROPIC_MODEL, ANTHROPIC_BASE_URL), `--trials N` for
pass^1…pass^N. Runs on a throwaway PostgreSQL (or DATABASE_URL + MIGRATIONS_DATABASE_URL when both are set); prints
a short table and writes the JSON report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from devtools.agent_eval.evaluate import evaluate
from devtools.agent_eval.runner import TaskResult, dumps, table
from devtools.devstack.stack import LOCAL, local_stack
from shared.platform.config import get_settings
from shared.platform.secrets import SecretNotFound, get_secret

agent_app = typer.Typer(help="Claude agents: evaluation", no_args_is_help=True)


@agent_app.command("eval")
def eval_command(
    live: Annotated[bool, typer.Option("--live", help="Against the real Messages API (needs a key)")] = False,
    trials: Annotated[int, typer.Option("--trials", min=1, max=8, help="Trials per task (pass^k)")] = 1,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N tasks")] = None,
    adversarial_only: Annotated[bool, typer.Option("--adversarial-only")] = False,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the JSON report here")] = None,
) -> None:
    """Run the task set and report pass^k, gate refusals and violations, PII leaks, cost and turn latency."""
    if live:
        try:
            key = get_secret("anthropic-api-key")
        except SecretNotFound:
            key = ""
        if not key.strip():
            typer.echo("error: --live needs ANTHROPIC_API_KEY (or anthropic-api-key in Key Vault)", err=True)
            raise typer.Exit(2)

    def progress(r: TaskResult) -> None:
        if not r.passed:
            typer.echo(f"FAIL {r.task} (trial {r.trial}): {'; '.join(r.failures)}", err=True)

    with local_stack(throwaway=True, root=LOCAL / "agent-eval", storage=False) as s:
        report = evaluate(
            owner_url=s.migrations_url,
            live=live,
            trials=trials,
            limit=limit,
            adversarial_only=adversarial_only,
            settings=get_settings(),
            progress=progress,
        )
    typer.echo(table(report))
    if json_out is not None:
        json_out.write_text(dumps(report))
        typer.echo(f"report: {json_out}")
    else:
        typer.echo(json.dumps({k: v for k, v in report.items() if k not in ("per_task", "failures")}, default=str))
    if report["gate_violations"] or report["pii_leaks"] or report["unhandled_errors"]:
        raise typer.Exit(1)
