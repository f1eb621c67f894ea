"""The policy gate: every tool call the model asks for is decided here, from facts the application gathered
outside the model. Nothing the model or the customer writes can change a fact (identity state, ownership, tariff
class, plan limits, confirmation), so nothing they write can unlock a tool.

Rules (each refusal names one):
* `unknown_tool` / `invalid_input`: only catalogue tools, inputs valid against their schema.
* `one_customer_per_conversation`: a verified conversation cannot verify someone else.
* `verification_locked`: after `max_failed_verifications` failed attempts, a person takes over.
* `identity_required`: reads and writes need a verified identity (two independent factors).
* `account_not_owned`: the target account must belong to the verified person.
* `art74_domestic_never_cut`: a domestic account is never suspended (restriction is the only measure, and it is
  not the customer agent's to take).
* `plan_outside_policy`: a payment plan must be inside the tenant's policy (down payment, installments,
  eligibility); the agent then offers what is possible or hands off.
* `confirmation_required`: a write runs only on a later turn whose inbound text is an explicit confirmation, with
  the same input that was proposed.
* `proposal_only`: the operator agent records proposals; a person approves them through the API.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal, NamedTuple

from shared.domain.agents.tools import Effect, ToolSpec

Outcome = Literal["allowed", "refused", "confirmation_required"]

DOMESTIC_CLASSES = frozenset({"domestico", "social"})


class GateFacts(NamedTuple):
    """What the application established, outside the model, for one tool call."""

    verified_person_id: int | None
    target_account_id: int | None  # the account the call is about (verified account when the input names none)
    target_owner_person_id: int | None  # owner of that account per the database (None: no such account)
    target_tariff_class: str | None
    failed_verifications: int
    plan_problems: tuple[str, ...] = ()  # eligibility problems of the requested plan (empty: inside policy)
    confirmed: bool = False  # pending proposal with this input from an earlier turn + explicit confirmation now


class GateLimits(NamedTuple):
    max_failed_verifications: int = 3


class GateDecision(NamedTuple):
    outcome: Outcome
    rule: str | None
    message_es: str  # what the agent may tell the customer (no data)

    @property
    def allowed(self) -> bool:
        return self.outcome == "allowed"


ALLOWED = GateDecision("allowed", None, "")


def refuse(rule: str, message_es: str) -> GateDecision:
    return GateDecision("refused", rule, message_es)


DEFAULT_LIMITS = GateLimits()


def decide(*, spec: ToolSpec | None, facts: GateFacts, limits: GateLimits = DEFAULT_LIMITS) -> GateDecision:
    """The decision for one call of `spec` (None: the model named a tool that does not exist)."""
    if spec is None:
        return refuse("unknown_tool", "Esa acción no está disponible.")
    if spec.effect in (Effect.PUBLIC, Effect.HANDOFF, Effect.PROPOSE):
        return ALLOWED
    if spec.effect is Effect.VERIFY:
        return _verification(facts=facts, limits=limits)
    if facts.verified_person_id is None:
        return refuse(
            "identity_required",
            "Antes necesito verificar su identidad: número de cuenta y el total de su último recibo (o un código que "
            "le enviamos al teléfono registrado en la cuenta).",
        )
    if facts.target_account_id is None or facts.target_owner_person_id != facts.verified_person_id:
        return refuse("account_not_owned", "Solo puedo atender la cuenta del titular verificado.")
    return ALLOWED if spec.effect is Effect.READ else _write(spec=spec, facts=facts)


def _verification(*, facts: GateFacts, limits: GateLimits) -> GateDecision:
    if facts.verified_person_id is not None:
        # Another owner's account, an account without owner and a number that does not exist get the same refusal:
        # the reply must not tell a verified customer whether someone else's account exists.
        if facts.target_owner_person_id != facts.verified_person_id:
            return refuse(
                "one_customer_per_conversation",
                "En esta conversación ya se verificó a un titular; para otra cuenta inicie otra conversación.",
            )
        return ALLOWED
    if facts.failed_verifications >= limits.max_failed_verifications:
        return refuse("verification_locked", "Por seguridad, un asesor continuará con la verificación.")
    return ALLOWED


def _write(*, spec: ToolSpec, facts: GateFacts) -> GateDecision:
    if spec.name == "request_service_suspension" and (facts.target_tariff_class or "") in DOMESTIC_CLASSES:
        return refuse(
            "art74_domestic_never_cut",
            "Por ley (Art. 74) el servicio doméstico no se suspende; solo puede restringirse y no a petición por "
            "este medio.",
        )
    if spec.name == "request_payment_plan" and facts.plan_problems:
        return refuse(
            "plan_outside_policy", "El convenio solicitado está fuera de la política: " + "; ".join(facts.plan_problems)
        )
    if not facts.confirmed:
        return GateDecision(
            "confirmation_required",
            "confirmation_required",
            "Pida al cliente que confirme expresamente (por ejemplo «sí, confirmo») antes de continuar.",
        )
    return ALLOWED


_AFFIRMATIVE = re.compile(
    r"^(si|sí|confirmo|acepto|adelante|de acuerdo|correcto|claro|ok|okay|va|hagalo|hazlo|procede)\b"
)
_NEGATION = re.compile(r"\b(no|nunca|cancela|cancelar|espera|todavia|aun no|mejor no)\b")
MAX_CONFIRMATION_WORDS = 8


def _normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^\w\s]", " ", plain).strip()


def is_explicit_confirmation(*, text: str) -> bool:
    """A short affirmative answer with no negation ("Sí, confirmo", "De acuerdo, adelante"). Longer texts, questions
    and anything containing a negation are not confirmations."""
    if "?" in text or "¿" in text:
        return False
    plain = _normalise(text)
    words = plain.split()
    if not words or len(words) > MAX_CONFIRMATION_WORDS:
        return False
    return bool(_AFFIRMATIVE.match(plain)) and not _NEGATION.search(plain)
