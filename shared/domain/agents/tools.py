"""The agents' tool catalogue: each tool's input model (pydantic, extra fields refused; its JSON schema is what the
model sees), its effect class (what the policy gate must check) and its Spanish-free description for the model."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class Effect(StrEnum):
    PUBLIC = "public"  # no personal data (FAQ, regulation)
    VERIFY = "verify"  # identity verification
    READ = "read"  # reads the verified customer's data
    WRITE = "write"  # changes something: needs identity, ownership, limits and an explicit confirmation turn
    HANDOFF = "handoff"  # a person takes over
    PROPOSE = "propose"  # operator agent: records a proposal, never applies it


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NoInput(_Input):
    pass


class AccountInput(_Input):
    account_number: str | None = Field(
        default=None, max_length=40, description="Token of the account; omit for the verified account"
    )


class SearchHelpInput(_Input):
    query: str = Field(min_length=2, max_length=300)


class VerifyIdentityInput(_Input):
    """Two independent factors: the account number AND exactly one of the last bill's total or the one-time code
    sent to the contact registered on that account. A code (or an amount) without the account never verifies."""

    account_number: str = Field(min_length=1, max_length=40, description="Account number (token) the customer gave")
    last_bill_amount: Decimal | None = Field(
        default=None, ge=0, le=10_000_000, decimal_places=2, description="Total of the last bill"
    )
    one_time_code: str | None = Field(
        default=None, max_length=40, description="The 6-digit code (or its token) sent by send_verification_code"
    )

    @model_validator(mode="after")
    def _one_second_factor(self) -> VerifyIdentityInput:
        if (self.last_bill_amount is None) == (self.one_time_code is None):
            raise ValueError("give exactly one of last_bill_amount or one_time_code with the account number")
        return self


class SendCodeInput(_Input):
    account_number: str = Field(min_length=1, max_length=40, description="Account number (token) the customer gave")


class ExplainInvoiceInput(AccountInput):
    period: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}$", description="YYYY-MM; omit for the last bill")


class ReportInput(AccountInput):
    description: str = Field(min_length=3, max_length=1000)
    location: str | None = Field(default=None, max_length=300)


class DisputeReadingInput(AccountInput):
    reason: str = Field(min_length=3, max_length=1000)
    period: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}$")


class PaymentPlanInput(AccountInput):
    down_payment: Decimal = Field(ge=0, le=10_000_000, decimal_places=2)
    installments: int = Field(ge=1, le=60)


class ArcoInput(_Input):
    arco_right: Literal["access", "rectification", "cancellation", "opposition"]
    description: str = Field(min_length=3, max_length=1000)


class OptOutInput(_Input):
    purpose: Literal["whatsapp_notices", "email_notices", "sms_notices", "surveys", "marketing"]


class SuspensionInput(AccountInput):
    reason: str = Field(min_length=3, max_length=500)


class HandoffInput(_Input):
    reason: str = Field(min_length=2, max_length=300)


class InvoiceRefInput(_Input):
    invoice_id: int = Field(ge=1)


class ProposalInput(_Input):
    invoice_id: int = Field(ge=1)
    action: Literal["release", "hold", "re_estimate"]
    evidence: str = Field(min_length=3, max_length=2000)


class ToolSpec(NamedTuple):
    name: str
    description: str
    effect: Effect
    model: type[_Input]

    def schema(self) -> dict[str, Any]:
        schema = self.model.model_json_schema()
        schema.pop("title", None)
        return {"name": self.name, "description": self.description, "input_schema": schema}


class InvalidToolInput(ValueError):
    """The model's tool input does not match the tool's schema."""


def parse_input(*, spec: ToolSpec, data: object) -> _Input:
    try:
        return spec.model.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg']}" for e in error.errors())
        raise InvalidToolInput(problems) from error


CUSTOMER_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "search_help",
        "Search CEA FAQ and regulation snippets; cite the snippet code in brackets.",
        Effect.PUBLIC,
        SearchHelpInput,
    ),
    ToolSpec(
        "verify_identity",
        "Verify the customer with two factors: account number AND either the total of their last "
        "bill or the one-time code sent by send_verification_code. Required before any account data or change. "
        "The phone number never counts.",
        Effect.VERIFY,
        VerifyIdentityInput,
    ),
    ToolSpec(
        "send_verification_code",
        "Send a 6-digit one-time code to the contact registered on the account (not to this chat unless it is "
        "the registered one); the customer then gives it to verify_identity. Valid 10 minutes, once.",
        Effect.VERIFY,
        SendCodeInput,
    ),
    ToolSpec(
        "get_balance", "Balance, overdue amount and next due date of the verified account.", Effect.READ, AccountInput
    ),
    ToolSpec("list_invoices", "Last invoices of the verified account.", Effect.READ, AccountInput),
    ToolSpec(
        "explain_invoice",
        "Explain a bill from its calculation trace (reads, estimation, tariff, blocks, IVA).",
        Effect.READ,
        ExplainInvoiceInput,
    ),
    ToolSpec(
        "get_payment_references", "OXXO reference and CLABE for paying the verified account.", Effect.READ, AccountInput
    ),
    ToolSpec(
        "payment_plan_options", "Debt and the payment-plan limits the account may sign.", Effect.READ, AccountInput
    ),
    ToolSpec(
        "report_leak", "Create a leak work order (a photo sent by the customer is attached).", Effect.WRITE, ReportInput
    ),
    ToolSpec(
        "report_meter_problem",
        "Create an inspection work order for a broken or stopped meter.",
        Effect.WRITE,
        ReportInput,
    ),
    ToolSpec(
        "dispute_reading", "Open a reading dispute (reading check work order).", Effect.WRITE, DisputeReadingInput
    ),
    ToolSpec(
        "request_payment_plan",
        "Sign a payment plan (down payment + monthly installments) within policy.",
        Effect.WRITE,
        PaymentPlanInput,
    ),
    ToolSpec(
        "request_service_suspension",
        "Voluntary suspension of the supply (never for domestic accounts).",
        Effect.WRITE,
        SuspensionInput,
    ),
    ToolSpec(
        "arco_request",
        "Register an ARCO request (access, rectification, cancellation, opposition).",
        Effect.WRITE,
        ArcoInput,
    ),
    ToolSpec(
        "opt_out",
        "Stop a kind of notice (e.g. WhatsApp notices); the water service is not affected.",
        Effect.WRITE,
        OptOutInput,
    ),
    ToolSpec("transfer_to_human", "Hand the conversation to a person.", Effect.HANDOFF, HandoffInput),
)

OPERATOR_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "get_held_invoice",
        "A held draft invoice with its lines, traces and the reasons it was held.",
        Effect.READ,
        InvoiceRefInput,
    ),
    ToolSpec("search_help", "Search billing rules and regulation snippets.", Effect.PUBLIC, SearchHelpInput),
    ToolSpec(
        "propose_action",
        "Record a proposal (release / hold / re_estimate) with its evidence for an operator "
        "to approve through the API. It never applies the change.",
        Effect.PROPOSE,
        ProposalInput,
    ),
)

BY_NAME: dict[str, dict[str, ToolSpec]] = {
    "customer": {t.name: t for t in CUSTOMER_TOOLS},
    "operator": {t.name: t for t in OPERATOR_TOOLS},
}
