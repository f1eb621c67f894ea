"""GitHub workflows are valid YAML with the expected jobs, triggers, ordering and no stored Azure credentials."""

from __future__ import annotations

from typing import Any

import yaml

from tests.iac import _iac

WORKFLOWS = _iac.REPO / ".github" / "workflows"


def _load(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    # PyYAML reads the bare key `on` as boolean True (YAML 1.1).
    if True in doc:
        doc["on"] = doc.pop(True)
    assert isinstance(doc, dict)
    return doc


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job.get("steps", []))


def test_ci_jobs() -> None:
    ci = _load("ci.yml")
    assert {"pull_request", "workflow_call"} <= set(ci["on"])
    jobs = ci["jobs"]
    assert {"lint", "test", "audit", "iac", "package"} <= set(jobs)
    assert (
        "ruff check" in _runs(jobs["lint"]) and "mypy" in _runs(jobs["lint"]) and "lint-imports" in _runs(jobs["lint"])
    )
    assert "make test" in _runs(jobs["test"])
    setup = {s.get("uses", "").split("@")[0]: s.get("with", {}) for s in jobs["test"]["steps"]}
    assert (
        setup["actions/setup-node"]["node-version"] == "${{ env.NODE_VERSION }}" and ci["env"]["NODE_VERSION"] == "20"
    )
    assert ci["env"]["PYTHON_VERSION"] == "3.11"
    assert "pip-audit" in _runs(jobs["audit"])
    assert "pytest tests/iac" in _runs(jobs["iac"])
    package = _runs(jobs["package"])
    assert "scripts/package_zip.py --out" in package  # the file list tests/platform/test_package.py checks
    assert set(jobs["package"]["needs"]) == {"lint", "test", "audit", "iac"}


def test_deploy_triggers_and_order() -> None:
    deploy = _load("deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["develop", "main"]
    assert deploy["on"]["push"]["tags"] == ["v*"]
    assert deploy["permissions"]["id-token"] == "write", "OIDC login"
    jobs = deploy["jobs"]
    assert jobs["ci"]["uses"] == "./.github/workflows/ci.yml"
    target = _runs(jobs["target"])
    assert 'refs/heads/develop) echo "environment=dev"' in target
    assert 'refs/heads/main)    echo "environment=staging"' in target
    assert 'refs/tags/v*)       echo "environment=production"' in target
    # migrations before code, smoke test after
    assert "migrate" in jobs["deploy"]["needs"] and "deploy" in jobs["smoke"]["needs"]
    assert "python manage.py migrate" in _runs(jobs["migrate"])
    assert "MIGRATIONS_DATABASE_URL" in _runs(jobs["migrate"])
    assert "config-zip" in _runs(jobs["deploy"])
    assert "/api/health/ready" in _runs(jobs["smoke"])
    for name in ("migrate", "deploy", "smoke"):
        assert jobs[name]["environment"] == "${{ needs.target.outputs.environment }}", "approval gates apply"


def test_no_stored_azure_credentials() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text()
        assert "AZURE_CREDENTIALS" not in text and "client-secret" not in text, path.name
        assert "publish-profile" not in text, path.name


# Workflow commands `make test` cannot run on a machine without the internet, each with why; everything else the
# workflow runs must be run by `make test` too.
NEEDS_NETWORK = {
    "pip-audit -r requirements.txt --strict": "reads the PyPI advisory database",
    "terraform init -backend=false -input=false": "downloads the azurerm provider",
    "terraform validate": "needs the providers terraform init downloads",
    "az bicep install": "downloads the bicep CLI",
    "az bicep build --file bicep/main.bicep --stdout > /dev/null": "needs the bicep CLI",
}
SETUP = (
    "pip install",
    "npm ci",
    "sudo apt-get",
    "make test",
    "mkdir",
    "zip",
    "unzip",
    "python3 scripts/package_zip.py",
)


def _commands(job: dict[str, Any]) -> list[str]:
    found = []
    for line in _runs(job).splitlines():
        for part in line.split("&&"):
            command = part.strip()
            if command and not command.startswith(SETUP) and command not in NEEDS_NETWORK:
                found.append(command)
    return found


def test_make_test_runs_every_check_the_workflow_runs() -> None:
    import subprocess

    dry = subprocess.run(
        ["make", "-n", "-B", "lint", "typecheck", "test"],
        cwd=_iac.REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    made = {
        line.strip().replace(".venv/bin/python -m ", "python -m ").replace(".venv/bin/", "")
        for line in dry.splitlines()
    }
    jobs = _load("ci.yml")["jobs"]
    for name, job in jobs.items():
        for command in _commands(job):
            if command.startswith("python -m pytest "):  # a subset of the whole suite make test runs
                assert "python -m pytest" in made, (name, command)
                continue
            assert command in made, f"ci.yml job {name!r} runs {command!r}, which make test does not"


def test_rollout_keeps_packages_backs_up_watches_and_reverts() -> None:
    deploy = _load("deploy.yml")
    dispatch = deploy["on"]["workflow_dispatch"]["inputs"]
    assert dispatch["environment"]["options"] == ["dev", "staging", "production"]
    assert dispatch["version"]["required"] is True, "redeploy a chosen version to a chosen environment"
    jobs = deploy["jobs"]
    migrate = _runs(jobs["migrate"])
    backup = migrate.index("az postgres flexible-server backup create")
    assert backup < migrate.index("python manage.py migrate"), "the pre-migration backup comes first"
    assert "needs.target.outputs.environment == 'production'" in str(jobs["migrate"]["steps"])
    release = _runs(jobs["deploy"])
    assert "releases/${VERSION}.zip" in release and "releases/current.txt" in release, "packages are kept"
    for name in ("migrate", "deploy", "rollback"):  # private database, storage and SCM endpoint
        assert "self-hosted" in jobs[name]["runs-on"], name
    assert "scripts/rollout_watch.py" in _runs(jobs["watch"])
    assert set(jobs["rollback"]["needs"]) >= {"deploy", "smoke", "watch"}
    condition = jobs["rollback"]["if"]
    assert "needs.watch.result == 'failure'" in condition and "needs.smoke.result == 'failure'" in condition
    assert "releases/${PREVIOUS}.zip" in _runs(jobs["rollback"])
    assert (_iac.REPO / "scripts" / "rollout_watch.py").exists()


def test_restore_drill_and_monthly_export_are_scheduled() -> None:
    drill = _load("restore-drill.yml")
    assert drill["on"]["schedule"] and "workflow_dispatch" in drill["on"]
    assert "scripts/restore_drill.sh" in _runs(drill["jobs"]["drill"])
    script = (_iac.REPO / "scripts" / "restore_drill.sh").read_text()
    for step in ("flexible-server restore", "manage.py invariants check", "rto_seconds", "flexible-server delete"):
        assert step in script, step
    assert "db-exports" in _runs(drill["jobs"]["monthly-export"]) and "pg_dump -Fc" in _runs(
        drill["jobs"]["monthly-export"]
    )
