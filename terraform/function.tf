# Flex Consumption (FC1) function app: Python 3.11, system-assigned identity, VNet integration, deployment package in
# blob container app-package reached by identity. Settings Flex rejects (FUNCTIONS_WORKER_RUNTIME,
# FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE, WEBSITE_CONTENTSHARE, SCM_DO_BUILD_DURING_DEPLOYMENT,
# WEBSITE_TIME_ZONE) are never set; tests/iac enforces it.

resource "azurerm_service_plan" "main" {
  name                = local.names.plan
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  os_type             = "Linux"
  sku_name            = "FC1"
  tags                = local.tags
}

locals {
  postgres_fqdn = "${local.names.postgres}.postgres.database.azure.com"

  # Every field of shared.platform.config.Settings (tests/iac/test_app_settings.py lists the documented exceptions).
  app_settings = {
    ENVIRONMENT = var.environment
    LOG_LEVEL   = var.log_level

    # Entra token auth; the login role is the managed identity's name (member of supra_app). No password anywhere.
    DATABASE_URL      = "host=${local.postgres_fqdn} port=5432 dbname=supra user=${local.names.function} sslmode=require"
    DATABASE_AUTH     = "entra"
    DATABASE_POOL_MAX = "8"

    # Functions host + app storage by managed identity (replaces the AzureWebJobsStorage connection string).
    AzureWebJobsStorage__accountName = azurerm_storage_account.main.name
    AzureWebJobsStorage__credential  = "managedidentity"

    TASKHUB_NAME                  = "${var.workload}${var.environment}"
    QUEUE_DOMAIN_EVENTS           = "domain-events"
    QUEUE_PAYMENTS                = "payments-in"
    QUEUE_NOTIFICATIONS           = "notifications"
    BLOB_CONTAINER_CFDI           = "cfdi"
    BLOB_CONTAINER_READING_PHOTOS = "reading-photos"

    # NCRONTAB in UTC (Flex has no WEBSITE_TIME_ZONE). 08:00 UTC = 02:00 America/Mexico_City.
    BILLING_SCHEDULE            = "0 0 8 * * *"
    OUTBOX_RELAY_SCHEDULE       = "*/10 * * * * *"
    PAYMENT_PLAN_CHECK_SCHEDULE = "0 0 9 * * *"
    BILLING_CHUNK_SIZE          = "2000"

    PAC_PROVIDER        = var.pac_provider
    PAC_URL             = var.pac_url
    PAC_TIMEOUT_SECONDS = "20"
    PAC_MAX_IN_FLIGHT   = "16"

    SPEI_ALLOWED_IPS  = var.spei_allowed_ips
    JWT_ISSUER        = "supra-water"
    JWT_AUDIENCE      = "supra-water-api"
    CORS_ORIGINS      = var.cors_origins
    FRONT_DOOR_ID     = azurerm_cdn_frontdoor_profile.main.resource_guid
    MAX_REQUEST_BYTES = "1048576"

    WHATSAPP_API_URL         = var.whatsapp_api_url
    WHATSAPP_PHONE_NUMBER_ID = var.whatsapp_phone_number_id
    ANTHROPIC_MODEL          = var.anthropic_model

    ANTHROPIC_BASE_URL            = ""
    AGENT_TIMEOUT_SECONDS         = "20"
    AGENT_MAX_RETRIES             = "2"
    AGENT_PRICES_USD_PER_MTOK     = "input=2.00,output=10.00,cache_write=2.50,cache_read=0.10"
    AGENT_MAX_TURNS               = "30"
    AGENT_MAX_CONVERSATION_TOKENS = "400000"
    AGENT_MAX_MESSAGE_CHARS       = "2000"

    # Customer channels (docs/channels.md): operators set the Chatwoot/Twilio values per environment.
    WHATSAPP_PROVIDER               = "meta"
    PUBLIC_BASE_URL                 = ""
    BOT_RESPONDER                   = "menu"
    NOTIFICATIONS_RELEASE_SCHEDULE  = "0 */5 * * * *"
    NOTIFICATIONS_REMINDER_SCHEDULE = "0 0 15 * * *"
    CHATWOOT_URL                    = ""
    CHATWOOT_ACCOUNT_ID             = ""
    CHATWOOT_INBOX_ID               = ""
    TWILIO_PHONE_NUMBER             = ""
    CALL_CENTER_NUMBER              = ""

    KEY_VAULT_URL                               = azurerm_key_vault.main.vault_uri
    APPLICATIONINSIGHTS_CONNECTION_STRING       = azurerm_application_insights.main.connection_string
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING   = "Authorization=AAD"
    PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY = "true"
  }
}

resource "azurerm_function_app_flex_consumption" "main" {
  name                = local.names.function
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  service_plan_id     = azurerm_service_plan.main.id

  storage_container_type      = "blobContainer"
  storage_container_endpoint  = "${azurerm_storage_account.main.primary_blob_endpoint}app-package"
  storage_authentication_type = "SystemAssignedIdentity"

  runtime_name           = "python"
  runtime_version        = "3.11"
  maximum_instance_count = var.function_maximum_instance_count
  instance_memory_in_mb  = var.function_instance_memory_mb

  dynamic "always_ready" {
    for_each = var.always_ready
    content {
      name           = always_ready.key
      instance_count = always_ready.value
    }
  }

  virtual_network_subnet_id                      = azurerm_subnet.func.id
  https_only                                     = true
  public_network_access_enabled                  = true # Front Door is a public origin; access restrictions below.
  webdeploy_publish_basic_authentication_enabled = false
  client_certificate_mode                        = "Optional"
  app_settings                                   = local.app_settings
  tags                                           = local.tags

  identity {
    type = "SystemAssigned"
  }

  site_config {
    minimum_tls_version               = "1.2"
    scm_minimum_tls_version           = "1.2"
    http2_enabled                     = true
    ip_restriction_default_action     = "Deny"
    scm_use_main_ip_restriction       = false
    scm_ip_restriction_default_action = "Deny"

    # Kudu/one-deploy is not public: only the self-hosted deploy runner's subnet reaches it (deploy.yml).
    scm_ip_restriction {
      name                      = "allow-deploy-runner"
      priority                  = 100
      action                    = "Allow"
      virtual_network_subnet_id = azurerm_subnet.runner.id
    }

    # Only Front Door (this profile) may call the app: service tag + X-Azure-FDID header.
    ip_restriction {
      name        = "allow-front-door"
      priority    = 100
      action      = "Allow"
      service_tag = "AzureFrontDoor.Backend"
      headers {
        x_azure_fdid = [azurerm_cdn_frontdoor_profile.main.resource_guid]
      }
    }
  }
}

# Data-plane roles for the host (queues, blobs, Durable tables), the deployment container and telemetry ingestion.
locals {
  func_storage_roles = toset([
    "Storage Blob Data Owner",
    "Storage Queue Data Contributor",
    "Storage Table Data Contributor",
  ])
}

resource "azurerm_role_assignment" "func_storage" {
  for_each             = local.func_storage_roles
  scope                = azurerm_storage_account.main.id
  role_definition_name = each.value
  principal_id         = azurerm_function_app_flex_consumption.main.identity[0].principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "func_metrics_publisher" {
  scope                = azurerm_application_insights.main.id
  role_definition_name = "Monitoring Metrics Publisher"
  principal_id         = azurerm_function_app_flex_consumption.main.identity[0].principal_id
  principal_type       = "ServicePrincipal"
}
