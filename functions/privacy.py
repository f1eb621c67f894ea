"""Privacy timer: erases the personal data of blocked persons (ARCO cancellation) whose fiscal retention ended."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func

from shared.application.privacy.erasure import erase_due
from shared.domain.timezone import UTILITY_TZ

bp = df.Blueprint()
log = logging.getLogger(__name__)


@bp.timer_trigger(arg_name="timer", schedule="0 15 9 * * *", run_on_startup=False, use_monitor=True)
def privacy_erasure(timer: func.TimerRequest) -> None:
    now = datetime.now(UTC)
    erased = erase_due(today=now.astimezone(UTILITY_TZ).date(), now=now)
    log.info("privacy erasure run", extra={"persons_erased": erased, "past_due": timer.past_due})
