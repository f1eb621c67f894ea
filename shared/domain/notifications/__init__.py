"""Customer notification rules: who may be messaged, on which number, with which text (es-MX)."""
