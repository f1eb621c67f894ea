"""Application settings, read from the environment (app settings in Azure, local.settings.json locally).

Every setting the code reads is a field here; `local.settings.example.json` documents each one and the IaC
tests check that Bicep and Terraform define them all. Secrets are not here: see `shared.platform.secrets`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=True)

    ENVIRONMENT: Literal["local", "dev", "staging", "production"] = "local"
    LOG_LEVEL: str = "INFO"
    # Local only (make demo): JSON log lines appended to this file (every process of the local host), and whether
    # they also go to stderr. In Azure logs go to stderr and Application Insights.
    LOG_FILE: str = ""
    LOG_TO_CONSOLE: bool = True

    # PostgreSQL. The app connects as a role that is neither superuser nor table owner (RLS applies).
    DATABASE_URL: str = ""
    DATABASE_AUTH: Literal["password", "entra"] = "password"
    DATABASE_POOL_MAX: int = Field(default=8, ge=1, le=64)
    MIGRATIONS_DATABASE_URL: str = ""

    # Azure Storage (queues, blobs, durable task hub). "UseDevelopmentStorage=true" means Azurite.
    AzureWebJobsStorage: str = ""  # in Azure: AzureWebJobsStorage__accountName + managed identity instead
    TASKHUB_NAME: str = "suprawaterlocal"
    QUEUE_DOMAIN_EVENTS: str = "domain-events"
    QUEUE_PAYMENTS: str = "payments-in"
    QUEUE_NOTIFICATIONS: str = "notifications"
    BLOB_CONTAINER_CFDI: str = "cfdi"
    BLOB_CONTAINER_READING_PHOTOS: str = "reading-photos"

    # Schedules (NCRONTAB, six fields, UTC: Flex Consumption has no time zone setting).
    BILLING_SCHEDULE: str = "0 0 8 * * *"  # daily 02:00 local; each tenant bills on its own day
    OUTBOX_RELAY_SCHEDULE: str = "*/10 * * * * *"
    PAYMENT_PLAN_CHECK_SCHEDULE: str = "0 0 9 * * *"

    # Billing run shape.
    BILLING_CHUNK_SIZE: int = Field(default=2000, ge=500, le=5000)

    # CFDI / PAC.
    PAC_PROVIDER: Literal["finkok", "simulator"] = "simulator"  # simulator is refused with ENVIRONMENT=production
    PAC_URL: str = ""
    PAC_TIMEOUT_SECONDS: float = 20.0
    PAC_MAX_IN_FLIGHT: int = Field(default=16, ge=1, le=256)  # concurrent PAC calls per worker process

    # Payments webhooks.
    SPEI_ALLOWED_IPS: str = ""

    # API.
    JWT_ISSUER: str = "supra-water"
    JWT_AUDIENCE: str = "supra-water-api"
    CORS_ORIGINS: str = ""
    FRONT_DOOR_ID: str = ""
    MAX_REQUEST_BYTES: int = 1_048_576

    # Notifications and AI.
    WHATSAPP_API_URL: str = ""
    WHATSAPP_PHONE_NUMBER_ID: str = ""
    ANTHROPIC_MODEL: str = "claude-sonnet-4-5"
    # Claude agents (docs/agents.md). Empty base URL: the SDK's default endpoint; the key is the secret
    # anthropic-api-key. Prices are US$ per million tokens: input, output, cache write, cache read.
    ANTHROPIC_BASE_URL: str = ""
    AGENT_TIMEOUT_SECONDS: float = Field(default=20.0, gt=0, le=120)
    AGENT_MAX_RETRIES: int = Field(default=2, ge=0, le=5)
    AGENT_PRICES_USD_PER_MTOK: str = "input=2.00,output=10.00,cache_write=2.50,cache_read=0.10"
    AGENT_MAX_TURNS: int = Field(default=30, ge=1, le=200)
    AGENT_MAX_CONVERSATION_TOKENS: int = Field(default=400_000, ge=1000)
    AGENT_MAX_MESSAGE_CHARS: int = Field(default=2000, ge=100, le=20000)

    # Customer channels (docs/channels.md). WhatsApp through Meta's Cloud API or 360dialog (same body, different
    # URL and key header); secrets whatsapp-api-key, whatsapp-app-secret (webhook signature), whatsapp-verify-token.
    WHATSAPP_PROVIDER: Literal["meta", "360dialog"] = "meta"
    PUBLIC_BASE_URL: str = ""  # links in notices (the bill's PDF): https://<front door host>
    BOT_RESPONDER: Literal["menu", "claude"] = "menu"
    NOTIFICATIONS_RELEASE_SCHEDULE: str = "0 */5 * * * *"  # re-enqueue notices whose quiet hours / rate wait ended
    NOTIFICATIONS_REMINDER_SCHEDULE: str = "0 0 15 * * *"  # 09:00 Querétaro: due-date and installment reminders
    CHATWOOT_URL: str = ""  # AGORA (Chatwoot); token chatwoot-api-token, webhook secret chatwoot-webhook-secret
    CHATWOOT_ACCOUNT_ID: str = ""
    CHATWOOT_INBOX_ID: str = ""
    TWILIO_PHONE_NUMBER: str = ""  # the voice line; secrets twilio-account-sid, twilio-auth-token
    CALL_CENTER_NUMBER: str = ""  # "hablar con un asesor" on a call dials this number

    # Secrets and telemetry.
    KEY_VAULT_URL: str = ""
    AZURE_CLIENT_ID: str = ""
    APPLICATIONINSIGHTS_CONNECTION_STRING: str = ""
    # Local only (`make serve`): metrics in Prometheus text format on 127.0.0.1:<port>/metrics; 0 = off.
    METRICS_PROMETHEUS_PORT: int = Field(default=0, ge=0, le=65535)

    @model_validator(mode="after")
    def _no_simulator_in_production(self) -> Settings:
        if self.ENVIRONMENT == "production" and self.PAC_PROVIDER == "simulator":
            raise ValueError(
                "PAC_PROVIDER=simulator is refused with ENVIRONMENT=production: the simulator's stamps are not "
                "registered with SAT. Set PAC_PROVIDER=finkok (and the finkok-username/finkok-password secrets)."
            )
        return self

    @property
    def cors_origins(self) -> list[str]:
        return [o.strip() for o in self.CORS_ORIGINS.split(",") if o.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    """Forget cached settings (tests and the local runner change the environment)."""
    get_settings.cache_clear()
