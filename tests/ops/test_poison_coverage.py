"""Every queue the app consumes has a poison trigger (`<queue>-poison`), and every such queue is declared in both IaC
trees with its poison queue and has a poison alert."""

from __future__ import annotations

import json
import subprocess
import sys

from devtools.monitoring.alerts import ALERTS
from tests.iac import _iac

SCRIPT = """
import json, function_app
out = []
for f in function_app.app.get_functions():
    t = f.get_trigger()
    if t.get_binding_name() == "queueTrigger":
        out.append([f.get_function_name(), t.get_dict_repr()["queueName"]])
print(json.dumps(out))
"""


def test_every_consumed_queue_has_a_poison_trigger_iac_queues_and_an_alert() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True)
    triggers = {queue: name for name, queue in json.loads(done.stdout.strip().splitlines()[-1])}
    settings = {"%QUEUE_DOMAIN_EVENTS%": "domain-events", "%QUEUE_PAYMENTS%": "payments-in"}
    settings["%QUEUE_NOTIFICATIONS%"] = "notifications"
    consumed = [q for q in triggers if not q.endswith("-poison")]
    assert consumed, triggers
    tf_queues = set(_iac.tf_locals()["queues"])
    alert_keys = {a.key for a in ALERTS}
    for queue in consumed:
        assert f"{queue}-poison" in triggers, f"{queue} has no poison trigger"
        name = settings.get(queue, queue)
        assert name in tf_queues, name
        assert f"queue-poison-{name}" in alert_keys and f"queue-backlog-{name}" in alert_keys
