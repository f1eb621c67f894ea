# Inputs. Per-environment values live in env/<env>.tfvars; nothing here is a secret.

variable "environment" {
  type        = string
  description = "Deployment environment."
  validation {
    condition     = contains(["dev", "staging", "production"], var.environment)
    error_message = "environment must be dev, staging or production."
  }
}

variable "workload" {
  type        = string
  description = "Short workload name used in every resource name (lowercase letters and digits)."
  default     = "supra"
  validation {
    condition     = can(regex("^[a-z][a-z0-9]{2,9}$", var.workload))
    error_message = "workload must be 3-10 lowercase letters/digits."
  }
}

variable "location" {
  type        = string
  description = "Azure region. Data residency (LFPDPPP) keeps everything in Mexico Central."
  default     = "mexicocentral"
  validation {
    condition     = var.location == "mexicocentral"
    error_message = "All SUPRA resources live in mexicocentral (data residency)."
  }
}

variable "vnet_address_space" {
  type        = string
  description = "VNet CIDR (/16); subnets are carved with cidrsubnet()."
}

variable "postgres_sku" {
  type        = string
  description = "PostgreSQL Flexible Server SKU."
}

variable "postgres_storage_mb" {
  type        = number
  description = "PostgreSQL storage in MB."
}

variable "postgres_max_connections" {
  type        = number
  description = "max_connections server parameter; the connection alert fires at 85% of it."
}

variable "postgres_admin_group_object_id" {
  type        = string
  description = "Object id of the Entra group that administers PostgreSQL (contains the deploy principal)."
}

variable "postgres_admin_group_name" {
  type        = string
  description = "Display name of that Entra group."
}

variable "function_maximum_instance_count" {
  type        = number
  description = "Flex Consumption scale-out ceiling."
}

variable "function_instance_memory_mb" {
  type        = number
  description = "Flex Consumption instance memory (512, 2048 or 4096)."
  default     = 2048
}

variable "always_ready" {
  type        = map(number)
  description = "Always-ready instances per Flex scale group (durable, http, ...). Empty outside production."
  default     = {}
}

variable "log_retention_days" {
  type        = number
  description = "Log Analytics retention."
}

variable "log_daily_quota_gb" {
  type        = number
  description = "Log Analytics ingestion cap per day (GB); ingestion stops for the day when reached (cost control)."
}

variable "dns_zone_name" {
  type        = string
  default     = "supra.ceaqueretaro.gob.mx"
  description = "Public DNS zone of the API, delegated to Azure DNS; declared by the production deployment only."
}

variable "dns_zone_resource_group" {
  type        = string
  default     = "rg-supra-production"
  description = "Resource group holding the public DNS zone (production's)."
}

variable "api_host_label" {
  type        = string
  description = "Host label of this environment's API in dns_zone_name: api (production), staging-api, dev-api."
}

variable "alert_email" {
  type        = string
  description = "Operations mailbox for the action group."
}

variable "pagerduty_webhook_url" {
  type        = string
  description = "PagerDuty Events API v2 webhook URL for severity-1 alerts (pipeline secret; empty: e-mail only)."
  default     = ""
  sensitive   = true
}

variable "chat_webhook_url" {
  type        = string
  description = "Teams/Slack incoming-webhook URL for severity 2-3 alerts (pipeline secret; empty: e-mail only)."
  default     = ""
  sensitive   = true
}

variable "monthly_budget_mxn" {
  type        = number
  description = "Monthly budget for the resource group (billing currency of the subscription)."
}

variable "budget_start_date" {
  type        = string
  description = "First day of the budget period, RFC3339 (e.g. 2026-01-01T00:00:00Z)."
  default     = "2026-01-01T00:00:00Z"
}

variable "waf_allowed_countries" {
  type        = list(string)
  description = "Optional geo filter: ISO country codes allowed by the WAF. Empty = no geo filter."
  default     = []
}

variable "log_level" {
  type        = string
  description = "Application LOG_LEVEL."
  default     = "INFO"
}

variable "pac_provider" {
  type        = string
  description = "PAC_PROVIDER: finkok or simulator (simulator never in production)."
  validation {
    condition     = contains(["finkok", "simulator"], var.pac_provider)
    error_message = "pac_provider must be finkok or simulator."
  }
}

variable "pac_url" {
  type        = string
  description = "PAC endpoint URL."
}

variable "spei_allowed_ips" {
  type        = string
  description = "Comma-separated source IPs allowed to post SPEI notifications."
  default     = ""
}

variable "cors_origins" {
  type        = string
  description = "Comma-separated CORS origins for the API."
  default     = ""
}

variable "whatsapp_api_url" {
  type        = string
  description = "WhatsApp Business API base URL."
  default     = "https://graph.facebook.com/v20.0"
}

variable "whatsapp_phone_number_id" {
  type        = string
  description = "WhatsApp Business phone number id (not a secret)."
  default     = ""
}

variable "anthropic_model" {
  type        = string
  description = "Claude model id."
  default     = "claude-sonnet-4-5"
}

variable "tags" {
  type        = map(string)
  description = "Extra tags."
  default     = {}
}
