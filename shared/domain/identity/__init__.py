"""Mexican personal identifiers: RFC and CURP validation with their check digits, and masking for responses."""
