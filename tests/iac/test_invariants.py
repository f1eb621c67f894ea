"""Security and resilience invariants of both IaC trees, evaluated per environment where the value depends on it:
no public network access to data services in production, TLS 1.2+, PostgreSQL HA + 35-day geo-redundant backups in
production, Flex Consumption shape, Key Vault RBAC, Front Door WAF rules."""

from __future__ import annotations

import ipaddress

import pytest

from tests.iac import _iac
from tests.iac._iac import attr, blocks, tf_eval, tf_resource

PROD = {"production": True}


# ---- Terraform -----------------------------------------------------------------------------------------------------


def test_tf_data_services_private_in_production() -> None:
    storage = tf_resource("azurerm_storage_account")
    vault = tf_resource("azurerm_key_vault")
    pg = tf_resource("azurerm_postgresql_flexible_server")
    assert tf_eval(attr(storage, "public_network_access_enabled"), **PROD) is False
    assert tf_eval(attr(vault, "public_network_access_enabled"), **PROD) is False
    assert attr(pg, "public_network_access_enabled") is False
    assert attr(pg, "delegated_subnet_id") == "${azurerm_subnet.pg.id}"
    assert attr(storage, "network_rules")["default_action"] in ("Deny", ["Deny"])
    assert attr(attr(vault, "network_acls"), "default_action") == "Deny"
    assert attr(storage, "shared_access_key_enabled") is False
    assert attr(storage, "allow_nested_items_to_be_public") is False


def test_tf_private_endpoints_cover_blob_queue_table_and_vault() -> None:
    pes = _iac.tf_locals()["storage_private_endpoints"]
    assert set(pes) == {"blob", "queue", "table"}
    kv_pe = tf_resource("azurerm_private_endpoint", "key_vault")
    assert attr(attr(kv_pe, "private_service_connection"), "subresource_names") == ["vault"]


def test_tf_tls_minimum_everywhere() -> None:
    assert attr(tf_resource("azurerm_storage_account"), "min_tls_version") == "TLS1_2"
    site = attr(tf_resource("azurerm_function_app_flex_consumption"), "site_config")
    assert attr(site, "minimum_tls_version") == "1.2"
    assert attr(site, "scm_minimum_tls_version") == "1.2"
    assert attr(tf_resource("azurerm_function_app_flex_consumption"), "https_only") is True
    pg_config = _iac.tf_locals()["postgres_configurations"]
    assert pg_config["ssl_min_protocol_version"] in ("TLSv1.2", "TLSv1.3")
    assert pg_config["require_secure_transport"] == "on"
    route = tf_resource("azurerm_cdn_frontdoor_route", "api")
    assert attr(route, "https_redirect_enabled") is True and attr(route, "forwarding_protocol") == "HttpsOnly"


def test_tf_postgres_resilience_in_production() -> None:
    pg = tf_resource("azurerm_postgresql_flexible_server")
    assert attr(pg, "version") == "16"
    assert tf_eval(attr(pg, "backup_retention_days"), **PROD) == 35
    assert tf_eval(attr(pg, "geo_redundant_backup_enabled"), **PROD) is True
    ha = attr(pg, "dynamic")["high_availability"]
    assert tf_eval(attr(ha, "for_each"), **PROD) == [1], "HA block must be present in production"
    assert attr(attr(ha, "content"), "mode") == "ZoneRedundant"
    auth = attr(pg, "authentication")
    assert attr(auth, "active_directory_auth_enabled") is True and attr(auth, "password_auth_enabled") is False


def test_tf_postgres_extension_allow_list() -> None:
    value = _iac.tf_locals()["postgres_configurations"]["azure.extensions"]
    assert set(value.split(",")) == {"PGCRYPTO", "BTREE_GIST", "PG_TRGM", "PG_STAT_STATEMENTS", "UNACCENT"}


def test_tf_function_is_flex_python_311_with_identity_and_vnet() -> None:
    plan = tf_resource("azurerm_service_plan")
    func = tf_resource("azurerm_function_app_flex_consumption")
    assert attr(plan, "sku_name") == "FC1" and attr(plan, "os_type") == "Linux"
    assert (attr(func, "runtime_name"), attr(func, "runtime_version")) == ("python", "3.11")
    assert attr(attr(func, "identity"), "type") == "SystemAssigned"
    assert attr(func, "storage_authentication_type") == "SystemAssignedIdentity"
    assert attr(func, "virtual_network_subnet_id") == "${azurerm_subnet.func.id}"
    delegation = attr(attr(tf_resource("azurerm_subnet", "func"), "delegation"), "service_delegation")
    assert attr(delegation, "name") == "Microsoft.App/environments"
    always_ready = _iac.tfvars("production")["always_ready"]
    assert always_ready.get("durable", 0) >= 1 and always_ready.get("http", 0) >= 1
    for env in ("dev", "staging"):
        assert not _iac.tfvars(env).get("always_ready"), f"{env} should not pay for always-ready instances"


def test_tf_function_accepts_only_front_door() -> None:
    site = attr(tf_resource("azurerm_function_app_flex_consumption"), "site_config")
    assert attr(site, "ip_restriction_default_action") == "Deny"
    rules = blocks(site, "ip_restriction")
    assert len(rules) == 1
    rule = rules[0]
    assert attr(rule, "service_tag") == "AzureFrontDoor.Backend"
    assert attr(attr(rule, "headers"), "x_azure_fdid") == ["${azurerm_cdn_frontdoor_profile.main.resource_guid}"]


def test_tf_key_vault_rbac_and_purge_protection() -> None:
    vault = tf_resource("azurerm_key_vault")
    assert attr(vault, "rbac_authorization_enabled") is True
    assert attr(vault, "purge_protection_enabled") is True
    assert attr(vault, "soft_delete_retention_days") >= 7
    role = tf_resource("azurerm_role_assignment", "func_kv_secrets_user")
    assert attr(role, "role_definition_name") == "Key Vault Secrets User"
    kv_roles = [
        attr(body, "role_definition_name")
        for (_, _), body in _iac.tf_resources("azurerm_role_assignment").items()
        if attr(body, "scope") == "${azurerm_key_vault.main.id}"
    ]
    assert kv_roles == ["Key Vault Secrets User"], "the app identity gets Secrets User only on the vault"


def test_tf_waf_rules() -> None:
    waf = tf_resource("azurerm_cdn_frontdoor_firewall_policy")
    assert attr(tf_resource("azurerm_cdn_frontdoor_profile"), "sku_name") == "Premium_AzureFrontDoor"
    assert attr(waf, "mode") == "Prevention"
    managed = {attr(m, "type") for m in blocks(waf, "managed_rule")}
    assert "Microsoft_DefaultRuleSet" in managed
    limits = {}
    for rule in blocks(waf, "custom_rule"):
        if attr(rule, "type") == "RateLimitRule":
            values = attr(attr(rule, "match_condition"), "match_values")
            limits[tuple(values)] = (attr(rule, "rate_limit_threshold"), attr(rule, "rate_limit_duration_in_minutes"))
    assert limits == {("/",): (1000, 1), ("/api/v1/auth/",): (100, 1)}
    assert "custom_rule" in attr(waf, "dynamic"), "optional geo filter rule"


def test_tf_storage_queues_and_containers() -> None:
    loc = _iac.tf_locals()
    assert set(loc["queues"]) == {"domain-events", "payments-in", "notifications"}
    assert set(loc["blob_containers"]) == {"cfdi", "reading-photos", "app-package", "db-exports"}
    assert attr(tf_resource("azurerm_storage_queue", "queues"), "for_each") == "${toset(local.all_queues)}"


def test_tf_location_and_environments() -> None:
    variables = _iac.tf_variables()
    assert attr(variables["location"], "default") == "mexicocentral"
    for env in _iac.ENVIRONMENTS:
        assert _iac.tfvars(env)["environment"] == env


# ---- Bicep ---------------------------------------------------------------------------------------------------------


def _res(file: str, symbol: str) -> dict:  # type: ignore[type-arg]
    return _iac.bicep_config(_iac.bicep(file)["resources"][symbol])


def test_bicep_data_services_private_in_production() -> None:
    storage = _res("modules/storage.bicep", "account")["properties"]
    vault = _res("modules/keyvault.bicep", "vault")["properties"]
    pg = _res("modules/database.bicep", "server")["properties"]
    assert _iac.bicep_eval(storage["publicNetworkAccess"], **PROD) == "Disabled"
    assert _iac.bicep_eval(vault["publicNetworkAccess"], **PROD) == "Disabled"
    assert pg["network"]["publicNetworkAccess"] == "Disabled"
    assert pg["network"]["delegatedSubnetResourceId"] == "subnetId"
    assert storage["allowSharedKeyAccess"] is False and storage["allowBlobPublicAccess"] is False
    assert storage["networkAcls"]["defaultAction"] == "Deny" and vault["networkAcls"]["defaultAction"] == "Deny"
    groups = {pe["groupId"] for pe in _iac.bicep_var("modules/storage.bicep", "privateEndpoints")}
    assert groups == {"blob", "queue", "table"}


def test_bicep_tls_minimum_everywhere() -> None:
    assert _res("modules/storage.bicep", "account")["properties"]["minimumTlsVersion"] == "TLS1_2"
    site = _res("modules/function.bicep", "site")["properties"]
    assert site["siteConfig"]["minTlsVersion"] == "1.2" and site["siteConfig"]["scmMinTlsVersion"] == "1.2"
    assert site["httpsOnly"] is True and site["siteConfig"]["ftpsState"] == "Disabled"
    configs = {c["name"]: c["value"] for c in _iac.bicep_var("modules/database.bicep", "configurations")}
    assert configs["ssl_min_protocol_version"] in ("TLSv1.2", "TLSv1.3") and configs["require_secure_transport"] == "on"
    route = _res("modules/frontdoor-routes.bicep", "route")["properties"]
    assert route["httpsRedirect"] == "Enabled" and route["forwardingProtocol"] == "HttpsOnly"


def test_bicep_postgres_resilience_in_production() -> None:
    props = _res("modules/database.bicep", "server")["properties"]
    assert props["version"] == "16"
    assert _iac.bicep_eval(props["backup"]["backupRetentionDays"], **PROD) == 35
    assert _iac.bicep_eval(props["backup"]["geoRedundantBackup"], **PROD) == "Enabled"
    assert _iac.bicep_eval(props["highAvailability"]["mode"], **PROD) == "ZoneRedundant"
    assert props["authConfig"] == {
        "activeDirectoryAuth": "Enabled",
        "passwordAuth": "Disabled",
        "tenantId": props["authConfig"]["tenantId"],
    }
    configs = {c["name"]: c["value"] for c in _iac.bicep_var("modules/database.bicep", "configurations")}
    assert set(configs["azure.extensions"].split(",")) == {
        "PGCRYPTO",
        "BTREE_GIST",
        "PG_TRGM",
        "PG_STAT_STATEMENTS",
        "UNACCENT",
    }


def test_bicep_function_is_flex_python_311_with_identity_and_vnet() -> None:
    plan = _res("modules/function.bicep", "plan")
    site = _res("modules/function.bicep", "site")
    assert plan["sku"] == {"tier": "FlexConsumption", "name": "FC1"}
    cfg = site["properties"]["functionAppConfig"]
    assert cfg["runtime"] == {"name": "python", "version": "3.11"}
    assert cfg["deployment"]["storage"]["authentication"]["type"] == "SystemAssignedIdentity"
    assert site["identity"]["type"] == "SystemAssigned"
    assert site["properties"]["virtualNetworkSubnetId"] == "subnetId"
    subnets = {s["name"]: s["properties"] for s in _res("modules/network.bicep", "vnet")["properties"]["subnets"]}
    assert subnets["snet-func"]["delegations"][0]["properties"]["serviceName"] == "Microsoft.App/environments"
    assert (
        subnets["snet-pg"]["delegations"][0]["properties"]["serviceName"] == "Microsoft.DBforPostgreSQL/flexibleServers"
    )
    groups = {g["name"]: g["instanceCount"] for g in _iac.bicep_params("production")["alwaysReady"]}
    assert groups.get("durable", 0) >= 1 and groups.get("http", 0) >= 1


def test_bicep_function_accepts_only_front_door() -> None:
    cfg = _res("modules/function.bicep", "site")["properties"]["siteConfig"]
    assert cfg["ipSecurityRestrictionsDefaultAction"] == "Deny"
    (rule,) = cfg["ipSecurityRestrictions"]
    assert (rule["tag"], rule["ipAddress"]) == ("ServiceTag", "AzureFrontDoor.Backend")
    headers = {key.strip("'"): value for key, value in rule["headers"].items()}  # pycep keeps quotes on quoted keys
    assert headers == {"x-azure-fdid": ["frontDoorId"]}


def test_bicep_key_vault_rbac_and_purge_protection() -> None:
    props = _res("modules/keyvault.bicep", "vault")["properties"]
    assert props["enableRbacAuthorization"] is True and props["enablePurgeProtection"] is True
    assert props["enableSoftDelete"] is True
    roles = _iac.bicep_var("modules/function.bicep", "roles")
    kv_role = _res("modules/function.bicep", "kvSecretsUser")
    assert kv_role["scope"] == "vault"
    assert "roles.keyVaultSecretsUser" in str(kv_role["properties"]["roleDefinitionId"])
    assert roles["keyVaultSecretsUser"] == "4633458b-17de-408a-b874-0445c86b69e6"


def test_bicep_waf_rules() -> None:
    waf = _res("modules/frontdoor.bicep", "waf")["properties"]
    assert waf["policySettings"]["mode"] == "Prevention"
    assert "Microsoft_DefaultRuleSet" in {m["ruleSetType"] for m in waf["managedRules"]["managedRuleSets"]}
    limits = {
        tuple(r["matchConditions"][0]["matchValue"]): (r["rateLimitThreshold"], r["rateLimitDurationInMinutes"])
        for r in _iac.bicep_var("modules/frontdoor.bicep", "rateLimitRules")
    }
    assert limits == {("/",): (1000, 1), ("/api/v1/auth/",): (100, 1)}
    assert _res("modules/frontdoor.bicep", "profile")["sku"]["name"] == "Premium_AzureFrontDoor"


def test_bicep_subscription_scope_and_region() -> None:
    main = _iac.bicep("main.bicep")
    assert main["globals"]["scope"]["value"] == "subscription"
    location = main["parameters"]["location"]
    assert location["default"] == "mexicocentral"
    for env in _iac.ENVIRONMENTS:
        assert _iac.bicep_params(env)["environment"] == env


# ---- Both ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("env", _iac.ENVIRONMENTS)
def test_subnet_prefixes_agree(env: str) -> None:
    """Bicep passes explicit subnet CIDRs; they must be the /24 numbers Terraform computes with cidrsubnet()."""
    space = ipaddress.ip_network(_iac.tfvars(env)["vnet_address_space"])
    params = _iac.bicep_params(env)
    assert params["vnetAddressSpace"] == str(space)
    subnets = list(space.subnets(new_prefix=24))
    expected = {"func": 1, "pe": 2, "pg": 3, "runner": 4}
    assert params["subnetPrefixes"] == {k: str(subnets[i]) for k, i in expected.items()}
    tf_subnets = _iac.tf_locals()["subnets"]
    for key, index in expected.items():
        compact = tf_subnets[key]["prefix"].replace(" ", "")
        assert compact == f"${{cidrsubnet(var.vnet_address_space,8,{index})}}", compact
