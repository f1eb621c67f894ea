"""Customer notifications sent from domain events (the domain-events queue trigger runs these consumers)."""
