// Action group, alert rules mapped from the seed plan (section 5.6), the operations workbook and the budget
// (terraform/monitoring.tf declares the same alerts; tests/iac checks parity of names, severities and thresholds).
// Custom metric names are the telemetry contract in docs/infrastructure.md.
param names object
param location string
param tags object
param environment string
param workload string
param appInsightsId string
param workspaceId string
param postgresId string
param postgresMaxConnections int
param alertEmail string
param monthlyBudget int
param budgetStartDate string

// severity: 1 = critical/paging, 2 = warning.
var logAlerts = [
  {
    key: 'http-5xx-critical'
    severity: 1
    description: '5xx rate above 5% for 5 minutes'
    window: 'PT5M'
    frequency: 'PT5M'
    measure: 'rate_pct'
    operator: 'GreaterThan'
    threshold: 5
    query: '''
requests
| summarize total = count(), failed = countif(toint(resultCode) >= 500)
| extend rate_pct = iff(total == 0, 0.0, 100.0 * failed / total)
'''
  }
  {
    key: 'http-5xx-warning'
    severity: 2
    description: '5xx rate above 1% for 5 minutes'
    window: 'PT5M'
    frequency: 'PT5M'
    measure: 'rate_pct'
    operator: 'GreaterThan'
    threshold: 1
    query: '''
requests
| summarize total = count(), failed = countif(toint(resultCode) >= 500)
| extend rate_pct = iff(total == 0, 0.0, 100.0 * failed / total)
'''
  }
  {
    key: 'latency-p95-warning'
    severity: 2
    description: 'P95 request latency above 300 ms (performance target)'
    window: 'PT5M'
    frequency: 'PT5M'
    measure: 'p95_ms'
    operator: 'GreaterThan'
    threshold: 300
    query: '''
requests
| summarize p95_ms = percentile(duration, 95)
'''
  }
  {
    key: 'latency-p95-paging'
    severity: 1
    description: 'P95 request latency above 2 s for 5 minutes'
    window: 'PT5M'
    frequency: 'PT5M'
    measure: 'p95_ms'
    operator: 'GreaterThan'
    threshold: 2000
    query: '''
requests
| summarize p95_ms = percentile(duration, 95)
'''
  }
  {
    key: 'queue-backlog'
    severity: 2
    description: 'A storage queue has had more than 1000 waiting messages for 10 minutes'
    window: 'PT10M'
    frequency: 'PT5M'
    measure: 'waiting'
    operator: 'GreaterThan'
    threshold: 1000
    query: '''
customMetrics
| where name == "queue_messages_waiting"
| summarize waiting_min = min(valueMin) by queue = tostring(customDimensions["queue"])
| summarize waiting = max(waiting_min)
'''
  }
  {
    key: 'queue-poison'
    severity: 1
    description: 'Messages landed in a -poison queue'
    window: 'PT15M'
    frequency: 'PT5M'
    measure: 'poisoned'
    operator: 'GreaterThan'
    threshold: 0
    query: '''
customMetrics
| where name == "queue_poison_messages_total"
| summarize poisoned = sum(valueSum)
| extend poisoned = coalesce(poisoned, 0.0)
'''
  }
  {
    key: 'cfdi-stamping-failures'
    severity: 1
    description: 'CFDI stamping failures detected (revenue impact)'
    window: 'PT15M'
    frequency: 'PT5M'
    measure: 'failures'
    operator: 'GreaterThan'
    threshold: 0
    query: '''
customMetrics
| where name == "cfdi_stamping_failures_total"
| summarize failures = sum(valueSum)
| extend failures = coalesce(failures, 0.0)
'''
  }
  {
    key: 'billing-no-invoices'
    severity: 2
    description: 'No invoices generated in 24 h during the billing window (days 2-6 of the month, UTC)'
    window: 'P1D'
    frequency: 'PT1H'
    measure: 'invoices'
    operator: 'LessThan'
    threshold: 1
    query: '''
let in_billing_window = dayofmonth(now()) between (2 .. 6);
customMetrics
| where name == "billing_invoices_generated_total"
| summarize invoices = sum(valueSum)
| extend invoices = coalesce(invoices, 0.0)
| where in_billing_window
'''
  }
  {
    key: 'payments-reconciliation-stalled'
    severity: 2
    description: 'No payments reconciled in 6 hours'
    window: 'PT6H'
    frequency: 'PT1H'
    measure: 'reconciled'
    operator: 'LessThan'
    threshold: 1
    query: '''
customMetrics
| where name == "payments_reconciled_total"
| summarize reconciled = sum(valueSum)
| extend reconciled = coalesce(reconciled, 0.0)
'''
  }
]

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: names.action_group
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'supraops'
    enabled: true
    emailReceivers: [
      {
        name: 'ops-mailbox'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

resource logAlertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [for a in logAlerts: {
  name: 'alert-${workload}-${environment}-${a.key}'
  location: location
  tags: tags
  properties: {
    description: a.description
    severity: a.severity
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: a.frequency
    windowSize: a.window
    autoMitigate: true
    criteria: {
      allOf: [
        {
          query: a.query
          timeAggregation: 'Maximum'
          metricMeasureColumn: a.measure
          operator: a.operator
          threshold: a.threshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}]

// Platform metric: PostgreSQL connections above 85% of max_connections.
resource postgresConnections 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${workload}-${environment}-postgres-connections'
  location: 'global'
  tags: tags
  properties: {
    description: 'PostgreSQL active connections above 85% of max_connections'
    severity: 1
    enabled: true
    scopes: [
      postgresId
    ]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'active-connections'
          metricNamespace: 'Microsoft.DBforPostgreSQL/flexibleServers'
          metricName: 'active_connections'
          timeAggregation: 'Maximum'
          operator: 'GreaterThan'
          threshold: postgresMaxConnections * 85 / 100
        }
      ]
    }
    actions: [
      {
        actionGroupId: actionGroup.id
      }
    ]
  }
}

// Workbook (dashboard): billing, payments and system health. The JSON is shared verbatim with the Terraform tree.
resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, 'workbooks', 'operations')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: names.workbook
    category: 'workbook'
    sourceId: toLower(appInsightsId)
    serializedData: loadTextContent('../workbooks/operations.workbook.json')
  }
}

resource budget 'Microsoft.Consumption/budgets@2023-05-01' = {
  name: names.budget
  properties: {
    category: 'Cost'
    amount: monthlyBudget
    timeGrain: 'Monthly'
    timePeriod: {
      startDate: budgetStartDate
    }
    notifications: {
      actual80: {
        enabled: true
        operator: 'GreaterThanOrEqualTo'
        threshold: 80
        thresholdType: 'Actual'
        contactGroups: [
          actionGroup.id
        ]
      }
      forecast100: {
        enabled: true
        operator: 'GreaterThanOrEqualTo'
        threshold: 100
        thresholdType: 'Forecasted'
        contactGroups: [
          actionGroup.id
        ]
      }
    }
  }
}

// Resource logs to Log Analytics (storage data-plane reads/writes, Key Vault audit, PostgreSQL, function host,
// Front Door access + WAF). Storage Insights would need an account key, which is disabled.
var allLogs = [
  {
    categoryGroup: 'allLogs'
    enabled: true
  }
]

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: names.storage
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storageAccount
  name: 'default'
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' existing = {
  parent: storageAccount
  name: 'default'
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: names.key_vault
}

resource postgres 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' existing = {
  name: names.postgres
}

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: names.function
}

resource frontDoor 'Microsoft.Cdn/profiles@2024-02-01' existing = {
  name: names.front_door
}

resource diagBlob 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'diag-storage-blob'
  scope: blobService
  properties: {
    workspaceId: workspaceId
    logs: allLogs
  }
}

resource diagQueue 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'diag-storage-queue'
  scope: queueService
  properties: {
    workspaceId: workspaceId
    logs: allLogs
  }
}

resource diagVault 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'diag-key-vault'
  scope: vault
  properties: {
    workspaceId: workspaceId
    logs: allLogs
  }
}

resource diagPostgres 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'diag-postgres'
  scope: postgres
  properties: {
    workspaceId: workspaceId
    logs: allLogs
  }
}

resource diagFunction 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'diag-function'
  scope: site
  properties: {
    workspaceId: workspaceId
    logs: allLogs
  }
}

resource diagFrontDoor 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'diag-front-door'
  scope: frontDoor
  properties: {
    workspaceId: workspaceId
    logs: allLogs
  }
}

output actionGroupId string = actionGroup.id
