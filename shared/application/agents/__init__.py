"""Claude agents: the customer agent (the `claude` responder of the conversation port) and the operator agent for
held invoices; tools over the application services behind a policy gate, personal data tokenised (docs/agents.md)."""

__all__ = ["customer", "operator"]
