"""Pure rules of the Claude agents: PII tokens, the policy gate, tool specifications, tool-input validation, cost."""
