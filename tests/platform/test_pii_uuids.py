"""UUIDs (CFDI folios fiscales, ids) are never taken for personal data, even when their last group reads as an RFC
(`…-EEA123456789`, seen masked in the stamping logs), while personal data around them is still masked."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from shared.platform.pii import mask_text


@given(st.uuids(), st.booleans())
def test_uuids_survive_masking_whole(value: uuid.UUID, upper: bool) -> None:
    text = str(value).upper() if upper else str(value)
    assert mask_text(f"pac stamped uuid={text}") == f"pac stamped uuid={text}"


def test_a_uuid_whose_last_group_looks_like_an_rfc_is_kept_and_pii_beside_it_masked() -> None:
    line = "uuid AA10167B-7F5D-481F-AD4D-EEA123456789 rfc GODE561231GR8 tel 442 123 4567"
    masked = mask_text(line)
    assert "AA10167B-7F5D-481F-AD4D-EEA123456789" in masked
    assert "GODE561231GR8" not in masked and "442 123 4567" not in masked
