# Bootstrap: the storage account that holds the Terraform state of every environment (env/*.backend.hcl). Applied
# once, by hand, with local state, before the first `terraform init` of the main tree (docs/runbook.md
# "Bootstrap"); its own state file is kept in the ops vault, not in this repository.
#   cd terraform/bootstrap && terraform init && terraform apply
# Versioning + 30-day soft delete of blobs and containers mean a corrupted or deleted state can be restored; shared
# keys are off (the backend uses use_azuread_auth = true) and the account refuses public blob access.
terraform {
  required_version = ">= 1.9.0, < 2.0.0"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.42"
    }
  }
}

provider "azurerm" {
  features {}
  storage_use_azuread = true
}

variable "location" {
  type    = string
  default = "mexicocentral"
}

variable "runner_egress_cidrs" {
  type        = list(string)
  description = "Public egress CIDRs of the self-hosted deploy runners (the only networks admitted to the state)."
}

variable "state_admins_object_id" {
  type        = string
  description = "Entra group allowed to read and write state (the deploy identities and the platform team)."
}

resource "azurerm_resource_group" "state" {
  name     = "rg-supra-tfstate"
  location = var.location
  tags     = { project = "supra-water", managed_by = "terraform-bootstrap" }
}

resource "azurerm_storage_account" "state" {
  #checkov:skip=CKV_AZURE_59:reached by the deploy runners of three VNets; network_rules deny all other sources
  #checkov:skip=CKV2_AZURE_33:no private endpoint: the state is shared by three environments' runners (see network_rules)
  name                            = "stsupratfstate"
  resource_group_name             = azurerm_resource_group.state.name
  location                        = azurerm_resource_group.state.location
  account_kind                    = "StorageV2"
  account_tier                    = "Standard"
  account_replication_type        = "ZRS"
  min_tls_version                 = "TLS1_2"
  https_traffic_only_enabled      = true
  shared_access_key_enabled       = false
  default_to_oauth_authentication = true
  allow_nested_items_to_be_public = false
  tags                            = azurerm_resource_group.state.tags

  blob_properties {
    versioning_enabled = true
    delete_retention_policy {
      days = 30
    }
    container_delete_retention_policy {
      days = 30
    }
  }

  network_rules {
    default_action = "Deny"
    bypass         = ["AzureServices"]
    ip_rules       = var.runner_egress_cidrs
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

resource "azurerm_storage_container" "state" {
  name                  = "tfstate"
  storage_account_id    = azurerm_storage_account.state.id
  container_access_type = "private"
}

resource "azurerm_role_assignment" "state_admins" {
  scope                = azurerm_storage_account.state.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = var.state_admins_object_id
}

resource "azurerm_management_lock" "state" {
  name       = "tfstate-no-delete"
  scope      = azurerm_storage_account.state.id
  lock_level = "CanNotDelete"
  notes      = "Holds the Terraform state of every SUPRA Water environment."
}
