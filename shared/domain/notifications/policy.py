"""When a notice may go out: quiet hours in Querétaro time, the tenant's per-minute rate limit, and the WhatsApp
24-hour customer-service window (free text inside it, approved templates outside)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from shared.domain.timezone import UTILITY_TZ

__all__ = ["NoticePolicy", "in_service_window", "minute_of", "policy_from_config", "quiet_until", "split_by_rate"]

SERVICE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class NoticePolicy:
    quiet_start: time = time(21, 0)  # no sends from 21:00 ...
    quiet_end: time = time(8, 0)  # ... to 08:00 Querétaro time
    rate_per_minute: int = 1200  # per tenant
    reminder_days_before: int = 3  # due-date and installment reminders, days before the due date


def policy_from_config(config: dict[str, Any] | None) -> NoticePolicy:
    """The tenant's `notifications` config ({"rate_per_minute", "reminder_days_before", "quiet_start",
    "quiet_end": "HH:MM"}); raises ValueError on a bad value."""
    c = config or {}
    base = NoticePolicy()
    policy = NoticePolicy(
        quiet_start=time.fromisoformat(c["quiet_start"]) if "quiet_start" in c else base.quiet_start,
        quiet_end=time.fromisoformat(c["quiet_end"]) if "quiet_end" in c else base.quiet_end,
        rate_per_minute=int(c.get("rate_per_minute", base.rate_per_minute)),
        reminder_days_before=int(c.get("reminder_days_before", base.reminder_days_before)),
    )
    if policy.rate_per_minute < 1 or not 0 <= policy.reminder_days_before <= 30:
        raise ValueError("notifications: rate_per_minute must be >= 1 and reminder_days_before 0..30")
    return policy


def quiet_until(*, now: datetime, policy: NoticePolicy) -> datetime | None:
    """None when a notice may go out at `now`; else the (aware) moment quiet hours end."""
    local = now.astimezone(UTILITY_TZ)
    t = local.time()
    start, end = policy.quiet_start, policy.quiet_end
    quiet = (t >= start or t < end) if start > end else (start <= t < end)
    if not quiet:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=UTILITY_TZ)


def minute_of(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def split_by_rate(*, wanted: int, already_sent: int, limit: int) -> int:
    """How many of `wanted` sends fit in this minute when `already_sent` were counted before."""
    return max(0, min(wanted, limit - already_sent))


def in_service_window(*, last_inbound_at: datetime | None, now: datetime) -> bool:
    return last_inbound_at is not None and now - last_inbound_at < SERVICE_WINDOW
