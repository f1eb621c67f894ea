"""`make serve` provisions what `make demo` does for CFDI: a test CSD for the reference tenant's RFC and the PAC
simulator, unless a CSD is configured, so payment.applied finds a signer (issue 13 item 1)."""

from __future__ import annotations

from contextlib import ExitStack

import httpx
import pytest

from devtools.commands import devcommands
from devtools.seeding.reference import TENANT
from shared.adapters.csd import load_signer_from_secrets


def test_serve_gets_a_test_csd_for_the_tenant_and_the_pac_simulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CSD_CERTIFICATE", raising=False)
    monkeypatch.setattr(devcommands, "local_settings", dict)
    with ExitStack() as scope:
        env = devcommands._local_cfdi_env(scope)
        signer = load_signer_from_secrets(get_secret=lambda name: env[name.replace("-", "_").upper()])
        assert signer.rfc == TENANT["rfc"]
        assert env["PAC_PROVIDER"] == "simulator"
        assert httpx.get(env["PAC_URL"], timeout=10).status_code < 500  # the simulator answers


def test_a_configured_csd_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSD_CERTIFICATE", "configured")
    with ExitStack() as scope:
        assert devcommands._local_cfdi_env(scope) == {}
