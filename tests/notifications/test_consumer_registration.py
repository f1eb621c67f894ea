"""Consumers are registered explicitly: importing the modules that define them installs nothing; function_app.py
installs the app's table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import functions.cfdi, functions.outbox, shared.application.consumers
from shared.application import outbox
assert outbox.registered_consumers() == (), outbox.registered_consumers()
import function_app
from shared.application.consumers import CONSUMERS
assert outbox.registered_consumers() == CONSUMERS
print(sorted({(c.event_type, c.name) for c in CONSUMERS}))
"""


def test_importing_registers_nothing_and_function_app_installs_the_table():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(
        sorted(
            {
                ("*", "event-log"),
                ("adjustment.credited", "cfdi-egreso"),
                ("invoice.issued", "notifications-whatsapp"),
                ("payment.applied", "cfdi-pagos"),
                ("payment.applied", "notifications-whatsapp"),
                ("revenue.back_billed", "cfdi-backbill"),
                ("arco.answer_ready", "notifications-whatsapp"),
                ("dunning.reconnection_ordered", "notifications-whatsapp"),
                ("dunning.restriction_ordered", "notifications-whatsapp"),
                ("dunning.suspension_ordered", "notifications-whatsapp"),
                ("payment_plan.broken", "notifications-whatsapp"),
                ("work_order.status_changed", "notifications-whatsapp"),
            }
        )
    )
