"""Text rules SAT applies to CFDI values: XPath `normalize-space`, as the cadena original and validation use it."""

from __future__ import annotations

import re

_XML_SPACE_RE = re.compile("[ \t\n\r]+")


def normalize_space(value: str) -> str:
    """XPath 1.0 normalize-space(): leading/trailing XML whitespace removed, inner runs of space, tab, CR, LF
    collapsed to one space (other Unicode spaces such as U+00A0 are kept). Most values need nothing: a few substring
    tests (C speed) say so before the regular expression runs (a cadena has ~50 fields and a billing run hundreds of
    thousands of cadenas)."""
    if "\t" in value or "\n" in value or "\r" in value or "  " in value or value[:1] == " " or value[-1:] == " ":
        return _XML_SPACE_RE.sub(" ", value).strip(" ")
    return value
