"""Local stand-ins for paid external services (PAC, payment providers), run as real HTTP servers."""
