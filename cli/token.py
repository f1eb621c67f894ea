"""`python manage.py token --tenant T --role R [--person P]`: print a bearer token for local use.

Signed with `jwt-signing-key` (env JWT_SIGNING_KEY locally, Key Vault in Azure); the tenant must exist (the
database is DATABASE_URL, or the local stack found or started as `seed` does). Register in manage.py with
`app.command("token")(cli.token.token_command)`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from cli.runtime import database
from shared.application.access.principal import ROLES
from shared.application.access.tokens import InvalidTokenRequest, issue_token, require_tenant
from shared.platform.secrets import SecretNotFound

USAGE_ERROR = 2


def token_command(
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant slug, e.g. cea-queretaro")],
    role: Annotated[list[str], typer.Option("--role", help=f"Role (repeatable): {', '.join(ROLES)}")],
    person: Annotated[int | None, typer.Option("--person", help="Person id (required for customer)")] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="Token subject (default: random user id)")] = None,
    ttl_minutes: Annotated[int, typer.Option("--ttl-minutes", help="Lifetime in minutes (max 720)")] = 60,
) -> None:
    """Print a signed bearer token (JWT) for the API."""
    try:
        with database():
            require_tenant(slug=tenant)
        token = issue_token(
            tenant=tenant,
            roles=role,
            person_id=person,
            subject=subject,
            now=datetime.now(UTC),
            ttl=timedelta(minutes=ttl_minutes),
        )
    except InvalidTokenRequest as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=USAGE_ERROR) from error
    except SecretNotFound as error:
        typer.echo("error: set JWT_SIGNING_KEY (or KEY_VAULT_URL with secret jwt-signing-key)", err=True)
        raise typer.Exit(code=USAGE_ERROR) from error
    typer.echo(token)


def build_app() -> typer.Typer:
    """A standalone app (tests, or `python -m cli.token`)."""
    app = typer.Typer(add_completion=False)
    app.command("token")(token_command)
    return app


if __name__ == "__main__":
    typer.run(token_command)
