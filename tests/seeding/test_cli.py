"""`manage.py seed` command: seeds reference data and a synthetic utility, refuses a second seed without --reset."""

from typer.testing import CliRunner

from devtools.commands.seed import seed_app


def test_seed_command_seeds_then_refuses_then_resets(fresh_db):
    runner = CliRunner()
    args = [
        "--accounts",
        "25",
        "--sectors",
        "3",
        "--months",
        "2",
        "--seed",
        "9",
        "--until",
        "2026-11",
        "--database-url",
        fresh_db.owner_url,
    ]
    first = runner.invoke(seed_app, args)
    assert first.exit_code == 0, first.output
    assert "accounts" in first.output and "meter_readings" in first.output
    again = runner.invoke(seed_app, args)
    assert again.exit_code == 1
    assert "already has 25 accounts" in again.output and "--reset" in again.output
    reset = runner.invoke(seed_app, [*args, "--reset", "--serial"])
    assert reset.exit_code == 0, reset.output
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT count(*) FROM accounts").fetchone() == (25,)


def test_reference_only_and_bad_options(fresh_db):
    runner = CliRunner()
    only = runner.invoke(seed_app, ["--accounts", "0", "--database-url", fresh_db.owner_url])
    assert only.exit_code == 0 and "tenant inserted" in only.output
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT count(*) FROM accounts").fetchone() == (0,)
    bad = runner.invoke(seed_app, ["--until", "2026/11", "--database-url", fresh_db.owner_url])
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output
