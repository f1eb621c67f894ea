"""The Azure estate items of docs/infrastructure.md, asserted per environment in both trees: the API's public name
and managed TLS, Front Door health probes, blob lifecycle that honours the CFDI retention rule, Log Analytics caps,
the SCM endpoint closed to the internet and the WAF rule against CURP/RFC in query strings."""

from __future__ import annotations

import re

import pytest

from tests.iac import _iac
from tests.iac._iac import attr, blocks, tf_resource

API_LABELS = {"dev": "dev-api", "staging": "staging-api", "production": "api"}
ZONE = "supra.ceaqueretaro.gob.mx"
# CFF art. 30: five years from the filing of the annual return the document relates to (filed by 31 March of the
# next year), so a CFDI of 1 January must survive at least 5 years + 15 months.
CFDI_MIN_KEEP_DAYS = 5 * 365 + 456


# ---- names and TLS -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("env", _iac.ENVIRONMENTS)
def test_each_environment_has_its_api_hostname_in_both_trees(env: str) -> None:
    tf, bc = _iac.tfvars(env), _iac.bicep_params(env)
    assert tf["api_host_label"] == bc["apiHostLabel"] == API_LABELS[env]
    tf_zone = tf.get("dns_zone_name", attr(_iac.tf_variables()["dns_zone_name"], "default"))
    bicep_zone = bc.get("dnsZoneName", _iac.bicep("main.bicep")["parameters"]["dnsZoneName"]["default"])
    assert tf_zone == bicep_zone == ZONE


def test_the_zone_is_declared_by_production_only_and_records_by_every_environment() -> None:
    zone = tf_resource("azurerm_dns_zone")
    assert _iac.tf_eval(attr(zone, "count"), production=True) == 1
    assert _iac.tf_eval(attr(zone, "count"), production=False) == 0
    cname = tf_resource("azurerm_dns_cname_record", "api")
    assert attr(cname, "name") == "${var.api_host_label}"
    assert attr(cname, "record") == "${azurerm_cdn_frontdoor_endpoint.main.host_name}"
    txt = tf_resource("azurerm_dns_txt_record", "api_validation")
    assert attr(txt, "name") == "_dnsauth.${var.api_host_label}"
    assert attr(attr(txt, "record"), "value") == "${azurerm_cdn_frontdoor_custom_domain.api.validation_token}"
    dns = _iac.bicep("modules/dns.bicep")["resources"]
    assert dns["zoneNew"]["config"].get("condition") or "manageZone" in str(dns["zoneNew"])
    assert dns["apiCname"]["config"]["properties"]["CNAMERecord"]["cname"] == "endpointHostname"
    assert dns["apiValidation"]["config"]["name"] == "_dnsauth.${apiHostLabel}"
    module = _iac.bicep("main.bicep")["modules"]["dns"]["config"]
    assert module["params"]["manageZone"] == "isProduction"
    assert module["params"]["validationToken"] == "frontDoorRoutes.outputs.apiValidationToken"


def test_custom_domain_has_a_managed_certificate_tls12_and_is_routed_and_protected() -> None:
    tf_domain = tf_resource("azurerm_cdn_frontdoor_custom_domain", "api")
    assert attr(tf_domain, "host_name") == "${local.api_hostname}"
    assert attr(attr(tf_domain, "tls"), "certificate_type") == "ManagedCertificate"
    assert attr(attr(tf_domain, "tls"), "minimum_tls_version") == "TLS12"
    route = tf_resource("azurerm_cdn_frontdoor_route", "api")
    assert attr(route, "cdn_frontdoor_custom_domain_ids") == ["${azurerm_cdn_frontdoor_custom_domain.api.id}"]
    policy = attr(
        attr(attr(tf_resource("azurerm_cdn_frontdoor_security_policy", "waf"), "security_policies"), "firewall"),
        "association",
    )
    domains = [attr(d, "cdn_frontdoor_domain_id") for d in blocks(policy, "domain")]
    assert "${azurerm_cdn_frontdoor_custom_domain.api.id}" in domains, "the WAF must cover the custom domain too"

    routes = _iac.bicep("modules/frontdoor-routes.bicep")["resources"]
    domain = routes["apiDomain"]["config"]["properties"]
    assert domain["tlsSettings"] == {"certificateType": "ManagedCertificate", "minimumTlsVersion": "TLS12"}
    assert routes["route"]["config"]["properties"]["customDomains"] == [{"id": "apiDomain.id"}]
    associations = routes["securityPolicy"]["config"]["properties"]["parameters"]["associations"]
    assert {"id": "apiDomain.id"} in associations[0]["domains"]


def test_origins_are_probed_on_the_health_endpoint() -> None:
    probe = attr(tf_resource("azurerm_cdn_frontdoor_origin_group", "func"), "health_probe")
    assert (attr(probe, "path"), attr(probe, "protocol"), attr(probe, "request_type")) == (
        "/api/health",
        "Https",
        "GET",
    )
    bicep_probe = _iac.bicep("modules/frontdoor-routes.bicep")["resources"]["originGroup"]["config"]["properties"][
        "healthProbeSettings"
    ]
    assert (bicep_probe["probePath"], bicep_probe["probeProtocol"], bicep_probe["probeRequestType"]) == (
        "/api/health",
        "Https",
        "GET",
    )
    assert attr(probe, "interval_in_seconds") == bicep_probe["probeIntervalInSeconds"] <= 60


def test_the_probed_path_is_served_by_the_app_without_authentication() -> None:
    from functions.api.routes.health import router

    probed = {route.path for route in router.routes}  # type: ignore[attr-defined]
    assert "/api/health" in probed


# ---- retention and cost ---------------------------------------------------------------------------------------------


def _tf_lifecycle() -> dict[str, dict[str, object]]:
    rules: dict[str, dict[str, object]] = _iac.tf_locals()["lifecycle_rules"]
    policy = tf_resource("azurerm_storage_management_policy", "lifecycle")
    assert attr(attr(policy, "dynamic")["rule"], "for_each") == "${local.lifecycle_rules}"
    return rules


def _bicep_lifecycle() -> dict[str, dict[str, object]]:
    rules = _iac.bicep_var("modules/storage.bicep", "lifecycleRules")
    out = {}
    for rule in rules:
        base = rule["baseBlob"]
        out[rule["name"]] = {
            "prefix": rule["prefix"],
            "cool_after_days": base.get("tierToCool", {}).get("daysAfterModificationGreaterThan"),
            "archive_after_days": base.get("tierToArchive", {}).get("daysAfterModificationGreaterThan"),
            "delete_after_days": base.get("delete", {}).get("daysAfterModificationGreaterThan"),
        }
    return out


def test_lifecycle_rules_are_the_same_in_both_trees() -> None:
    assert _tf_lifecycle() == _bicep_lifecycle()


@pytest.mark.parametrize("rules", [_tf_lifecycle, _bicep_lifecycle], ids=["terraform", "bicep"])
def test_cfdi_tiering_and_retention(rules) -> None:  # type: ignore[no-untyped-def]
    by_prefix = {r["prefix"]: r for r in rules().values()}
    cfdi = by_prefix["cfdi/"]
    assert cfdi["cool_after_days"] == 90 and cfdi["archive_after_days"] == 365
    delete = cfdi["delete_after_days"]
    assert delete is None or delete >= CFDI_MIN_KEEP_DAYS, "CFDI must be kept 5 years after the related return"
    exports = by_prefix["db-exports/"]
    assert exports["delete_after_days"] == 365, "monthly database exports are kept one year"
    containers = {r["prefix"].rstrip("/") for r in rules().values()}
    assert containers <= set(_iac.tf_locals()["blob_containers"])


@pytest.mark.parametrize("env", _iac.ENVIRONMENTS)
def test_log_analytics_daily_cap_per_environment(env: str) -> None:
    tf, bc = _iac.tfvars(env), _iac.bicep_params(env)
    assert tf["log_daily_quota_gb"] == bc["logDailyQuotaGb"] > 0
    caps = {e: _iac.tfvars(e)["log_daily_quota_gb"] for e in _iac.ENVIRONMENTS}
    assert caps["dev"] <= caps["staging"] <= caps["production"]
    workspace = tf_resource("azurerm_log_analytics_workspace")
    assert attr(workspace, "daily_quota_gb") == "${var.log_daily_quota_gb}"
    bicep_ws = _iac.bicep("modules/observability.bicep")["resources"]["workspace"]["config"]["properties"]
    assert bicep_ws["workspaceCapping"] == {"dailyQuotaGb": "dailyQuotaGb"}


def test_terraform_state_bootstrap_keeps_versions_and_deleted_blobs() -> None:
    text = (_iac.TF_DIR / "bootstrap" / "main.tf").read_text()
    doc = _iac._HCL.loads(text)
    accounts = [
        b for entry in doc["resource"] for t, by in entry.items() if t == "azurerm_storage_account" for b in by.values()
    ]
    assert len(accounts) == 1
    account = accounts[0]
    props = attr(account, "blob_properties")
    assert attr(props, "versioning_enabled") is True
    assert attr(attr(props, "delete_retention_policy"), "days") >= 30
    assert attr(attr(props, "container_delete_retention_policy"), "days") >= 30
    assert attr(account, "min_tls_version") == "TLS1_2"
    assert attr(account, "shared_access_key_enabled") is False
    backend = _iac._HCL.loads((_iac.TF_DIR / "env" / "production.backend.hcl").read_text())
    assert attr(account, "name") == attr(backend, "storage_account_name")


# ---- hardening ------------------------------------------------------------------------------------------------------


def test_scm_endpoint_admits_only_the_deploy_runner_subnet() -> None:
    site = attr(tf_resource("azurerm_function_app_flex_consumption"), "site_config")
    assert attr(site, "scm_ip_restriction_default_action") == "Deny"
    rules = blocks(site, "scm_ip_restriction")
    assert [attr(r, "virtual_network_subnet_id") for r in rules] == ["${azurerm_subnet.runner.id}"]
    assert attr(tf_resource("azurerm_subnet", "runner"), "service_endpoints") == ["Microsoft.Web"]
    config = _iac.bicep("modules/function.bicep")["resources"]["site"]["config"]["properties"]["siteConfig"]
    assert config["scmIpSecurityRestrictionsDefaultAction"] == "Deny"
    assert [r["vnetSubnetResourceId"] for r in config["scmIpSecurityRestrictions"]] == ["deploySubnetId"]
    assert _iac.bicep("main.bicep")["modules"]["functionApp"]["config"]["params"]["deploySubnetId"] == (
        "network.outputs.runnerSubnetId"
    )


CURP_SAMPLES = ["GODE561231HDFRRN09", "gode561231mdfrrna9".upper()]
RFC_SAMPLES = ["GODE561231GR8", "&AB010203XY1", "ÑAB010203XY1", "AAA010101AAA"]
CLEAN = ["page=2&size=50", "period=2026-11", "q=GOMEZ", "account=QRO-000123"]


def _tf_pii_patterns() -> list[str]:
    policy = tf_resource("azurerm_cdn_frontdoor_firewall_policy")
    rule = next(r for r in blocks(policy, "custom_rule") if attr(r, "name") == "BlockCurpRfcInQueryString")
    condition = attr(rule, "match_condition")
    assert attr(condition, "match_variable") == "QueryString" and attr(condition, "operator") == "RegEx"
    assert attr(condition, "transforms") == ["UrlDecode", "Uppercase"]
    assert attr(rule, "action") == "Block"
    values: list[str] = attr(condition, "match_values")
    return values


def test_waf_blocks_curp_and_rfc_in_query_strings_in_both_trees() -> None:
    tf_patterns = _tf_pii_patterns()
    rules = {r["name"]: r for r in _iac.bicep_var("modules/frontdoor.bicep", "piiRules")}
    bicep_rule = rules["BlockCurpRfcInQueryString"]
    condition = bicep_rule["matchConditions"][0]
    assert condition["matchValue"] == tf_patterns
    assert condition["transforms"] == ["UrlDecode", "Uppercase"] and condition["matchVariable"] == "QueryString"
    assert "piiRules" in str(_iac.bicep("modules/frontdoor.bicep")["resources"]["waf"])
    compiled = [re.compile(p) for p in tf_patterns]
    for sample in CURP_SAMPLES + RFC_SAMPLES:
        query = f"rfc={sample}&page=1"
        assert any(p.search(query.upper()) for p in compiled), sample
    for query in CLEAN:
        assert not any(p.search(query.upper()) for p in compiled), query


SECRET_EXPIRY_POLICY = "/providers/Microsoft.Authorization/policyDefinitions/98728c90-32c7-4049-8429-847dc0f4fe37"


def test_key_vault_refuses_secrets_without_an_expiry_date_in_both_trees() -> None:
    tf = tf_resource("azurerm_resource_group_policy_assignment", "kv_secrets_expire")
    assert attr(tf, "policy_definition_id") == SECRET_EXPIRY_POLICY
    assert "Deny" in attr(tf, "parameters")
    bicep = _iac.bicep("modules/keyvault.bicep")["resources"]["secretExpiryPolicy"]["config"]["properties"]
    assert bicep["policyDefinitionId"] == SECRET_EXPIRY_POLICY
    assert bicep["parameters"]["effect"]["value"] == "Deny"
