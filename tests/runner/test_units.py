"""Pure pieces of the runner: route templates, NCRONTAB, host.json settings, the function index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from devtools.local_runner.http import InvalidRoute, compile_route
from devtools.local_runner.index import FunctionIndex, UnknownFunction
from devtools.local_runner.ncrontab import InvalidSchedule, Schedule
from devtools.local_runner.settings import (
    HostConfig,
    InvalidTimeSpan,
    MissingSetting,
    parse_timespan,
    resolve_setting_refs,
)
from tests.runner.apps import sample_app


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("hello/{name?}", "/hello", {}),
        ("hello/{name?}", "/hello/ana", {"name": "ana"}),
        ("items/{id:int}", "/items/42", {"id": "42"}),
        ("items/{id:int}", "/items/abc", None),
        ("files/{*rest}", "/files/a/b/c.xml", {"rest": "a/b/c.xml"}),
        ("files/{*rest}", "/files", {}),
        (
            "Accounts/{account}/invoices/{period?}",
            "/accounts/7/invoices/2025-01",
            {"account": "7", "period": "2025-01"},
        ),
        ("accounts/{account}", "/accounts/7/extra", None),
    ],
)
def test_route_templates(template: str, path: str, expected: dict[str, str] | None) -> None:
    pattern, _ = compile_route(template)
    match = pattern.match(path)
    assert (None if match is None else {k: v for k, v in match.groupdict().items() if v is not None}) == expected


def test_literal_routes_are_more_specific_than_parameters() -> None:
    assert compile_route("accounts/export")[1] > compile_route("accounts/{id}")[1] > compile_route("{*any}")[1]
    with pytest.raises(InvalidRoute):
        compile_route("files/{name}.xml")


def test_ncrontab_six_fields_seconds_first() -> None:
    billing = Schedule.parse("0 0 8 1 * *")  # 02:00 Mexico City on the 1st = 08:00 UTC
    after = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
    assert billing.next_after(after) == datetime(2025, 2, 1, 8, 0, tzinfo=UTC)
    every_ten = Schedule.parse("*/10 * * * * *")
    assert every_ten.next_after(datetime(2025, 1, 1, 0, 0, 5, tzinfo=UTC)) == datetime(2025, 1, 1, 0, 0, 10, tzinfo=UTC)
    assert every_ten.next_after(datetime(2025, 1, 1, 0, 0, 50, tzinfo=UTC)) == datetime(2025, 1, 1, 0, 1, 0, tzinfo=UTC)


def test_ncrontab_names_ranges_and_weekdays() -> None:
    weekdays = Schedule.parse("0 30 9 * * MON-FRI")
    saturday = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)  # a Saturday
    assert weekdays.next_after(saturday) == datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
    sunday = Schedule.parse("0 0 0 * JAN 7")
    first = sunday.next_after(datetime(2025, 2, 1, tzinfo=UTC))
    assert (first.month, first.weekday()) == (1, 6) and first.year == 2026
    assert Schedule.parse("0 12 * * *").seconds == frozenset({0})  # five fields: seconds = 0


def test_ncrontab_occurrences_match_and_increase() -> None:
    schedule = Schedule.parse("15 */7 1-5 * * *")
    moment = datetime(2025, 6, 1, tzinfo=UTC)
    for _ in range(50):
        nxt = schedule.next_after(moment)
        assert nxt > moment and schedule.matches(nxt)
        assert not any(
            schedule.matches(moment + timedelta(seconds=s)) for s in range(1, int((nxt - moment).total_seconds()))
        )
        moment = nxt


@pytest.mark.parametrize("bad", ["", "* * * *", "61 * * * * *", "* * 24 * * *", "*/0 * * * * *", "a b c d e f"])
def test_ncrontab_rejects_invalid(bad: str) -> None:
    with pytest.raises(InvalidSchedule):
        Schedule.parse(bad)


def test_timespans_and_setting_references() -> None:
    assert parse_timespan("00:00:30") == timedelta(seconds=30)
    assert parse_timespan("1.02:03:04.5") == timedelta(days=1, hours=2, minutes=3, seconds=4.5)
    with pytest.raises(InvalidTimeSpan):
        parse_timespan("30s")
    assert resolve_setting_refs("%A%-%B%", {"A": "x", "B": "y"}) == "x-y"
    with pytest.raises(MissingSetting):
        resolve_setting_refs("%NOPE%", {})


def test_host_json_options() -> None:
    config = HostConfig.from_dict(
        {
            "extensions": {
                "queues": {"maxDequeueCount": 2, "visibilityTimeout": "00:00:05", "messageEncoding": "None"},
                "durableTask": {"hubName": "%HUB%"},
                "http": {"routePrefix": ""},
            }
        },
        {"HUB": "hub1"},
    )
    assert (config.queues.max_dequeue_count, config.queues.visibility_timeout) == (2, timedelta(seconds=5))
    assert (config.queues.message_encoding, config.queues.batch_size) == ("none", 16)
    assert (config.durable.hub_name, config.route_prefix) == ("hub1", "")


def test_index_is_built_once_and_classifies_triggers() -> None:
    index = FunctionIndex.of(sample_app.app)
    assert FunctionIndex.of(sample_app.app) is index  # get_functions() may only be called once per app
    assert {f.name for f in index.queues} == {"process_payment", "split_message"}
    assert [f.name for f in index.timers] == ["nightly_timer"]
    assert index.get("start_orchestration").durable_client_arg == "client"
    assert index.get("nightly_timer").durable_client_arg == "client"
    assert [o.settings["queueName"] for o in index.get("process_payment").outputs] == ["notifications"]
    assert index.get("billing_run", "orchestrationTrigger").trigger_arg == "context"
    assert index.get("bill_chunk", "activityTrigger").trigger_arg == "chunk"
    with pytest.raises(UnknownFunction):
        index.get("bill_chunk", "orchestrationTrigger")
