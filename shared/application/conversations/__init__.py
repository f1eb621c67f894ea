"""Conversations: one model for inbound messages from every channel, and the bot port (`bot.py`)."""

from shared.application.conversations.bot import BotContext, BotReply, ConversationTurn, Responder, responder_for

__all__ = ["BotContext", "BotReply", "ConversationTurn", "Responder", "responder_for"]
