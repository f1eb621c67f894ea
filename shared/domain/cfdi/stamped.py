"""How a stamped CFDI relates to the signed one: a PAC returns the signed XML with the TimbreFiscalDigital
inserted (inside cfdi:Complemento), so the stamped document can be stored as the signed bytes plus one insertion
(migration 0015). Pure byte comparison; the data layer stores what this finds."""

from __future__ import annotations


def stamp_insertion(signed: bytes, stamped: bytes) -> tuple[int, bytes] | None:
    """(offset, inserted bytes) when `stamped` is exactly `signed` with one run of bytes inserted, else None."""
    growth = len(stamped) - len(signed)
    if growth <= 0:
        return None
    at = stamped.rfind(b"</cfdi:Comprobante>") - growth  # where a PAC puts the Complemento: tried first
    if at < 0 or stamped[:at] != signed[:at] or stamped[at + growth :] != signed[at:]:
        at = _common_prefix(signed, stamped)
        if stamped[at + growth :] != signed[at:]:
            return None
    return at, stamped[at : at + growth]


def _common_prefix(a: bytes, b: bytes) -> int:
    low, high = 0, min(len(a), len(b))
    while low < high:  # binary search over slice comparisons (memcmp), not a loop over bytes
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low
