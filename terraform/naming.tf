# Naming convention and shared lists. bicep/main.bicep declares the same `names` map; tests/iac checks parity.
# Pattern: <abbreviation>-<workload>-<environment>[-<purpose>]; storage/WAF names drop the dashes (alphanumeric only).

locals {
  is_production = var.environment == "production"

  names = {
    resource_group   = "rg-${var.workload}-${var.environment}"
    vnet             = "vnet-${var.workload}-${var.environment}"
    nsg_func         = "nsg-${var.workload}-${var.environment}-func"
    nsg_pe           = "nsg-${var.workload}-${var.environment}-pe"
    nsg_pg           = "nsg-${var.workload}-${var.environment}-pg"
    nsg_runner       = "nsg-${var.workload}-${var.environment}-runner"
    storage          = "st${var.workload}${var.environment}"
    log_analytics    = "log-${var.workload}-${var.environment}"
    app_insights     = "appi-${var.workload}-${var.environment}"
    plan             = "asp-${var.workload}-${var.environment}"
    function         = "func-${var.workload}-${var.environment}"
    postgres         = "psql-${var.workload}-${var.environment}"
    postgres_dns     = "psql-${var.workload}-${var.environment}.private.postgres.database.azure.com"
    key_vault        = "kv-${var.workload}-${var.environment}"
    pe_blob          = "pe-${var.workload}-${var.environment}-blob"
    pe_queue         = "pe-${var.workload}-${var.environment}-queue"
    pe_table         = "pe-${var.workload}-${var.environment}-table"
    pe_key_vault     = "pe-${var.workload}-${var.environment}-kv"
    front_door       = "afd-${var.workload}-${var.environment}"
    fd_endpoint      = "fde-${var.workload}-${var.environment}"
    fd_origin        = "func-origin"
    fd_origingroup   = "func-origins"
    fd_route         = "api-route"
    fd_custom_domain = "api-domain"
    fd_security      = "waf-${var.workload}-${var.environment}-policy"
    waf_policy       = "waf${var.workload}${var.environment}"
    action_group     = "ag-${var.workload}-${var.environment}"
    workbook         = "wb-${var.workload}-${var.environment}-operations"
    budget           = "budget-${var.workload}-${var.environment}"
  }

  subnets = {
    func   = { name = "snet-func", prefix = cidrsubnet(var.vnet_address_space, 8, 1) }
    pe     = { name = "snet-pe", prefix = cidrsubnet(var.vnet_address_space, 8, 2) }
    pg     = { name = "snet-pg", prefix = cidrsubnet(var.vnet_address_space, 8, 3) }
    runner = { name = "snet-runner", prefix = cidrsubnet(var.vnet_address_space, 8, 4) }
  }

  # Storage queues used by the app (each with the "-poison" queue the Functions host fills after maxDequeueCount).
  queues     = ["domain-events", "payments-in", "notifications"]
  all_queues = concat(local.queues, [for q in local.queues : "${q}-poison"])

  blob_containers = ["cfdi", "reading-photos", "app-package", "db-exports"]

  # Blob lifecycle (bicep/modules/storage.bicep, docs/infrastructure.md "Retention"); null = no such action. CFDI XML/PDF
  # are never deleted by a rule: CFF art. 30 keeps fiscal documents 5 years from the filing of the related annual
  # return (up to ~6.25 years after issue) and longer while an appeal or trial is open. Database exports: one year.
  lifecycle_rules = {
    cfdi-tiering           = { prefix = "cfdi/", cool_after_days = 90, archive_after_days = 365, delete_after_days = null }
    reading-photos-tiering = { prefix = "reading-photos/", cool_after_days = 90, archive_after_days = null, delete_after_days = null }
    db-exports-retention   = { prefix = "db-exports/", cool_after_days = 0, archive_after_days = null, delete_after_days = 365 }
  }

  # Key Vault secret inventory (names only; values are set by operators, see docs/runbook.md).
  # Must equal SECRET_INVENTORY in shared/platform/secrets.py (checked by tests/iac).
  secret_names = [
    "csd-certificate",
    "csd-private-key",
    "csd-password",
    "finkok-username",
    "finkok-password",
    "conekta-api-key",
    "conekta-webhook-public-key",
    "spei-webhook-secret",
    "jwt-signing-key",
    "whatsapp-api-key",
    "whatsapp-app-secret",
    "whatsapp-verify-token",
    "chatwoot-api-token",
    "chatwoot-webhook-secret",
    "twilio-account-sid",
    "twilio-auth-token",
    "anthropic-api-key",
  ]

  tags = merge({
    project     = "supra-water"
    environment = var.environment
    managed_by  = "terraform"
  }, var.tags)
}

resource "azurerm_resource_group" "main" {
  name     = local.names.resource_group
  location = var.location
  tags     = local.tags
}
