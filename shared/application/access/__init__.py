"""Who is calling: principals (users and API clients), roles and permissions, tokens and API keys, and the error
kinds use cases raise (the API maps them to problem+json)."""
