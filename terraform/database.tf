# PostgreSQL 16 Flexible Server, private access only (delegated subnet + private DNS zone), Entra authentication only
# (no password exists). Production: zone-redundant HA, 35-day PITR, geo-redundant backup.
# Roles (docs/infrastructure.md "Database bootstrap"): supra_owner owns the schema and runs migrations; the function's
# managed identity logs in as a member of supra_app (no ownership, no BYPASSRLS) so row-level security applies.

resource "azurerm_postgresql_flexible_server" "main" {
  name                          = local.names.postgres
  resource_group_name           = azurerm_resource_group.main.name
  location                      = azurerm_resource_group.main.location
  version                       = "16"
  sku_name                      = var.postgres_sku
  storage_mb                    = var.postgres_storage_mb
  auto_grow_enabled             = true
  delegated_subnet_id           = azurerm_subnet.pg.id
  private_dns_zone_id           = azurerm_private_dns_zone.zones["postgres"].id
  public_network_access_enabled = false
  zone                          = "1"
  backup_retention_days         = local.is_production ? 35 : 7
  geo_redundant_backup_enabled  = local.is_production
  tags                          = local.tags

  authentication {
    active_directory_auth_enabled = true
    password_auth_enabled         = false
    tenant_id                     = data.azurerm_client_config.current.tenant_id
  }

  dynamic "high_availability" {
    for_each = local.is_production ? [1] : []
    content {
      mode                      = "ZoneRedundant"
      standby_availability_zone = "2"
    }
  }

  maintenance_window {
    day_of_week  = 0
    start_hour   = 9
    start_minute = 0
  }

  depends_on = [azurerm_private_dns_zone_virtual_network_link.links]
}

resource "azurerm_postgresql_flexible_server_active_directory_administrator" "admins" {
  server_name         = azurerm_postgresql_flexible_server.main.name
  resource_group_name = azurerm_resource_group.main.name
  tenant_id           = data.azurerm_client_config.current.tenant_id
  object_id           = var.postgres_admin_group_object_id
  principal_name      = var.postgres_admin_group_name
  principal_type      = "Group"
}

resource "azurerm_postgresql_flexible_server_database" "app" {
  name      = "supra"
  server_id = azurerm_postgresql_flexible_server.main.id
  charset   = "UTF8"
  collation = "en_US.utf8"
}

locals {
  postgres_configurations = {
    "azure.extensions"           = "PGCRYPTO,BTREE_GIST,PG_TRGM,PG_STAT_STATEMENTS,UNACCENT"
    "shared_preload_libraries"   = "pg_stat_statements"
    "require_secure_transport"   = "on"
    "ssl_min_protocol_version"   = "TLSv1.2"
    "max_connections"            = tostring(var.postgres_max_connections)
    "log_min_duration_statement" = "500"
    "log_connections"            = "on"
    "log_disconnections"         = "on"
    "log_checkpoints"            = "on"
    "connection_throttle.enable" = "on"
  }
}

resource "azurerm_postgresql_flexible_server_configuration" "settings" {
  for_each  = local.postgres_configurations
  name      = each.key
  server_id = azurerm_postgresql_flexible_server.main.id
  value     = each.value
}
