"""Inspection candidates: explainable signals on an account's monthly consumption (from its register reads), each
with its evidence and weight; the score is their sum (× `SECTOR_RISE_FACTOR` in a sector whose losses rose).

Signals (thresholds per tenant, `Thresholds`):
  sudden_drop     the last `drop_months` measured months' average below `drop_ratio` of the median of the 6 months
                  before (a baseline of ≥ 5 m³/month)
  zero_streak     ≥ `zero_streak_months` trailing months at 0 m³ on a toma that consumed before (occupied)
  reversed_meter  a read below the previous one that is not a register rollover
  low_vs_peers    recent average below `low_vs_peers_ratio` of the median of the same sector, class and household
                  size (at least `min_peer_count` peers)
  tamper_report   an open report (fraud case from a report) on the account
  sector_losses   the account's sector NRW % rose by `sector_loss_rise_points` or more (multiplies the others)
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from shared.domain.money import decimal_str
from shared.domain.revenue.settings import Thresholds

SCORE = Decimal("0.001")
MIN_BASELINE_M3 = Decimal(5)
BASELINE_MONTHS = 6
SECTOR_RISE_FACTOR = Decimal("1.2")
WEIGHTS = {
    "sudden_drop": Decimal(3),
    "zero_streak": Decimal(2),
    "reversed_meter": Decimal(4),
    "low_vs_peers": Decimal("1.5"),
    "tamper_report": Decimal(3),
}


@dataclass(frozen=True)
class AccountHistory:
    account_id: int
    sector: str
    tariff_class: str
    household_size: int
    occupied: bool
    monthly_m3: tuple[Decimal | None, ...]
    """One value per month of the window, oldest first; None where no read measured the month."""
    reversals: int = 0
    tamper_reports: int = 0

    @property
    def peer_key(self) -> tuple[str, str, int]:
        return (self.sector, self.tariff_class, self.household_size)


@dataclass(frozen=True)
class Signal:
    code: str
    weight: Decimal
    evidence: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "weight": decimal_str(self.weight), "evidence": self.evidence}


@dataclass(frozen=True)
class Candidate:
    account_id: int
    sector: str
    score: Decimal
    signals: tuple[Signal, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "sector": self.sector,
            "score": decimal_str(self.score),
            "signals": [s.to_dict() for s in self.signals],
        }


def _avg(values: Sequence[Decimal]) -> Decimal:
    return sum(values, Decimal(0)) / len(values)


def _q(value: Decimal) -> Decimal:
    return value.quantize(SCORE, rounding=ROUND_HALF_UP)


def _recent(history: AccountHistory, months: int) -> list[Decimal]:
    """The last `months` measured values within the last `months` + 1 months (one missing read is tolerated)."""
    return [v for v in history.monthly_m3[-(months + 1) :] if v is not None][-months:]


def recent_average(history: AccountHistory, months: int) -> Decimal | None:
    recent = _recent(history, months)
    return _avg(recent) if len(recent) >= max(months - 1, 1) else None


def peer_medians(
    histories: Iterable[AccountHistory], *, months: int, averages: dict[int, Decimal | None] | None = None
) -> dict[tuple[str, str, int], tuple[Decimal, int]]:
    """Median of the recent average per (sector, class, household size), with how many accounts it has
    (`averages`: each account's `recent_average(h, months)` when the caller already has them)."""
    groups: dict[tuple[str, str, int], list[Decimal]] = defaultdict(list)
    for h in histories:
        avg = averages[h.account_id] if averages is not None else recent_average(h, months)
        if avg is not None and h.occupied:
            groups[h.peer_key].append(avg)
    return {k: (Decimal(statistics.median(v)), len(v)) for k, v in groups.items()}


def _sudden_drop(h: AccountHistory, t: Thresholds, now: Decimal | None) -> Signal | None:
    span = t.drop_months + 1
    before = [v for v in h.monthly_m3[-(span + BASELINE_MONTHS) : -span] if v is not None]
    if now is None or len(before) < 3:
        return None
    baseline = Decimal(statistics.median(before))  # the median: a leak's few months do not make a baseline
    if baseline < MIN_BASELINE_M3 or now >= baseline * t.drop_ratio:
        return None
    severity = 1 - now / baseline
    return Signal(
        "sudden_drop",
        _q(WEIGHTS["sudden_drop"] * (Decimal("0.5") + severity)),
        {"recent_avg_m3": decimal_str(_q(now)), "baseline_m3": decimal_str(_q(baseline)), "months": t.drop_months},
    )


def _zero_streak(h: AccountHistory, t: Thresholds) -> Signal | None:
    streak, start = 0, len(h.monthly_m3)
    for i in range(len(h.monthly_m3) - 1, -1, -1):
        v = h.monthly_m3[i]
        if v is None:
            continue  # a missing read neither breaks nor lengthens the streak
        if v != 0:
            break
        streak, start = streak + 1, i
    if streak < t.zero_streak_months or not h.occupied:
        return None
    before = [v for v in h.monthly_m3[:start] if v is not None]
    if not before or _avg(before) < 1:
        return None  # never consumed: a vacant home, not a stopped meter
    extra = Decimal(streak - t.zero_streak_months) / 4
    return Signal(
        "zero_streak",
        _q(WEIGHTS["zero_streak"] + extra),
        {"months_at_zero": streak, "avg_before_m3": decimal_str(_q(_avg(before)))},
    )


def _low_vs_peers(
    h: AccountHistory, t: Thresholds, peers: dict[tuple[str, str, int], tuple[Decimal, int]], avg: Decimal | None
) -> Signal | None:
    found = peers.get(h.peer_key)
    if found is None or avg is None or not h.occupied:
        return None
    median, count = found
    if count < t.min_peer_count or median <= 0 or avg >= median * t.low_vs_peers_ratio or avg == 0:
        return None  # zero is the zero-streak signal's
    return Signal(
        "low_vs_peers",
        WEIGHTS["low_vs_peers"],
        {"recent_avg_m3": decimal_str(_q(avg)), "peer_median_m3": decimal_str(_q(median)), "peers": count},
    )


def score_account(
    history: AccountHistory,
    *,
    thresholds: Thresholds,
    peers: dict[tuple[str, str, int], tuple[Decimal, int]],
    rising_sectors: dict[str, Decimal],
    recent: Decimal | None = None,
    recent_known: bool = False,
) -> Candidate | None:
    """`recent`: the account's `recent_average` over `drop_months`, when the caller computed it (`recent_known`)."""
    if not recent_known:
        recent = recent_average(history, thresholds.drop_months)
    signals = [
        s
        for s in (
            _sudden_drop(history, thresholds, recent),
            _zero_streak(history, thresholds),
            _low_vs_peers(history, thresholds, peers, recent),
        )
        if s is not None
    ]
    if history.reversals:
        signals.append(Signal("reversed_meter", WEIGHTS["reversed_meter"], {"reversed_reads": history.reversals}))
    if history.tamper_reports:
        signals.append(Signal("tamper_report", WEIGHTS["tamper_report"], {"open_reports": history.tamper_reports}))
    if not signals:
        return None
    score = sum((s.weight for s in signals), Decimal(0))
    rise = rising_sectors.get(history.sector)
    if rise is not None:
        signals.append(
            Signal("sector_losses", SECTOR_RISE_FACTOR, {"sector": history.sector, "nrw_pct_rise": decimal_str(rise)})
        )
        score *= SECTOR_RISE_FACTOR
    score = _q(score)
    if score < thresholds.min_score:
        return None
    return Candidate(history.account_id, history.sector, score, tuple(signals))


def rank_candidates(
    *,
    histories: Sequence[AccountHistory],
    thresholds: Thresholds,
    rising_sectors: dict[str, Decimal] | None = None,
) -> list[Candidate]:
    """Every account with a signal and a score ≥ `min_score`, best first (ties by account id)."""
    averages = {h.account_id: recent_average(h, thresholds.drop_months) for h in histories}  # once per account
    peers = peer_medians(histories, months=thresholds.drop_months, averages=averages)
    rising = rising_sectors or {}
    found = [
        c
        for h in histories
        if (
            c := score_account(
                h,
                thresholds=thresholds,
                peers=peers,
                rising_sectors=rising,
                recent=averages[h.account_id],
                recent_known=True,
            )
        )
        is not None
    ]
    found.sort(key=lambda c: (-c.score, c.account_id))
    return found


def rising_sectors(*, changes: Iterable[tuple[str, Decimal | None]], thresholds: Thresholds) -> dict[str, Decimal]:
    """Sectors whose NRW % rose by at least the threshold (points) over the trend window."""
    return {s: c for s, c in changes if c is not None and c >= thresholds.sector_loss_rise_points}
