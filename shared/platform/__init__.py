"""Cross-cutting plumbing every layer may use: settings, secrets, logging, telemetry, correlation ids."""
