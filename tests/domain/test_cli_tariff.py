"""`tariff quote` CLI: JSON breakdown on success, exit code 2 with readable reasons otherwise."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli.tariff import tariff_app
from tests.domain.helpers import TARIFF_DIR, schedule_dict

runner = CliRunner()
DOMESTICO = str(TARIFF_DIR / "domestico_2026.json")


def test_quote_prints_the_breakdown_as_json() -> None:
    result = runner.invoke(tariff_app, ["quote", "--tariff", DOMESTICO, "--m3", "25", "--date", "2026-02-01"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["total"] == "260.00" and body["subtotal"] == "260.00" and body["tax_total"] == "0.00"
    assert [b["amount"] for b in body["block_split"]] == ["55.00", "87.50", "72.50"]
    assert body["fixed_charges"][0]["amount"] == "45.00"
    assert body["trace"]["tariff"]["name"] == "Domestico 2026"


def test_quote_in_uma_with_a_value_override() -> None:
    path = str(TARIFF_DIR / "cuautitlan_izcalli_popular_2023.json")
    args = ["quote", "--tariff", path, "--m3", "10", "--date", "2023-06-01", "--uma-value", "108.57"]
    result = runner.invoke(tariff_app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total"] == "117.38"


def test_invalid_file_exits_2_with_each_problem(tmp_path: Path) -> None:
    bad = schedule_dict(
        pricing={
            "method": "incremental_blocks",
            "blocks": [
                {"from_m3": 0, "to_m3": 10, "price_per_m3": "5"},
                {"from_m3": 15, "to_m3": None, "price_per_m3": "8"},
            ],
        },
        tariff_class="hotel",
    )
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    result = runner.invoke(tariff_app, ["quote", "--tariff", str(path), "--m3", "5", "--date", "2026-02-01"])
    assert result.exit_code == 2
    assert "invalid tariff file" in result.stderr
    assert "tariff_class: Input should be 'domestico'" in result.stderr
    assert result.stdout == ""


def test_structural_problem_message(tmp_path: Path) -> None:
    path = tmp_path / "gap.json"
    path.write_text(
        json.dumps(
            schedule_dict(
                pricing={
                    "method": "incremental_blocks",
                    "blocks": [
                        {"from_m3": 0, "to_m3": 10, "price_per_m3": "5"},
                        {"from_m3": 15, "to_m3": None, "price_per_m3": "8"},
                    ],
                }
            )
        )
    )
    result = runner.invoke(tariff_app, ["quote", "--tariff", str(path), "--m3", "5", "--date", "2026-02-01"])
    assert result.exit_code == 2
    assert "gap between blocks[0] (ends at 10 m3) and blocks[1] (starts at 15 m3)" in result.stderr


def test_date_outside_the_schedule_exits_2() -> None:
    result = runner.invoke(tariff_app, ["quote", "--tariff", DOMESTICO, "--m3", "5", "--date", "2025-12-31"])
    assert result.exit_code == 2
    assert "not in force on 2025-12-31" in result.stderr


def test_bad_arguments_exit_2() -> None:
    for extra in (["--m3", "diez"], ["--m3", "-3"], ["--m3", "5", "--date", "31/12/2026"], ["--m3", "NaN"]):
        result = runner.invoke(tariff_app, ["quote", "--tariff", DOMESTICO, "--date", "2026-02-01", *extra])
        assert result.exit_code == 2, extra
        assert result.stderr.startswith("error: "), extra
    missing = runner.invoke(tariff_app, ["quote", "--tariff", "/nonexistent/t.json", "--m3", "5"])
    assert missing.exit_code == 2 and "cannot read tariff file" in missing.stderr


def test_default_date_is_today() -> None:
    result = runner.invoke(tariff_app, ["quote", "--tariff", DOMESTICO, "--m3", "10"])
    assert result.exit_code == 0, result.output  # the 2026 schedule is open-ended, so today is inside it
    assert json.loads(result.stdout)["total"] == "100.00"
