// Action groups (paging: PagerDuty; ops: Teams/Slack webhook + e-mail), the alert rules of monitoring/alerts.json
// (seed section 5.6 and ours), the seed's section 5.3 workbooks, the /api/health availability test and the budget.
// terraform/monitoring.tf deploys the same from the same files; docs/operations.md explains each alert.
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

@secure()
@description('PagerDuty Events API v2 webhook URL: severity-1 alerts page through it (empty: e-mail only).')
param pagerDutyWebhookUrl string = ''
@secure()
@description('Teams or Slack incoming-webhook URL for severity 2-3 alerts (empty: e-mail only).')
param chatWebhookUrl string = ''

// The alert rules are defined once in devtools/monitoring/alerts.py and rendered to monitoring/alerts.json, which
// this module and terraform/monitoring.tf both load (tests/iac/test_alerts.py checks it is current and loaded).
// severity: 1 = critical (pages: PagerDuty), 2 = warning and 3 = informational (Teams/Slack webhook + e-mail).
var logAlerts = loadJsonContent('../../monitoring/alerts.json')

// Seed section 5.3 dashboards, rendered from devtools/monitoring/dashboards.py (the same files terraform deploys).
var workbooks = [
  {
    key: 'system-overview'
    title: 'System Overview'
    data: loadTextContent('../../monitoring/workbooks/system-overview.workbook.json')
  }
  {
    key: 'api-performance'
    title: 'API Performance'
    data: loadTextContent('../../monitoring/workbooks/api-performance.workbook.json')
  }
  {
    key: 'database-health'
    title: 'Database Health'
    data: loadTextContent('../../monitoring/workbooks/database-health.workbook.json')
  }
  {
    key: 'queues'
    title: 'Queues'
    data: loadTextContent('../../monitoring/workbooks/queues.workbook.json')
  }
  {
    key: 'billing-kpis'
    title: 'Billing KPIs'
    data: loadTextContent('../../monitoring/workbooks/billing-kpis.workbook.json')
  }
  {
    key: 'payment-kpis'
    title: 'Payment KPIs'
    data: loadTextContent('../../monitoring/workbooks/payment-kpis.workbook.json')
  }
  {
    key: 'ai-agents'
    title: 'AI Agents'
    data: loadTextContent('../../monitoring/workbooks/ai-agents.workbook.json')
  }
  {
    key: 'infrastructure'
    title: 'Infrastructure'
    data: loadTextContent('../../monitoring/workbooks/infrastructure.workbook.json')
  }
]

// Availability: /api/health through Front Door every minute from 5 locations (seed 5.7: 3 consecutive failures).
var availabilityLocations = [
  'us-tx-sn1-azr'
  'us-il-ch1-azr'
  'us-ca-sjc-azr'
  'us-va-ash-azr'
  'latam-br-gru-edge'
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
    webhookReceivers: empty(chatWebhookUrl) ? [] : [
      {
        name: 'ops-chat'
        serviceUri: chatWebhookUrl
        useCommonAlertSchema: true
      }
    ]
  }
}

resource pagingGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${names.action_group}-paging'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'suprapage'
    enabled: true
    emailReceivers: [
      {
        name: 'ops-mailbox'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
    webhookReceivers: empty(pagerDutyWebhookUrl) ? [] : [
      {
        name: 'pagerduty'
        serviceUri: pagerDutyWebhookUrl
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
        a.severity == 1 ? pagingGroup.id : actionGroup.id
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
        actionGroupId: pagingGroup.id
      }
    ]
  }
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = [for w in workbooks: {
  name: guid(resourceGroup().id, 'workbooks', w.key)
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: '${w.title} (${names.workbook})'
    category: 'workbook'
    sourceId: toLower(appInsightsId)
    serializedData: w.data
  }
}]

resource fdEndpoint 'Microsoft.Cdn/profiles/afdEndpoints@2024-02-01' existing = {
  parent: frontDoor
  name: names.fd_endpoint
}

resource apiHealth 'Microsoft.Insights/webtests@2022-06-15' = {
  name: 'webtest-${workload}-${environment}-api-health'
  location: location
  tags: union(tags, {
    'hidden-link:${appInsightsId}': 'Resource'
  })
  kind: 'standard'
  properties: {
    SyntheticMonitorId: 'webtest-${workload}-${environment}-api-health'
    Name: 'api-health'
    Description: 'GET /api/health through Front Door, every minute from 5 locations (alert api-health-down)'
    Enabled: true
    Frequency: 60
    Timeout: 30
    Kind: 'standard'
    RetryEnabled: false
    Locations: [for l in availabilityLocations: {
      Id: l
    }]
    Request: {
      RequestUrl: 'https://${fdEndpoint.properties.hostName}/api/health'
      HttpVerb: 'GET'
      ParseDependentRequests: false
    }
    ValidationRules: {
      ExpectedHttpStatusCode: 200
      SSLCheck: true
      SSLCertRemainingLifetimeCheck: 7
    }
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
output pagingActionGroupId string = pagingGroup.id
