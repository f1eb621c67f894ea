"""The deployment zip holds only what runs in Azure: no benchmarks, seeding, fakes, local runner, dev stack, CLI or
tests, and requirements.txt carries no dev-only dependency. The zip is built for real and the app imported from it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from scripts.package_zip import REPO, build, deployment_files

TOOLING = re.compile(r"(^|/)(devtools|cli|tests|fakes|local_runner|devstack|seeding)(/|$)|bench|seed_sql|bulk\.py$")
DEV_ONLY = {"typer", "uvicorn", "numpy", "pytest", "hypothesis", "locust", "schemathesis", "ruff", "mypy"}


def test_zip_file_list_has_the_app_and_no_tooling():
    files = list(deployment_files())
    assert {"function_app.py", "host.json", "requirements.txt"} <= set(files)
    assert any(f.startswith("functions/") for f in files) and any(f.startswith("shared/") for f in files)
    assert any(f.startswith("shared/data/migrations/") and f.endswith(".sql") for f in files)
    tooling = [f for f in files if TOOLING.search(f)]
    assert tooling == []
    assert not any("__pycache__" in f or f.endswith(".pyc") for f in files)


def test_requirements_txt_has_runtime_dependencies_only():
    names = {
        re.split(r"[=<>\[ ;]", line.strip(), maxsplit=1)[0].lower()
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "-"))
    }
    assert "azure-functions" in names and "anthropic" in names
    assert names & DEV_ONLY == set()


def test_the_function_app_imports_from_the_zip_alone(tmp_path: Path):
    """Unzipped beside nothing else from the repository, `function_app` indexes its functions: the product needs none
    of the tooling (dev-only packages are still installed in this venv; import-linter forbids importing them)."""
    out = tmp_path / "app.zip"
    assert build(out=out) > 50
    root = tmp_path / "wwwroot"
    with zipfile.ZipFile(out) as zf:
        zf.extractall(root)
    assert not (root / "devtools").exists() and not (root / "cli").exists()
    code = (
        f"import sys; sys.path = [p for p in sys.path if p.rstrip('/') != {str(REPO)!r}]; import function_app; "
        "print('app imported', flush=True); import devtools"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    # function_app imported (every blueprint with it), and the tooling is really absent from this path
    assert "app imported" in done.stdout, done.stderr[-3000:]
    assert "No module named 'devtools'" in done.stderr
