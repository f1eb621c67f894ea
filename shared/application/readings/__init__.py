"""Meter reads: batch ingestion with per-row errors and VEE validation (`ingest`), and the same VEE for a single
read (`vee`)."""

from shared.application.readings import ingest, vee
from shared.application.readings.ingest import MAX_BATCH, BatchTooLarge, IngestReport, ingest_batch, ingest_reads

__all__ = ["MAX_BATCH", "BatchTooLarge", "IngestReport", "ingest", "ingest_batch", "ingest_reads", "vee"]
