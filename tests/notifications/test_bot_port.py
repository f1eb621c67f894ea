"""The bot port: BOT_RESPONDER picks the fixed menu (default) or the Claude agent, both behind `Responder`."""

from shared.application.conversations.bot import responder_for
from shared.application.conversations.menu import MenuResponder
from shared.platform.config import Settings


def test_the_menu_is_the_default_and_claude_is_the_agent():
    assert isinstance(responder_for(settings=Settings()), MenuResponder)
    agent = responder_for(settings=Settings(BOT_RESPONDER="claude"))
    assert type(agent).__name__ == "CustomerAgentResponder" and callable(agent.respond)
