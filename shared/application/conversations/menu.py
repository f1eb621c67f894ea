"""The fixed es-MX menu bot (BOT_RESPONDER=menu): balance and payment references after identity verification,
leak reports that open a work order, and handoff to a person. It keeps no state of its own: the step is read
from the bot's last message in the history (each prompt carries what the next step needs).

Identity is verified by something printed on the customer's bill, never by the sender's phone: the account
number and the total of its last bill. A verified conversation keeps its person and account.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from decimal import Decimal, InvalidOperation

from shared.application.conversations.bot import BotContext, BotReply, ConversationTurn
from shared.data import conversations as store
from shared.data import db
from shared.data.records import casework
from shared.domain.casework.work_orders import due_at
from shared.domain.notifications.templates import money

__all__ = ["MENU_TEXT", "MenuResponder"]

MENU_TEXT = (
    "Hola, soy el asistente de la CEA Querétaro. Escriba el número de la opción:\n"
    "1. Consultar mi saldo\n"
    "2. Referencias de pago\n"
    "3. Reportar una fuga\n"
    "4. Hablar con un asesor"
)
HANDOFF_TEXT = "Le comunico con un asesor. En breve le atenderán por este mismo medio."
_ASK_ACCOUNT = "Para {purpose}, escriba su número de cuenta (aparece en su recibo)."
_ASK_TOTAL = (
    "Para verificar su identidad, escriba el importe total de su último recibo de la cuenta {account} "
    "(por ejemplo 245.50). [{purpose}]"
)
_ASK_LEAK = "Describa la fuga y su ubicación (puede enviar una foto). [fuga cuenta {account}]"
_PURPOSES = {"1": "consultar su saldo", "2": "darle sus referencias de pago", "3": "reportar una fuga"}
_ACCOUNT_IN = re.compile(r"cuenta (\S+?)[ .(\]]")
_HANDOFF_WORDS = ("asesor", "persona", "humano", "agente", "operador")


def _plain(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in folded if not unicodedata.combining(c)).strip()


def _last_bot(history: tuple[ConversationTurn, ...]) -> str:
    for turn in reversed(history):
        if turn.direction == "outbound":
            return turn.text
    return ""


def _amount(text: str) -> Decimal | None:
    cleaned = text.replace("$", "").replace(",", "").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


class MenuResponder:
    def respond(self, *, context: BotContext, message: ConversationTurn) -> BotReply:
        text = _plain(message.text)
        if text == "4" or any(w in text for w in _HANDOFF_WORDS):
            return BotReply(text=HANDOFF_TEXT, handoff=True)
        last = _last_bot(context.history)
        if last.startswith("Describa la fuga"):
            return self._leak(context, message, last)
        if last.startswith("Para verificar su identidad"):
            return self._verify(context, message, last)
        if last.startswith("Para ") and "número de cuenta" in last:
            return self._account_given(context, message, last)
        if text in _PURPOSES:
            return self._choose(context, text)
        return BotReply(text=MENU_TEXT)

    def _choose(self, context: BotContext, option: str) -> BotReply:
        if option == "3":
            if context.account_id is not None:
                return BotReply(text=_ASK_LEAK.format(account=f"#{context.account_id}"))
            return BotReply(text=_ASK_ACCOUNT.format(purpose=_PURPOSES[option]))
        if context.account_id is not None:
            return self._answer(context, option, context.account_id)
        return BotReply(text=_ASK_ACCOUNT.format(purpose=_PURPOSES[option]))

    def _account_given(self, context: BotContext, message: ConversationTurn, last: str) -> BotReply:
        number = message.text.strip().split()[0] if message.text.strip() else ""
        purpose = next((p for p in _PURPOSES.values() if p in last), _PURPOSES["1"])
        with db.tenant_transaction(context.tenant_id) as conn:
            found = store.account_by_number(conn, account_number=number) if number else None
        if found is None:
            return BotReply(text=f"No encontramos la cuenta {number or '(vacía)'}. Revise su recibo.\n\n{MENU_TEXT}")
        if purpose == _PURPOSES["3"]:  # a leak report needs the place, not the person's identity
            return BotReply(text=_ASK_LEAK.format(account=found.account_number))
        return BotReply(text=_ASK_TOTAL.format(account=found.account_number, purpose=purpose))

    def _verify(self, context: BotContext, message: ConversationTurn, last: str) -> BotReply:
        match = _ACCOUNT_IN.search(last)
        given = _amount(message.text)
        with db.tenant_transaction(context.tenant_id) as conn:
            found = store.account_by_number(conn, account_number=match.group(1)) if match else None
        if (
            found is None
            or given is None
            or found.last_invoice_total is None
            or Decimal(found.last_invoice_total).quantize(Decimal("0.01")) != given.quantize(Decimal("0.01"))
        ):
            return BotReply(text=f"Los datos no coinciden con nuestros registros.\n\n{MENU_TEXT}")
        option = "2" if _PURPOSES["2"] in last else "1"
        answer = self._answer(context, option, found.account_id)
        return answer._replace(verified_person_id=found.person_id, verified_account_id=found.account_id)

    def _answer(self, context: BotContext, option: str, account_id: int) -> BotReply:
        with db.tenant_transaction(context.tenant_id) as conn:
            standing = store.account_standing(conn, account_id=account_id)
        if standing is None:
            return BotReply(text=MENU_TEXT)
        if option == "2":
            clabe = f" o por SPEI a la CLABE {standing.clabe}" if standing.clabe else ""
            return BotReply(
                text=f"Pague en OXXO con la referencia {standing.payment_reference}{clabe}.\n\n"
                "Escriba 0 para volver al menú."
            )
        balance = Decimal(standing.balance)
        owed = f"Su saldo pendiente es de {money(balance)}." if balance > 0 else "Su cuenta no tiene adeudo."
        return BotReply(text=f"{owed}\n\nEscriba 2 para sus referencias de pago o 0 para volver al menú.")

    def _leak(self, context: BotContext, message: ConversationTurn, last: str) -> BotReply:
        match = re.search(r"\[fuga cuenta (\S+)\]", last)
        ref = match.group(1) if match else ""
        description = message.text.strip() or "Fuga reportada por WhatsApp"
        with db.tenant_transaction(context.tenant_id) as conn:
            if ref.startswith("#"):
                account_id: int | None = int(ref[1:])
            else:
                found = store.account_by_number(conn, account_number=ref)
                account_id = found.account_id if found else None
            standing = store.account_standing(conn, account_id=account_id) if account_id is not None else None
            if account_id is None or standing is None:
                return BotReply(text=f"No pudimos ubicar la cuenta del reporte.\n\n{MENU_TEXT}")
            photo = f" Foto: {message.media_url}" if message.media_url else ""
            row, _created = casework.insert_work_order(
                conn,
                tenant_id=context.tenant_id,
                data={
                    "kind": "leak_report",
                    "priority": "high",
                    "account_id": account_id,
                    "toma_id": standing.toma_id,
                    "reason": f"Reporte por {context.channel}: {description}{photo}"[:1000],
                    "natural_key": f"conversation:{context.conversation_id}:leak:{_stamp(message.at)}",
                    "created_at": context.now,
                    "due_at": due_at(kind="leak_report", priority="high", created_at=context.now),
                },
            )
        return BotReply(
            text=f"Registramos su reporte de fuga con folio OT-{row['id']}. Una cuadrilla lo atenderá y le "
            "avisaremos por este medio cuando quede reparado."
        )


def _stamp(at: datetime) -> str:
    return at.strftime("%Y%m%dT%H%M%S%f")
