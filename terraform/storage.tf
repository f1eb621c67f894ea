# Storage account: Functions host (AzureWebJobsStorage by identity), Durable task hub, app queues, CFDI/photo blobs and
# the Flex deployment container. Shared keys are off: every client (host, app, deploy) authenticates with Entra ID.

resource "azurerm_storage_account" "main" {
  name                            = local.names.storage
  resource_group_name             = azurerm_resource_group.main.name
  location                        = azurerm_resource_group.main.location
  account_kind                    = "StorageV2"
  account_tier                    = "Standard"
  account_replication_type        = local.is_production ? "ZRS" : "LRS"
  min_tls_version                 = "TLS1_2"
  https_traffic_only_enabled      = true
  shared_access_key_enabled       = false
  default_to_oauth_authentication = true
  allow_nested_items_to_be_public = false
  public_network_access_enabled   = !local.is_production
  tags                            = local.tags

  network_rules {
    default_action = "Deny"
    bypass         = ["AzureServices", "Logging", "Metrics"]
  }

  blob_properties {
    versioning_enabled = true
    delete_retention_policy {
      days = local.is_production ? 30 : 7
    }
    container_delete_retention_policy {
      days = local.is_production ? 30 : 7
    }
  }

  queue_properties {
    logging {
      delete                = true
      read                  = true
      write                 = true
      version               = "1.0"
      retention_policy_days = 10
    }
  }

  sas_policy {
    expiration_period = "01.00:00:00"
  }
}

resource "azurerm_storage_queue" "queues" {
  for_each           = toset(local.all_queues)
  name               = each.value
  storage_account_id = azurerm_storage_account.main.id
}

resource "azurerm_storage_management_policy" "lifecycle" {
  storage_account_id = azurerm_storage_account.main.id

  dynamic "rule" {
    for_each = local.lifecycle_rules
    content {
      name    = rule.key
      enabled = true

      filters {
        blob_types   = ["blockBlob"]
        prefix_match = [rule.value.prefix]
      }

      actions {
        base_blob {
          tier_to_cool_after_days_since_modification_greater_than    = rule.value.cool_after_days
          tier_to_archive_after_days_since_modification_greater_than = rule.value.archive_after_days
          delete_after_days_since_modification_greater_than          = rule.value.delete_after_days
        }
        version {
          delete_after_days_since_creation = 90
        }
      }
    }
  }
}

resource "azurerm_storage_container" "containers" {
  for_each              = toset(local.blob_containers)
  name                  = each.value
  storage_account_id    = azurerm_storage_account.main.id
  container_access_type = "private"
}

locals {
  storage_private_endpoints = {
    blob  = local.names.pe_blob
    queue = local.names.pe_queue
    table = local.names.pe_table
  }
}

resource "azurerm_private_endpoint" "storage" {
  for_each            = local.storage_private_endpoints
  name                = each.value
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  subnet_id           = azurerm_subnet.pe.id
  tags                = local.tags

  private_service_connection {
    name                           = "${each.value}-connection"
    private_connection_resource_id = azurerm_storage_account.main.id
    subresource_names              = [each.key]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [azurerm_private_dns_zone.zones[each.key].id]
  }
}
