"""Every setting the application reads (fields of shared.platform.config.Settings, parsed with ast) is defined by both
Bicep and Terraform, and neither sets an app setting that Flex Consumption rejects."""

from __future__ import annotations

from typing import Any

import pytest

from tests.iac import _iac

# Settings fields the IaC deliberately does not set on the function app. Keep each reason; a new field in Settings
# that is not defined by both trees and not listed here fails test_every_setting_is_defined.
NOT_APP_SETTINGS = {
    # Owner-role connection used only by the deploy pipeline's migration step (deploy.yml), never by the running app.
    "MIGRATIONS_DATABASE_URL",
    # Replaced by the identity-based AzureWebJobsStorage__accountName/__credential settings (no connection string).
    "AzureWebJobsStorage",
    # The app uses its system-assigned identity: AZURE_CLIENT_ID must stay unset (it selects a user-assigned identity).
    "AZURE_CLIENT_ID",
    # Local only (make serve): the Prometheus exporter is a dev dependency; Azure exports to Application Insights.
    "METRICS_PROMETHEUS_PORT",
    # Local only (make demo): logs to a file instead of stderr; in Azure they go to stderr and Application Insights.
    "LOG_FILE",
    "LOG_TO_CONSOLE",
}

# Flex Consumption rejects or ignores these (runtime is in functionAppConfig.runtime; NCRONTAB runs in UTC).
FLEX_FORBIDDEN = {
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_EXTENSION_VERSION",
    "WEBSITE_RUN_FROM_PACKAGE",
    "WEBSITE_CONTENTSHARE",
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
    "SCM_DO_BUILD_DURING_DEPLOYMENT",
    "WEBSITE_TIME_ZONE",
    "TZ",
}


def terraform_app_settings() -> dict[str, Any]:
    settings: dict[str, Any] = _iac.tf_locals()["app_settings"]
    assert (
        _iac.attr(_iac.tf_resource("azurerm_function_app_flex_consumption"), "app_settings") == "${local.app_settings}"
    )
    return settings


def bicep_app_settings() -> dict[str, Any]:
    site = _iac.bicep("modules/function.bicep")["resources"]["site"]
    assert site["config"]["properties"]["siteConfig"]["appSettings"] == "appSettings"
    entries = _iac.bicep_var("modules/function.bicep", "appSettings")
    names = [e["name"] for e in entries]
    assert len(names) == len(set(names)), "duplicate app setting in function.bicep"
    return {e["name"]: e["value"] for e in entries}


@pytest.mark.parametrize("tree", ["terraform", "bicep"])
def test_every_setting_is_defined(tree: str) -> None:
    defined = terraform_app_settings() if tree == "terraform" else bicep_app_settings()
    required = set(_iac.settings_fields()) - NOT_APP_SETTINGS
    missing = sorted(required - set(defined))
    assert not missing, f"{tree} does not set app settings read by the code: {missing}"


def test_exceptions_are_real_settings_fields() -> None:
    stale = NOT_APP_SETTINGS - set(_iac.settings_fields())
    assert not stale, f"exception list names fields that no longer exist in Settings: {stale}"


@pytest.mark.parametrize("tree", ["terraform", "bicep"])
def test_no_excluded_or_forbidden_setting(tree: str) -> None:
    defined = set(terraform_app_settings() if tree == "terraform" else bicep_app_settings())
    assert not defined & FLEX_FORBIDDEN, f"{tree} sets settings Flex Consumption rejects: {defined & FLEX_FORBIDDEN}"
    assert not defined & NOT_APP_SETTINGS, f"{tree} sets excluded settings: {defined & NOT_APP_SETTINGS}"


@pytest.mark.parametrize("tree", ["terraform", "bicep"])
def test_storage_by_identity_not_key(tree: str) -> None:
    defined = terraform_app_settings() if tree == "terraform" else bicep_app_settings()
    assert defined["AzureWebJobsStorage__credential"] == "managedidentity"
    assert "AzureWebJobsStorage__accountName" in defined
    assert defined["DATABASE_AUTH"] == "entra"
    assert "password" not in str(defined["DATABASE_URL"]).lower()


def test_same_setting_names_in_both_trees() -> None:
    assert set(terraform_app_settings()) == set(bicep_app_settings())


def test_literal_values_agree() -> None:
    """Settings with a literal value (not a reference) have the same value in both trees."""
    tf, bc = terraform_app_settings(), bicep_app_settings()
    for name, value in tf.items():
        if isinstance(value, str) and "${" not in value and not value.startswith("var."):
            assert bc[name] == value, f"{name}: terraform {value!r} != bicep {bc[name]!r}"


def test_settings_contain_no_secret_values() -> None:
    secret_env_names = {name.replace("-", "_").upper() for name in _iac.secret_inventory()}
    for defined in (terraform_app_settings(), bicep_app_settings()):
        assert not secret_env_names & set(defined), "secrets are read from Key Vault with the SDK, never app settings"
        assert not any("@Microsoft.KeyVault" in str(v) for v in defined.values())
