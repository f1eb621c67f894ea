"""`terraform fmt -check -recursive terraform/` (no provider needed)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.iac import _iac


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform binary not installed")
def test_terraform_fmt_check(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cli_config = tmp_path / "terraformrc"
    cli_config.write_text("")
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(cli_config), "CHECKPOINT_DISABLE": "1"}
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-diff", str(_iac.TF_DIR)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"terraform fmt found unformatted files:\n{result.stdout}\n{result.stderr}"
