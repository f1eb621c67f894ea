"""The customer agent (the `claude` responder of the conversation port): Claude with the customer tools, every call
through the policy gate, personal data tokenised in every request, the reply detokenised only here."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

from shared.adapters.claude import ModelError, ModelMisconfigured, client_for
from shared.application.agents import customer_tools as ct
from shared.application.agents import facts, otp
from shared.application.agents.audit import TurnAudit
from shared.application.agents.engine import ModelClient, ToolOutcome, opaque_user_id, refused_outcome, run_turn
from shared.application.agents.prompts import CUSTOMER_POLICY
from shared.application.conversations.bot import BotContext, BotReply, ConversationTurn
from shared.application.notifications.sender import Enqueue
from shared.domain.agents.cost import parse_prices
from shared.domain.agents.pii_tokens import Vault
from shared.domain.agents.policy import GateFacts, decide, is_explicit_confirmation
from shared.domain.agents.tools import BY_NAME, Effect, ToolSpec
from shared.platform.config import Settings

log = logging.getLogger(__name__)

AGENT = "customer"
UNAVAILABLE_ES = (
    "Disculpe, en este momento no puedo atenderle de forma automática. Le comunico con un asesor de la CEA que le "
    "ayudará en breve."
)
TOO_LONG_ES = "Su mensaje es muy largo. ¿Podría escribirlo en un mensaje más corto, por favor?"
BUDGET_ES = "Para atenderle mejor le comunico con un asesor de la CEA."
HANDOFF_ES = "Le comunico con un asesor de la CEA; en breve le atenderá."
EMPTY_ES = "¿En qué más puedo ayudarle?"
CODE_REQUESTED_ES = (
    "Si el número de cuenta es correcto, enviamos un código de 6 dígitos al teléfono registrado en esa cuenta. "
    "Escríbalo aquí junto con su número de cuenta; vence en 10 minutos y sirve una sola vez."
)
CODE_LIMIT_ES = "Ya se enviaron varios códigos en esta conversación; por seguridad, un asesor continuará."
VERIFY_FAILED_ES = "Los datos no coinciden. Revise el número de cuenta y el total de su último recibo."
CODE_FAILED_ES = (
    "El código no es válido o ya venció. Puede pedir uno nuevo o verificar con el total de su último recibo."
)
CONFIRMATION_WINDOW = timedelta(minutes=30)  # a «sí» confirms only a proposal made in the last half hour


def turn_key(*, conversation_id: int, message: ConversationTurn) -> str:
    digest = hashlib.sha256(f"{message.at.isoformat()}|{message.text}|{message.media_url}".encode()).hexdigest()
    return f"{conversation_id}:{digest[:20]}"


class CustomerAgentResponder:
    """Implements `Responder`. Holds no database connection while the model runs (each lookup is its own short
    transaction)."""

    def __init__(
        self, *, settings: Settings, client: ModelClient | None = None, enqueue: Enqueue | None = None
    ) -> None:
        self.settings = settings
        self.enqueue = enqueue  # the notifications queue sender (None: the real queue)
        self.prices = parse_prices(text=settings.AGENT_PRICES_USD_PER_MTOK)
        self._client = client

    def _model(self) -> ModelClient:
        if self._client is None:
            self._client = client_for(settings=self.settings)
        return self._client

    def respond(self, *, context: BotContext, message: ConversationTurn) -> BotReply:
        state = ct.TurnState(
            tenant_id=context.tenant_id,
            conversation_id=context.conversation_id,
            channel=context.channel,
            person_id=context.person_id,
            account_id=context.account_id,
            now=context.now,
            media_url=message.media_url,
            turn_key=turn_key(conversation_id=context.conversation_id, message=message),
        )
        audit = TurnAudit(
            tenant_id=context.tenant_id,
            agent=AGENT,
            conversation_id=context.conversation_id,
            turn_key=state.turn_key,
            now=context.now,
            prices=self.prices,
        )
        try:
            text = self._respond(context=context, message=message, state=state, audit=audit)
        finally:
            audit.flush()
        return BotReply(
            text=text,
            handoff=state.handoff,
            verified_person_id=state.person_id if state.newly_verified else None,
            verified_account_id=state.account_id if state.newly_verified else None,
        )

    def _respond(self, *, context: BotContext, message: ConversationTurn, state: ct.TurnState, audit: TurnAudit) -> str:
        if len(message.text) > self.settings.AGENT_MAX_MESSAGE_CHARS:
            audit.tool(tool="message", decision="refused", rule="message_too_long", masked_input={})
            return TOO_LONG_ES
        used = facts.usage(tenant_id=context.tenant_id, agent=AGENT, conversation_id=context.conversation_id)
        if used.turns >= self.settings.AGENT_MAX_TURNS or used.tokens >= self.settings.AGENT_MAX_CONVERSATION_TOKENS:
            audit.tool(tool="budget", decision="refused", rule="budget_exceeded", masked_input={})
            state.handoff = True
            return BUDGET_ES
        vault = Vault()
        if state.person_id is not None:
            facts.seed_vault(tenant_id=state.tenant_id, person_id=state.person_id, vault=vault)
        messages = build_messages(context=context, message=message, vault=vault)
        failed = used.failed_verifications
        confirmed_now = is_explicit_confirmation(text=message.text)

        def run_tool(spec: ToolSpec | None, args: Any) -> ToolOutcome:
            nonlocal failed
            outcome = self._run_tool(spec, args, state=state, vault=vault, failed=failed, confirmed_now=confirmed_now)
            if outcome.rule == "verification_failed":
                failed += 1
            return outcome

        try:
            reply = run_turn(
                client=self._model(),
                system=CUSTOMER_POLICY,
                specs=BY_NAME[AGENT],
                messages=messages,
                vault=vault,
                audit=audit,
                user_id=opaque_user_id(tenant_id=state.tenant_id, agent=AGENT, conversation_id=state.conversation_id),
                run_tool=run_tool,
            )
        except ModelMisconfigured as error:
            log.error("customer agent misconfigured: %s", error.code)
            audit.tool(tool="model", decision="failed", rule=error.code, masked_input={})
            state.handoff = True
            return UNAVAILABLE_ES
        except ModelError as error:
            log.warning("customer agent model unavailable: %s", error.code)
            state.handoff = True
            return UNAVAILABLE_ES
        if state.handoff and not reply.strip():
            return HANDOFF_ES
        return reply.strip() or EMPTY_ES

    def _run_tool(
        self, spec: ToolSpec | None, args: Any, *, state: ct.TurnState, vault: Vault, failed: int, confirmed_now: bool
    ) -> ToolOutcome:
        if spec is None:
            return refused_outcome(decide(spec=None, facts=_no_facts(state, failed)))
        if spec.effect is Effect.HANDOFF:
            state.handoff = True
            return ToolOutcome("executed", None, {"status": "handoff", "message_es": HANDOFF_ES})
        if spec.effect is Effect.PUBLIC:
            return ToolOutcome("executed", None, ct.search_help(state, args, None))
        if spec.effect is Effect.VERIFY:
            return self._verify(spec, args, state=state, vault=vault, failed=failed)
        return self._account_tool(spec, args, state=state, failed=failed, confirmed_now=confirmed_now)

    def _verify(self, spec: ToolSpec, args: Any, *, state: ct.TurnState, vault: Vault, failed: int) -> ToolOutcome:
        """verify_identity and send_verification_code: the gate first (one customer per conversation, lock after
        failures), then two factors — the account number and the last bill's total or the account's one-time code."""
        target = facts.account(tenant_id=state.tenant_id, account_number=args.account_number)
        gate = decide(
            spec=spec,
            facts=GateFacts(
                verified_person_id=state.person_id,
                target_account_id=target.id if target else None,
                target_owner_person_id=target.person_id if target else None,
                target_tariff_class=target.tariff_class if target else None,
                failed_verifications=failed,
            ),
        )
        if not gate.allowed:
            if gate.rule == "verification_locked":
                state.handoff = True
            return refused_outcome(gate)
        if state.person_id is not None:
            return ToolOutcome("executed", None, {"verified": True, "already_verified": True})
        if spec.name == "send_verification_code":
            return self._send_code(state=state, target=target)
        if args.one_time_code is not None:
            match = self._code_match(state=state, target=target, code=args.one_time_code)
            failed_es = CODE_FAILED_ES
        else:
            match = facts.identity_matches(
                tenant_id=state.tenant_id, account_number=args.account_number, last_bill_amount=args.last_bill_amount
            )
            failed_es = VERIFY_FAILED_ES
        if match is None or match.person_id is None:
            return ToolOutcome(
                "refused",
                "verification_failed",
                {"status": "refused", "rule": "verification_failed", "message_es": failed_es},
            )
        state.person_id, state.account_id, state.newly_verified = match.person_id, match.id, True
        facts.seed_vault(tenant_id=state.tenant_id, person_id=match.person_id, vault=vault)
        return ToolOutcome("executed", None, {"verified": True, "account_number": match.account_number})

    def _send_code(self, *, state: ct.TurnState, target: Any) -> ToolOutcome:
        owned = target is not None and target.person_id is not None
        sent = otp.send_code(
            tenant_id=state.tenant_id,
            conversation_id=state.conversation_id,
            account_id=target.id if owned else None,
            now=state.now,
            enqueue=self.enqueue,
        )
        if sent.status == "limit":
            state.handoff = True
            return ToolOutcome(
                "refused",
                "code_send_limit",
                {"status": "refused", "rule": "code_send_limit", "message_es": CODE_LIMIT_ES},
            )
        # The same answer whether the account exists, has a contact, or not.
        return ToolOutcome("executed", None, {"status": "requested", "message_es": CODE_REQUESTED_ES})

    def _code_match(self, *, state: ct.TurnState, target: Any, code: str) -> Any:
        if target is None or target.person_id is None:
            return None
        verdict = otp.check_code(
            tenant_id=state.tenant_id,
            conversation_id=state.conversation_id,
            account_id=target.id,
            code=code,
            now=state.now,
        )
        return target if verdict == "ok" else None

    def _account_tool(
        self, spec: ToolSpec, args: Any, *, state: ct.TurnState, failed: int, confirmed_now: bool
    ) -> ToolOutcome:
        named = getattr(args, "account_number", None)
        if named:
            target = facts.account(tenant_id=state.tenant_id, account_number=named)
        elif state.account_id is not None:
            target = facts.account(tenant_id=state.tenant_id, account_id=state.account_id)
        else:
            target = None
        base = GateFacts(
            verified_person_id=state.person_id,
            target_account_id=target.id if target else None,
            target_owner_person_id=target.person_id if target else None,
            target_tariff_class=target.tariff_class if target else None,
            failed_verifications=failed,
        )
        gate = decide(spec=spec, facts=base)
        if gate.outcome == "refused" or target is None:
            return refused_outcome(gate)
        if spec.effect is Effect.READ:
            return ToolOutcome("executed", None, ct.READS[spec.name](state, args, target.id))
        return self._write(spec, args, state=state, base=base, account_id=target.id, confirmed_now=confirmed_now)

    def _write(
        self, spec: ToolSpec, args: Any, *, state: ct.TurnState, base: GateFacts, account_id: int, confirmed_now: bool
    ) -> ToolOutcome:
        """A write: inside the limits, proposed on one turn, executed once on a later explicitly confirmed turn."""
        problems = ct.plan_check(state, args, account_id)
        payload = args.model_dump(mode="json")
        digest = facts.args_hash(tool=spec.name, args=payload, account_id=account_id)
        proposal = facts.pending(tenant_id=state.tenant_id, conversation_id=state.conversation_id, digest=digest)
        if proposal is not None and proposal.result is not None:
            return ToolOutcome("executed", None, {**proposal.result, "already_done": True})
        confirmed = (
            proposal is not None
            and proposal.proposed_turn != state.turn_key
            and state.now - proposal.proposed_at <= CONFIRMATION_WINDOW
            and confirmed_now
        )
        gate = decide(spec=spec, facts=base._replace(plan_problems=problems, confirmed=confirmed))
        if gate.outcome == "refused":
            return refused_outcome(gate)
        if gate.outcome == "confirmation_required":
            facts.propose(
                tenant_id=state.tenant_id,
                conversation_id=state.conversation_id,
                tool=spec.name,
                args=payload,
                digest=digest,
                turn_key=state.turn_key,
                now=state.now,
            )
            return refused_outcome(gate)
        if proposal is None:  # allowed without a stored proposal cannot happen through the gate; refuse anyway
            return ToolOutcome("refused", "confirmation_required", {"status": "refused", "rule": "no_proposal"})
        if not facts.claim(tenant_id=state.tenant_id, action_id=proposal.id, now=state.now):
            return ToolOutcome("refused", "already_in_progress", {"status": "refused", "rule": "already_in_progress"})
        try:
            result = ct.WRITES[spec.name](state, args, account_id, digest)
        except BaseException:
            facts.release(tenant_id=state.tenant_id, action_id=proposal.id)
            raise
        facts.store_result(tenant_id=state.tenant_id, action_id=proposal.id, result=result)
        return ToolOutcome("executed", None, result)


def _no_facts(state: ct.TurnState, failed: int) -> GateFacts:
    return GateFacts(state.person_id, None, None, None, failed)


def build_messages(*, context: BotContext, message: ConversationTurn, vault: Vault) -> list[dict[str, Any]]:
    """The conversation as alternating user/assistant messages, tokenised; customer text wrapped as data."""
    history = list(context.history)
    if history and history[-1] == message:
        history.pop()
    turns = [*history, message]
    while turns and turns[0].direction == "outbound":
        turns.pop(0)
    out: list[dict[str, Any]] = []
    for item in turns:
        role = "user" if item.direction == "inbound" else "assistant"
        text = vault.tokenise(item.text)
        if role == "user":
            photo = ' foto_adjunta="sí"' if item.media_url else ""
            text = f'<mensaje_cliente canal="{context.channel}"{photo}>{text}</mensaje_cliente>'
        if out and out[-1]["role"] == role:
            out[-1]["content"][0]["text"] += "\n" + text
        else:
            out.append({"role": role, "content": [{"type": "text", "text": text}]})
    return out
