# Log Analytics + workspace-based Application Insights, the action group, alert rules mapped from the seed plan
# (section 5.6), the operations workbook and the budget. Custom metric names are the telemetry contract listed in
# docs/infrastructure.md; bicep/modules/monitoring.bicep defines the same alerts (parity checked by tests/iac).

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
}

# Log-search alerts over Application Insights. severity: 1 = critical/paging, 2 = warning.
locals {
  log_alerts = {
    "http-5xx-critical" = {
      severity    = 1
      description = "5xx rate above 5% for 5 minutes"
      window      = "PT5M"
      frequency   = "PT5M"
      measure     = "rate_pct"
      operator    = "GreaterThan"
      threshold   = 5
      query       = <<-KQL
        requests
        | summarize total = count(), failed = countif(toint(resultCode) >= 500)
        | extend rate_pct = iff(total == 0, 0.0, 100.0 * failed / total)
      KQL
    }
    "http-5xx-warning" = {
      severity    = 2
      description = "5xx rate above 1% for 5 minutes"
      window      = "PT5M"
      frequency   = "PT5M"
      measure     = "rate_pct"
      operator    = "GreaterThan"
      threshold   = 1
      query       = <<-KQL
        requests
        | summarize total = count(), failed = countif(toint(resultCode) >= 500)
        | extend rate_pct = iff(total == 0, 0.0, 100.0 * failed / total)
      KQL
    }
    "latency-p95-warning" = {
      severity    = 2
      description = "P95 request latency above 300 ms (performance target)"
      window      = "PT5M"
      frequency   = "PT5M"
      measure     = "p95_ms"
      operator    = "GreaterThan"
      threshold   = 300
      query       = <<-KQL
        requests
        | summarize p95_ms = percentile(duration, 95)
      KQL
    }
    "latency-p95-paging" = {
      severity    = 1
      description = "P95 request latency above 2 s for 5 minutes"
      window      = "PT5M"
      frequency   = "PT5M"
      measure     = "p95_ms"
      operator    = "GreaterThan"
      threshold   = 2000
      query       = <<-KQL
        requests
        | summarize p95_ms = percentile(duration, 95)
      KQL
    }
    "queue-backlog" = {
      severity    = 2
      description = "A storage queue has had more than 1000 waiting messages for 10 minutes"
      window      = "PT10M"
      frequency   = "PT5M"
      measure     = "waiting"
      operator    = "GreaterThan"
      threshold   = 1000
      query       = <<-KQL
        customMetrics
        | where name == "queue_messages_waiting"
        | summarize waiting_min = min(valueMin) by queue = tostring(customDimensions["queue"])
        | summarize waiting = max(waiting_min)
      KQL
    }
    "queue-poison" = {
      severity    = 1
      description = "Messages landed in a -poison queue"
      window      = "PT15M"
      frequency   = "PT5M"
      measure     = "poisoned"
      operator    = "GreaterThan"
      threshold   = 0
      query       = <<-KQL
        customMetrics
        | where name == "queue_poison_messages_total"
        | summarize poisoned = sum(valueSum)
        | extend poisoned = coalesce(poisoned, 0.0)
      KQL
    }
    "cfdi-stamping-failures" = {
      severity    = 1
      description = "CFDI stamping failures detected (revenue impact)"
      window      = "PT15M"
      frequency   = "PT5M"
      measure     = "failures"
      operator    = "GreaterThan"
      threshold   = 0
      query       = <<-KQL
        customMetrics
        | where name == "cfdi_stamping_failures_total"
        | summarize failures = sum(valueSum)
        | extend failures = coalesce(failures, 0.0)
      KQL
    }
    "billing-no-invoices" = {
      severity    = 2
      description = "No invoices generated in 24 h during the billing window (days 2-6 of the month, UTC)"
      window      = "P1D"
      frequency   = "PT1H"
      measure     = "invoices"
      operator    = "LessThan"
      threshold   = 1
      query       = <<-KQL
        let in_billing_window = dayofmonth(now()) between (2 .. 6);
        customMetrics
        | where name == "billing_invoices_generated_total"
        | summarize invoices = sum(valueSum)
        | extend invoices = coalesce(invoices, 0.0)
        | where in_billing_window
      KQL
    }
    "payments-reconciliation-stalled" = {
      severity    = 2
      description = "No payments reconciled in 6 hours"
      window      = "PT6H"
      frequency   = "PT1H"
      measure     = "reconciled"
      operator    = "LessThan"
      threshold   = 1
      query       = <<-KQL
        customMetrics
        | where name == "payments_reconciled_total"
        | summarize reconciled = sum(valueSum)
        | extend reconciled = coalesce(reconciled, 0.0)
      KQL
    }
  }
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
    action_groups = [azurerm_monitor_action_group.ops.id]
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
    action_group_id = azurerm_monitor_action_group.ops.id
  }
}

# Workbook (dashboard): billing, payments and system health. The JSON is shared verbatim with the Bicep tree.
resource "azurerm_application_insights_workbook" "operations" {
  name                = uuidv5("url", "https://supra-water/${var.environment}/workbooks/operations")
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  display_name        = local.names.workbook
  source_id           = lower(azurerm_application_insights.main.id)
  category            = "workbook"
  data_json           = file("${path.module}/workbooks/operations.workbook.json")
  tags                = local.tags
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
