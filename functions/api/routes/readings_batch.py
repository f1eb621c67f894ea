"""Batch read ingestion for handheld and AMR systems: per-row results, valid rows stored in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import AfterValidator, BaseModel, Field

from functions.api.deps import Caller
from functions.api.schemas import PROBLEM_RESPONSES, refuse_unstorable_text
from shared.application import readings

router = APIRouter(prefix="/api/v1/readings", tags=["readings"], responses=PROBLEM_RESPONSES)


class BatchIn(BaseModel):
    reads: Annotated[
        list[dict[str, Any]],
        Field(
            min_length=1,
            max_length=readings.MAX_BATCH,
            description=(
                "Filas {meter_serial, read_at, value, source: handheld|amr|self|operator, source_id, photo_base64?}; "
                "cada fila se valida por separado"
            ),
        ),
        AfterValidator(refuse_unstorable_text),
    ]


class RowOut(BaseModel):
    row: int
    status: Literal["accepted", "exception", "duplicate", "rejected"]
    errors: list[str]
    exception_codes: list[str]


class BatchOut(BaseModel):
    received: int
    accepted: int
    exceptions: int
    duplicates: int
    rejected: int
    rows: list[RowOut] = Field(description="Rows that were not simply accepted, with their reasons")


@router.post("/batch", response_model=BatchOut, summary="Ingest a batch of meter reads (per-row report)")
def ingest_batch(p: Caller, body: BatchIn) -> dict[str, Any]:
    return readings.ingest_batch(principal=p, rows=body.reads, now=datetime.now(UTC)).as_dict()
