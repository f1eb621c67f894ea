# Key Vault (RBAC, soft delete + purge protection, private endpoint). Secrets are declared by name only in
# local.secret_names: operators set values with `az keyvault secret set` (docs/runbook.md) and the deploy pipeline
# fails if one is missing. The app reads them with the SDK (shared/platform/secrets.py): on Flex Consumption,
# Key Vault references cannot resolve against a network-restricted vault.

resource "azurerm_key_vault" "main" {
  name                          = local.names.key_vault
  location                      = azurerm_resource_group.main.location
  resource_group_name           = azurerm_resource_group.main.name
  tenant_id                     = data.azurerm_client_config.current.tenant_id
  sku_name                      = "standard"
  rbac_authorization_enabled    = true
  soft_delete_retention_days    = 90
  purge_protection_enabled      = true
  public_network_access_enabled = !local.is_production
  tags                          = local.tags

  network_acls {
    default_action = "Deny"
    bypass         = "AzureServices"
  }
}

resource "azurerm_private_endpoint" "key_vault" {
  name                = local.names.pe_key_vault
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  subnet_id           = azurerm_subnet.pe.id
  tags                = local.tags

  private_service_connection {
    name                           = "${local.names.pe_key_vault}-connection"
    private_connection_resource_id = azurerm_key_vault.main.id
    subresource_names              = ["vault"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [azurerm_private_dns_zone.zones["key_vault"].id]
  }
}

# The function identity may only read secret values.
resource "azurerm_role_assignment" "func_kv_secrets_user" {
  scope                = azurerm_key_vault.main.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_function_app_flex_consumption.main.identity[0].principal_id
  principal_type       = "ServicePrincipal"
}

# Every secret must carry an expiry date (built-in "Key Vault secrets should have an expiration date", Deny):
# `az keyvault secret set` without --expires is refused. bicep/modules/keyvault.bicep assigns the same definition.
resource "azurerm_resource_group_policy_assignment" "kv_secrets_expire" {
  name                 = "kv-secrets-expire"
  display_name         = "Key Vault secrets must have an expiration date"
  resource_group_id    = azurerm_resource_group.main.id
  policy_definition_id = "/providers/Microsoft.Authorization/policyDefinitions/98728c90-32c7-4049-8429-847dc0f4fe37"
  parameters           = jsonencode({ effect = { value = "Deny" } })
}
