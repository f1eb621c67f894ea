"""Bicep and Terraform describe the same estate: same naming map (and every name used), same resource kinds, same
alert rules, queues, containers, secret inventory, workbook and per-environment values."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.iac import _iac

# ARM resource type -> azurerm resource type. Every pair must exist in both trees.
TYPE_PAIRS = {
    "Microsoft.Resources/resourceGroups": "azurerm_resource_group",
    "Microsoft.Network/virtualNetworks": "azurerm_virtual_network",
    "Microsoft.Network/networkSecurityGroups": "azurerm_network_security_group",
    "Microsoft.Network/privateDnsZones": "azurerm_private_dns_zone",
    "Microsoft.Network/privateDnsZones/virtualNetworkLinks": "azurerm_private_dns_zone_virtual_network_link",
    "Microsoft.Network/privateEndpoints": "azurerm_private_endpoint",
    "Microsoft.Storage/storageAccounts": "azurerm_storage_account",
    "Microsoft.Storage/storageAccounts/queueServices/queues": "azurerm_storage_queue",
    "Microsoft.Storage/storageAccounts/blobServices/containers": "azurerm_storage_container",
    "Microsoft.KeyVault/vaults": "azurerm_key_vault",
    "Microsoft.DBforPostgreSQL/flexibleServers": "azurerm_postgresql_flexible_server",
    "Microsoft.DBforPostgreSQL/flexibleServers/administrators": (
        "azurerm_postgresql_flexible_server_active_directory_administrator"
    ),
    "Microsoft.DBforPostgreSQL/flexibleServers/databases": "azurerm_postgresql_flexible_server_database",
    "Microsoft.DBforPostgreSQL/flexibleServers/configurations": "azurerm_postgresql_flexible_server_configuration",
    "Microsoft.Web/serverfarms": "azurerm_service_plan",
    "Microsoft.Web/sites": "azurerm_function_app_flex_consumption",
    "Microsoft.Authorization/roleAssignments": "azurerm_role_assignment",
    "Microsoft.OperationalInsights/workspaces": "azurerm_log_analytics_workspace",
    "Microsoft.Insights/components": "azurerm_application_insights",
    "Microsoft.Insights/actionGroups": "azurerm_monitor_action_group",
    "Microsoft.Insights/scheduledQueryRules": "azurerm_monitor_scheduled_query_rules_alert_v2",
    "Microsoft.Insights/metricAlerts": "azurerm_monitor_metric_alert",
    "Microsoft.Insights/workbooks": "azurerm_application_insights_workbook",
    "Microsoft.Insights/webtests": "azurerm_application_insights_standard_web_test",
    "Microsoft.Insights/diagnosticSettings": "azurerm_monitor_diagnostic_setting",
    "Microsoft.Consumption/budgets": "azurerm_consumption_budget_resource_group",
    "Microsoft.Cdn/profiles": "azurerm_cdn_frontdoor_profile",
    "Microsoft.Cdn/profiles/afdEndpoints": "azurerm_cdn_frontdoor_endpoint",
    "Microsoft.Cdn/profiles/originGroups": "azurerm_cdn_frontdoor_origin_group",
    "Microsoft.Cdn/profiles/originGroups/origins": "azurerm_cdn_frontdoor_origin",
    "Microsoft.Cdn/profiles/afdEndpoints/routes": "azurerm_cdn_frontdoor_route",
    "Microsoft.Cdn/profiles/securityPolicies": "azurerm_cdn_frontdoor_security_policy",
    "Microsoft.Network/FrontDoorWebApplicationFirewallPolicies": "azurerm_cdn_frontdoor_firewall_policy",
    "Microsoft.Cdn/profiles/customDomains": "azurerm_cdn_frontdoor_custom_domain",
    "Microsoft.Network/dnsZones": "azurerm_dns_zone",
    "Microsoft.Network/dnsZones/CNAME": "azurerm_dns_cname_record",
    "Microsoft.Network/dnsZones/TXT": "azurerm_dns_txt_record",
    "Microsoft.Storage/storageAccounts/managementPolicies": "azurerm_storage_management_policy",
    "Microsoft.Authorization/policyAssignments": "azurerm_resource_group_policy_assignment",
}

# Resources that exist in one tree only because of how the tool models them (documented, not drift).
BICEP_ONLY_TYPES = {
    "Microsoft.Storage/storageAccounts/blobServices",  # azurerm: blob_properties block of the account
    "Microsoft.Storage/storageAccounts/queueServices",  # azurerm: implicit
    "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",  # azurerm: private_dns_zone_group block
    "Microsoft.Web/sites/basicPublishingCredentialsPolicies",  # azurerm: webdeploy_publish_basic_authentication_enabled
}
TERRAFORM_ONLY_TYPES = {
    "azurerm_subnet",  # bicep: subnets array of the VNet
    "azurerm_subnet_network_security_group_association",  # bicep: networkSecurityGroup on the subnet
}


def _normalize_template(value: str) -> str:
    return re.sub(r"\$\{(?:var\.)?(\w+)\}", r"{\1}", value)


def test_naming_maps_are_identical() -> None:
    tf_names = {k: _normalize_template(v) for k, v in _iac.tf_locals()["names"].items()}
    bicep_names = {k: _normalize_template(v) for k, v in _iac.bicep_var("main.bicep", "names").items()}
    assert tf_names == bicep_names
    assert tf_names["function"] == "func-{workload}-{environment}"


def _walk_strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in _walk_strings(key) + _walk_strings(value)]
    if isinstance(node, list):
        return [s for item in node for s in _walk_strings(item)]
    return []


def test_every_name_is_used_in_both_trees() -> None:
    keys = set(_iac.tf_locals()["names"])
    tf_text = " ".join(_walk_strings(list(_iac.terraform_files().values())))
    tf_used = set(re.findall(r"local\.names\.(\w+)", tf_text))
    bicep_text = " ".join(_walk_strings([_iac.bicep(f) for f in _iac.bicep_files()]))
    bicep_used = set(re.findall(r"\bnames\.(\w+)", bicep_text))
    assert keys - tf_used == set(), f"names unused by terraform: {keys - tf_used}"
    assert keys - bicep_used == set(), f"names unused by bicep: {keys - bicep_used}"
    assert tf_used <= keys and bicep_used <= keys, "a resource references a name missing from the map"


def test_resource_kinds_match() -> None:
    bicep_types = {res["type"] for res in _iac.bicep_resources().values()}
    tf_types = {rtype for rtype, _ in _iac.tf_resources()}
    for arm, azurerm in TYPE_PAIRS.items():
        assert (arm in bicep_types) == (azurerm in tf_types), f"{arm} / {azurerm} declared in one tree only"
        assert arm in bicep_types, f"{arm} missing"
    assert bicep_types - set(TYPE_PAIRS) - BICEP_ONLY_TYPES == set()
    assert tf_types - set(TYPE_PAIRS.values()) - TERRAFORM_ONLY_TYPES == set()


def test_alert_rules_come_from_one_definition() -> None:
    """Both trees load monitoring/alerts.json (rendered from devtools/monitoring/alerts.py; tests/iac/test_alerts.py)."""
    bicep_alerts = _iac.bicep_var("modules/monitoring.bicep", "logAlerts")
    assert bicep_alerts["function"]["type"] == "load_json_content"
    assert (_iac.BICEP_DIR / "modules" / bicep_alerts["function"]["parameters"]["file_path"]).resolve() == (
        _iac.REPO / "monitoring" / "alerts.json"
    )
    assert 'jsondecode(file("${path.module}/../monitoring/alerts.json"))' in _iac.tf_locals()["log_alerts"]


def test_postgres_connections_alert_matches() -> None:
    pg_alert = _iac.attr(_iac.tf_resource("azurerm_monitor_metric_alert", "postgres_connections"), "criteria")
    assert _iac.attr(pg_alert, "threshold") == "${floor(var.postgres_max_connections * 85 / 100)}"
    bicep_pg = _iac.bicep_config(_iac.bicep("modules/monitoring.bicep")["resources"]["postgresConnections"])
    threshold = bicep_pg["properties"]["criteria"]["allOf"][0]["threshold"]
    assert "postgresMaxConnections" in json.dumps(threshold) and "85" in json.dumps(threshold)


def test_queues_and_containers_match() -> None:
    loc = _iac.tf_locals()
    tf_queues = list(loc["queues"]) + [f"{q}-poison" for q in loc["queues"]]
    assert sorted(tf_queues) == sorted(_iac.bicep_var("modules/storage.bicep", "queues"))
    assert sorted(loc["blob_containers"]) == sorted(_iac.bicep_var("modules/storage.bicep", "blobContainers"))


def test_secret_inventory_matches_application() -> None:
    inventory = _iac.secret_inventory()
    assert list(_iac.tf_locals()["secret_names"]) == inventory
    assert list(_iac.bicep_var("modules/keyvault.bicep", "secretNames")) == inventory


def test_workbooks_are_the_same_files() -> None:
    bicep_wbs = {w["key"]: w for w in _iac.bicep_var("modules/monitoring.bicep", "workbooks")}
    tf_wbs = _iac.tf_locals()["workbooks"]
    assert {k: w["title"] for k, w in bicep_wbs.items()} == tf_wbs
    for key, w in bicep_wbs.items():
        path = w["data"]["function"]["parameters"]["file_path"]
        assert (
            _iac.BICEP_DIR / "modules" / path
        ).resolve() == _iac.REPO / "monitoring" / "workbooks" / f"{key}.workbook.json"
    data_json = _iac.attr(_iac.tf_resource("azurerm_application_insights_workbook", "dashboards"), "data_json")
    assert data_json == '${file("${path.module}/../monitoring/workbooks/${each.key}.workbook.json")}'


# tfvars key -> bicep parameter (with a converter for the few unit differences).
PARAM_PAIRS: dict[str, tuple[str, Any]] = {
    "environment": ("environment", None),
    "vnet_address_space": ("vnetAddressSpace", None),
    "postgres_sku": ("postgresSku", None),
    "postgres_storage_mb": ("postgresStorageGb", lambda gb: gb * 1024),
    "postgres_max_connections": ("postgresMaxConnections", None),
    "postgres_admin_group_object_id": ("postgresAdminGroupObjectId", None),
    "postgres_admin_group_name": ("postgresAdminGroupName", None),
    "function_maximum_instance_count": ("functionMaximumInstanceCount", None),
    "log_retention_days": ("logRetentionDays", None),
    "alert_email": ("alertEmail", None),
    "monthly_budget_mxn": ("monthlyBudgetMxn", None),
    "pac_provider": ("pacProvider", None),
    "pac_url": ("pacUrl", None),
    "cors_origins": ("corsOrigins", None),
    "waf_allowed_countries": ("wafAllowedCountries", None),
    "always_ready": ("alwaysReady", lambda groups: {g["name"]: g["instanceCount"] for g in groups}),
    "log_daily_quota_gb": ("logDailyQuotaGb", None),
    "api_host_label": ("apiHostLabel", None),
}


@pytest.mark.parametrize("env", _iac.ENVIRONMENTS)
def test_environment_values_match(env: str) -> None:
    tf, bc = _iac.tfvars(env), _iac.bicep_params(env)
    for tf_key, (bicep_key, convert) in PARAM_PAIRS.items():
        tf_value = tf.get(tf_key, _iac.attr(_iac.tf_variables()[tf_key], "default"))
        bicep_value = bc.get(bicep_key, [] if tf_key in ("waf_allowed_countries", "always_ready") else None)
        if convert is not None:
            bicep_value = convert(bicep_value)
        assert tf_value == bicep_value, f"{env}: {tf_key}={tf_value!r} vs {bicep_key}={bicep_value!r}"
    if env == "production":
        assert tf["pac_provider"] == "finkok", "the PAC simulator never runs in production"
