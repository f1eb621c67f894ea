"""τ-style evaluation of the customer agent in es-MX: a synthetic world, scripted tasks (normal and adversarial),
a customer simulator, a grader on the end state of the database plus required statements, and a PII scanner over
every outbound model request (docs/agents.md)."""
