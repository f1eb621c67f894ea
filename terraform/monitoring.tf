# Log Analytics + workspace-based Application Insights, the action groups (paging: PagerDuty; ops: Teams/Slack webhook +
# e-mail), the alert rules of monitoring/alerts.json (seed section 5.6 and ours), the seed's section 5.3 workbooks, the
# /api/health availability test and the budget. bicep/modules/monitoring.bicep deploys the same from the same files.

resource "azurerm_log_analytics_workspace" "main" {
  name                = local.names.log_analytics
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  sku                 = "PerGB2018"
  retention_in_days   = var.log_retention_days
  daily_quota_gb      = var.log_daily_quota_gb
  tags                = local.tags
}

resource "azurerm_application_insights" "main" {
  name                          = local.names.app_insights
  location                      = azurerm_resource_group.main.location
  resource_group_name           = azurerm_resource_group.main.name
  workspace_id                  = azurerm_log_analytics_workspace.main.id
  application_type              = "web"
  local_authentication_disabled = true
  tags                          = local.tags
}

resource "azurerm_monitor_action_group" "ops" {
  name                = local.names.action_group
  resource_group_name = azurerm_resource_group.main.name
  short_name          = "supraops"
  tags                = local.tags

  email_receiver {
    name                    = "ops-mailbox"
    email_address           = var.alert_email
    use_common_alert_schema = true
  }

  dynamic "webhook_receiver" {
    for_each = var.chat_webhook_url == "" ? [] : [var.chat_webhook_url]
    content {
      name                    = "ops-chat"
      service_uri             = webhook_receiver.value
      use_common_alert_schema = true
    }
  }
}

resource "azurerm_monitor_action_group" "paging" {
  name                = "${local.names.action_group}-paging"
  resource_group_name = azurerm_resource_group.main.name
  short_name          = "suprapage"
  tags                = local.tags

  email_receiver {
    name                    = "ops-mailbox"
    email_address           = var.alert_email
    use_common_alert_schema = true
  }

  dynamic "webhook_receiver" {
    for_each = var.pagerduty_webhook_url == "" ? [] : [var.pagerduty_webhook_url]
    content {
      name                    = "pagerduty"
      service_uri             = webhook_receiver.value
      use_common_alert_schema = true
    }
  }
}

# The alert rules are defined once in devtools/monitoring/alerts.py and rendered to monitoring/alerts.json, which this
# file and bicep/modules/monitoring.bicep both load (tests/iac/test_alerts.py checks it is current and loaded).
# severity: 1 = critical (pages: PagerDuty), 2 = warning and 3 = informational (Teams/Slack webhook + e-mail).
locals {
  log_alerts = { for a in jsondecode(file("${path.module}/../monitoring/alerts.json")) : a.key => a }

  # Seed section 5.3 dashboards, rendered from devtools/monitoring/dashboards.py (the same files bicep deploys).
  workbooks = {
    "system-overview" = "System Overview"
    "api-performance" = "API Performance"
    "database-health" = "Database Health"
    "queues"          = "Queues"
    "billing-kpis"    = "Billing KPIs"
    "payment-kpis"    = "Payment KPIs"
    "ai-agents"       = "AI Agents"
    "infrastructure"  = "Infrastructure"
  }

  # Availability: /api/health through Front Door every minute from 5 locations (seed 5.7: 3 consecutive failures).
  availability_locations = ["us-tx-sn1-azr", "us-il-ch1-azr", "us-ca-sjc-azr", "us-va-ash-azr", "latam-br-gru-edge"]
}

resource "azurerm_monitor_scheduled_query_rules_alert_v2" "log_alerts" {
  for_each                = local.log_alerts
  name                    = "alert-${var.workload}-${var.environment}-${each.key}"
  resource_group_name     = azurerm_resource_group.main.name
  location                = azurerm_resource_group.main.location
  description             = each.value.description
  severity                = each.value.severity
  scopes                  = [azurerm_application_insights.main.id]
  window_duration         = each.value.window
  evaluation_frequency    = each.value.frequency
  enabled                 = true
  auto_mitigation_enabled = true
  tags                    = local.tags

  criteria {
    query                   = each.value.query
    time_aggregation_method = "Maximum"
    metric_measure_column   = each.value.measure
    operator                = each.value.operator
    threshold               = each.value.threshold

    failing_periods {
      number_of_evaluation_periods             = 1
      minimum_failing_periods_to_trigger_alert = 1
    }
  }

  action {
    action_groups = [each.value.severity == 1 ? azurerm_monitor_action_group.paging.id : azurerm_monitor_action_group.ops.id]
  }
}

# Platform metric: PostgreSQL connections above 85% of max_connections.
resource "azurerm_monitor_metric_alert" "postgres_connections" {
  name                = "alert-${var.workload}-${var.environment}-postgres-connections"
  resource_group_name = azurerm_resource_group.main.name
  scopes              = [azurerm_postgresql_flexible_server.main.id]
  description         = "PostgreSQL active connections above 85% of max_connections"
  severity            = 1
  frequency           = "PT1M"
  window_size         = "PT5M"
  tags                = local.tags

  criteria {
    metric_namespace = "Microsoft.DBforPostgreSQL/flexibleServers"
    metric_name      = "active_connections"
    aggregation      = "Maximum"
    operator         = "GreaterThan"
    threshold        = floor(var.postgres_max_connections * 85 / 100)
  }

  action {
    action_group_id = azurerm_monitor_action_group.paging.id
  }
}

resource "azurerm_application_insights_workbook" "dashboards" {
  for_each            = local.workbooks
  name                = uuidv5("url", "https://supra-water/${var.environment}/workbooks/${each.key}")
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  display_name        = "${each.value} (${local.names.workbook})"
  source_id           = lower(azurerm_application_insights.main.id)
  category            = "workbook"
  data_json           = file("${path.module}/../monitoring/workbooks/${each.key}.workbook.json")
  tags                = local.tags
}

resource "azurerm_application_insights_standard_web_test" "api_health" {
  name                    = "webtest-${var.workload}-${var.environment}-api-health"
  resource_group_name     = azurerm_resource_group.main.name
  location                = azurerm_resource_group.main.location
  application_insights_id = azurerm_application_insights.main.id
  description             = "GET /api/health through Front Door, every minute from 5 locations (alert api-health-down)"
  frequency               = 60
  timeout                 = 30
  enabled                 = true
  retry_enabled           = false
  geo_locations           = local.availability_locations
  tags                    = local.tags

  request {
    url       = "https://${azurerm_cdn_frontdoor_endpoint.main.host_name}/api/health"
    http_verb = "GET"
  }

  validation_rules {
    expected_status_code        = 200
    ssl_check_enabled           = true
    ssl_cert_remaining_lifetime = 7
  }
}

resource "azurerm_consumption_budget_resource_group" "main" {
  name              = local.names.budget
  resource_group_id = azurerm_resource_group.main.id
  amount            = var.monthly_budget_mxn
  time_grain        = "Monthly"

  time_period {
    start_date = var.budget_start_date
  }

  notification {
    enabled        = true
    threshold      = 80
    operator       = "GreaterThanOrEqualTo"
    threshold_type = "Actual"
    contact_groups = [azurerm_monitor_action_group.ops.id]
  }

  notification {
    enabled        = true
    threshold      = 100
    operator       = "GreaterThanOrEqualTo"
    threshold_type = "Forecasted"
    contact_groups = [azurerm_monitor_action_group.ops.id]
  }
}

# Resource logs to Log Analytics (storage data-plane reads/writes, Key Vault audit, PostgreSQL, function host, Front Door
# access + WAF). Storage Insights would need an account key, which is disabled.
locals {
  diagnostic_targets = {
    "storage-blob"  = "${azurerm_storage_account.main.id}/blobServices/default"
    "storage-queue" = "${azurerm_storage_account.main.id}/queueServices/default"
    "key-vault"     = azurerm_key_vault.main.id
    "postgres"      = azurerm_postgresql_flexible_server.main.id
    "function"      = azurerm_function_app_flex_consumption.main.id
    "front-door"    = azurerm_cdn_frontdoor_profile.main.id
  }
}

resource "azurerm_monitor_diagnostic_setting" "logs" {
  for_each                   = local.diagnostic_targets
  name                       = "diag-${each.key}"
  target_resource_id         = each.value
  log_analytics_workspace_id = azurerm_log_analytics_workspace.main.id

  enabled_log {
    category_group = "allLogs"
  }
}
