"""The recording helper refuses metric attributes that would carry PII, free text or unbounded values."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.platform import metrics
from shared.platform.metrics import MetricAttributeRefused

from .test_pii_adversarial import curps, emails, phones, rfcs


@pytest.mark.parametrize(
    ("metric", "attributes"),
    [
        (metrics.payments_processed_total, {"channel": "GALM800101AB1"}),  # an RFC
        (metrics.payments_processed_total, {"channel": "maria+pagos@example.com"}),
        (metrics.http_requests_total, {"route": "pago de la señora García"}),  # free text
        (metrics.http_requests_total, {"route": "x" * 200}),  # unbounded
        (metrics.http_requests_total, {"customer": "123"}),  # a key the metric does not declare
        (metrics.queue_jobs_completed_total, {"queue": {"nested": 1}}),  # not a token
        (metrics.queue_messages_waiting, {"queue": "4421234567"}),  # a phone
    ],
)
def test_refused(metric: metrics.Metric, attributes: dict[str, object]) -> None:
    with pytest.raises(MetricAttributeRefused) as info:
        if metric.spec.kind == "gauge":
            metric.set(1, attributes)
        else:
            metric.add(1, attributes)
    for value in attributes.values():
        if isinstance(value, str) and len(value) > 3:
            assert value not in str(info.value)  # the error names the key, never the value


@given(st.one_of(rfcs(), curps(), emails(), phones().map(lambda p: p[0])))
@settings(deadline=None)
def test_any_pii_shape_is_refused(value: str) -> None:
    with pytest.raises(MetricAttributeRefused):
        metrics.check_attributes(metrics.payments_processed_total.spec, {"channel": value})


def test_bounded_tokens_are_accepted() -> None:
    ok = {"method": "GET", "route": "/api/v1/accounts/{account_id}", "status": "200"}
    assert metrics.check_attributes(metrics.http_requests_total.spec, ok) == ok


def test_every_metric_is_in_the_catalog_once() -> None:
    instruments = [v for v in vars(metrics).values() if isinstance(v, metrics.Metric)]
    assert {m.name for m in instruments} == set(metrics.CATALOG)
