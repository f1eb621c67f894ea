"""`manage.py tariff what-if` and `manage.py revenue ...` against the test database (DATABASE_URL is set)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cli.revenue import revenue_app
from cli.tariff import tariff_app
from tests.revenue.test_whatif import billed, in_force_draft  # noqa: F401  (the fixture)


def test_tariff_what_if_writes_json_csv_and_charts(fresh_db, billed, tmp_path):  # noqa: F811
    draft = tmp_path / "draft.json"
    draft.write_text(in_force_draft())
    out = tmp_path / "out"
    args = [
        "what-if",
        "--draft",
        str(draft),
        "--period",
        "2026-10",
        "--months",
        "2",
        "--out",
        str(out),
        "--tenant",
        billed.slug,
        "--chunk-size",
        "100",
    ]
    result = CliRunner().invoke(tariff_app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["totals"]["change"] == "0.00"
    assert sorted(p.suffix for p in out.iterdir()) == [".csv", ".json", ".png", ".png", ".png", ".png"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x"}')
    refused = CliRunner().invoke(tariff_app, [*args[:2], str(bad), *args[3:]])
    assert refused.exit_code == 1 and "invalid_draft_tariff" in refused.output


def test_revenue_macro_reads_refuses_a_bad_file_with_its_rows(fresh_db, billed, tmp_path):  # noqa: F811
    reads = tmp_path / "macro.csv"
    reads.write_text("sector,meter,read_from,read_to,start_read,end_read\nS01,MM-1,2026-10-01,2026-11-01,100,50\n")
    result = CliRunner().invoke(revenue_app, ["macro-reads", "--file", str(reads), "--tenant", billed.slug])
    assert result.exit_code == 1 and "fila 2: [read_goes_backwards]" in result.output
