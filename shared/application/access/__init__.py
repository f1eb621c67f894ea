"""Who is calling: principals (users and API clients), roles and permissions, tokens and API keys, Idempotency-Key
answers, and the error kinds use cases raise (the API maps them to problem+json).

Modules: `principal` (roles, permissions), `tokens` (JWTs, API-key authentication), `api_keys` (create, list,
revoke), `idempotency` (`create_once`), `errors`."""

from shared.application.access import api_keys, errors, idempotency, principal, tokens
from shared.application.access.principal import Principal

__all__ = ["Principal", "api_keys", "errors", "idempotency", "principal", "tokens"]
