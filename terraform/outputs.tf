# Outputs consumed by the deploy pipeline (deploy.yml) and the runbook.

output "resource_group_name" {
  value = azurerm_resource_group.main.name
}

output "function_app_name" {
  value = azurerm_function_app_flex_consumption.main.name
}

output "function_principal_id" {
  description = "Object id of the function's system-assigned identity (register it as a PostgreSQL principal)."
  value       = azurerm_function_app_flex_consumption.main.identity[0].principal_id
}

output "front_door_hostname" {
  description = "Public API host: smoke tests call https://<this>/api/health/ready."
  value       = azurerm_cdn_frontdoor_endpoint.main.host_name
}

output "front_door_id" {
  value = azurerm_cdn_frontdoor_profile.main.resource_guid
}

output "postgres_fqdn" {
  value = azurerm_postgresql_flexible_server.main.fqdn
}

output "key_vault_name" {
  value = azurerm_key_vault.main.name
}

output "key_vault_secret_names" {
  description = "Secret inventory the operators must populate (names only)."
  value       = local.secret_names
}

output "storage_account_name" {
  value = azurerm_storage_account.main.name
}

output "api_hostname" {
  description = "Custom domain of the API (Front Door managed certificate)."
  value       = local.api_hostname
}

output "api_base_url" {
  description = "Webhook URLs registered with the providers (Conekta, SPEI, Meta, Chatwoot, Twilio) start with this."
  value       = "https://${local.api_hostname}"
}
