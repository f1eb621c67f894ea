"""Planted revenue-loss cases in a seeded synthetic utility (issue 17), so the inspection ranking can be measured:
known frauds and meter faults are written into the accounts' register reads, and the ranking's precision@k and
recall of the planted cases are reported.

Kinds (each a change to the reads from a month near the end of the window, never at the first reads):
  bypass     fraud: a bypass before the meter; from month k the register records 10 % of the consumption
  reversed   fraud: the register turned back; from month k every read is lowered so read k is 25 m³ below k−1
  stopped    fault: the meter stopped; from month k the register no longer moves
  slow       fault: a worn meter; from month k it records 35 % of the consumption

Only steady, metered accounts are chosen (no rollover in the window, ≥ 8 m³/month on average), deterministic for a
seed. Opt-in: `manage.py seed ... --plant N` or `plant_cases(...)`; the planted list goes to a JSON file.
"""

from __future__ import annotations

import itertools
import json
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

KINDS = ("bypass", "reversed", "stopped", "slow")
FRAUDS = frozenset({"bypass", "reversed"})
_RATIO = {"bypass": Decimal("0.10"), "slow": Decimal("0.35"), "stopped": Decimal(0)}
MONTHS_BEFORE_END = (3, 4, 5)


@dataclass(frozen=True)
class PlantedCase:
    account_id: int
    kind: str
    from_read: int
    """Index (0-based, in time order) of the first read changed."""

    @property
    def fraud(self) -> bool:
        return self.kind in FRAUDS


def _steady_accounts(conn: psycopg.Connection[Any], tenant_id: str) -> dict[int, list[tuple[int, Any, Decimal]]]:
    rows = conn.execute(
        """SELECT r.account_id, r.id, r.read_at, r.value FROM meter_readings r
           JOIN meters m ON m.id = r.meter_id
           WHERE r.tenant_id = %s AND r.account_id IN (
               SELECT account_id FROM meter_readings WHERE tenant_id = %s GROUP BY account_id
               HAVING count(*) >= 8 AND max(value) - min(value) >= 8 * (count(*) - 1))
           ORDER BY r.account_id, r.read_at, r.id""",
        (tenant_id, tenant_id),
    ).fetchall()
    reads: dict[int, list[tuple[int, Any, Decimal]]] = defaultdict(list)
    for account_id, read_id, read_at, value in rows:
        reads[int(account_id)].append((int(read_id), read_at, Decimal(value)))
    return {a: r for a, r in reads.items() if all(b[2] >= p[2] for p, b in itertools.pairwise(r)) and r[0][2] >= 100}


def _changed(kind: str, reads: list[tuple[int, Any, Decimal]], k: int) -> list[tuple[int, Any, Decimal]]:
    base = reads[k - 1][2]
    if kind == "reversed":
        drop = reads[k][2] - base + 25
        return [(i, at, v - drop) for i, at, v in reads[k:]]
    ratio = _RATIO[kind]
    return [(i, at, (base + (v - base) * ratio).quantize(Decimal("0.001"))) for i, at, v in reads[k:]]


def plant_cases(
    owner_url: str, *, tenant_id: str, count: int, seed: int, kinds: Sequence[str] = KINDS
) -> list[PlantedCase]:
    """Plant `count` cases (kinds in turn) in one transaction; returns them (sorted by account)."""
    with psycopg.connect(owner_url) as conn:
        steady = _steady_accounts(conn, tenant_id)
        if len(steady) < count:
            raise ValueError(f"only {len(steady)} steady accounts to plant {count} cases in")
        rng = random.Random(seed)  # noqa: S311  (reproducible synthetic data, not secrets)
        chosen = rng.sample(sorted(steady), count)
        planted: list[PlantedCase] = []
        updates: list[tuple[int, Any, Decimal]] = []
        for n, account_id in enumerate(chosen):
            kind = kinds[n % len(kinds)]
            reads = steady[account_id]
            k = len(reads) - rng.choice(MONTHS_BEFORE_END)
            planted.append(PlantedCase(account_id, kind, k))
            updates.extend(_changed(kind, reads, k))
        conn.execute("CREATE TEMP TABLE tmp_planted (id bigint, read_at timestamptz, value numeric) ON COMMIT DROP")
        with conn.cursor().copy("COPY tmp_planted FROM STDIN") as copy:
            for row in updates:
                copy.write_row(row)
        conn.execute(
            """UPDATE meter_readings r SET value = t.value FROM tmp_planted t
               WHERE r.id = t.id AND r.read_at = t.read_at"""
        )
    return sorted(planted, key=lambda c: c.account_id)


def write_planted(path: Path, cases: Sequence[PlantedCase]) -> None:
    path.write_text(json.dumps([asdict(c) for c in cases], indent=1), encoding="utf-8")


def read_planted(path: Path) -> list[PlantedCase]:
    return [PlantedCase(**c) for c in json.loads(path.read_text(encoding="utf-8"))]


@dataclass(frozen=True)
class RankingQuality:
    planted: int
    candidates: int
    k: int
    precision_at_k: float
    recall_at_k: float
    recall: float
    """Share of the planted cases anywhere in the candidate list."""
    missed_by_kind: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def ranking_quality(*, planted: Sequence[PlantedCase], ranked: Sequence[int], k: int | None = None) -> RankingQuality:
    """precision@k (k = number planted unless given) and recall of the planted cases in a ranked account list."""
    wanted = {c.account_id for c in planted}
    k = k or len(wanted)
    top = ranked[:k]
    hits = sum(1 for a in top if a in wanted)
    found = set(ranked)
    missed: dict[str, int] = defaultdict(int)
    for c in planted:
        if c.account_id not in found:
            missed[c.kind] += 1
    return RankingQuality(
        planted=len(wanted),
        candidates=len(ranked),
        k=k,
        precision_at_k=hits / k if k else 0.0,
        recall_at_k=hits / len(wanted) if wanted else 0.0,
        recall=len(wanted & found) / len(wanted) if wanted else 0.0,
        missed_by_kind=dict(missed),
    )
