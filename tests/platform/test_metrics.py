"""Metrics are recorded under the seed plan's names (read back through an in-memory OpenTelemetry reader)."""

import pytest
from fastapi.testclient import TestClient
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from functions.api.app import create_app

_reader = InMemoryMetricReader()


@pytest.fixture(scope="module")
def reader():
    metrics.set_meter_provider(MeterProvider(metric_readers=[_reader]))
    return _reader


def _points(reader, name):
    data = reader.get_metrics_data()
    found = []
    for rm in data.resource_metrics if data else []:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                if metric.name == name:
                    found.extend(metric.data.data_points)
    return found


def test_http_requests_are_counted_by_route_and_status(reader):
    with TestClient(create_app()) as client:
        client.get("/api/health")
        client.get("/api/health")
        client.get("/api/nope")
    counts = {(p.attributes["route"], p.attributes["status"]): p.value for p in _points(reader, "http_requests_total")}
    assert counts[("/api/health", "200")] >= 2
    assert counts[("unmatched", "404")] >= 1
    assert _points(reader, "http_request_duration_seconds")
