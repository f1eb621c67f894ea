// Flex Consumption (FC1) function app (terraform/function.tf): Python 3.11 in functionAppConfig.runtime,
// system-assigned identity, VNet integration, deployment package in blob container app-package by identity.
// Never set on Flex: FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE,
// WEBSITE_CONTENTSHARE, SCM_DO_BUILD_DURING_DEPLOYMENT, WEBSITE_TIME_ZONE (tests/iac enforces it).
param names object
param location string
param tags object
param environment string
param workload string
param subnetId string
@description('snet-runner: the only source admitted to the SCM (Kudu) endpoint, used by deploys.')
param deploySubnetId string
param storageAccountName string
param blobEndpoint string
param keyVaultName string
param keyVaultUri string
param appInsightsName string
param appInsightsConnectionString string
param frontDoorId string
param maximumInstanceCount int
param instanceMemoryMb int
param alwaysReady array
param logLevel string
param pacProvider string
param pacUrl string
param speiAllowedIps string
param corsOrigins string
param whatsappApiUrl string
param whatsappPhoneNumberId string
param anthropicModel string

var postgresFqdn = '${names.postgres}.postgres.database.azure.com'

// Every field of shared.platform.config.Settings (tests/iac/test_app_settings.py lists the documented exceptions).
var appSettings = [
  {
    name: 'ENVIRONMENT'
    value: environment
  }
  {
    name: 'LOG_LEVEL'
    value: logLevel
  }
  // Entra token auth; the login role is the managed identity's name (member of supra_app). No password anywhere.
  {
    name: 'DATABASE_URL'
    value: 'host=${postgresFqdn} port=5432 dbname=supra user=${names.function} sslmode=require'
  }
  {
    name: 'DATABASE_AUTH'
    value: 'entra'
  }
  {
    name: 'DATABASE_POOL_MAX'
    value: '8'
  }
  // Functions host + app storage by managed identity (replaces the AzureWebJobsStorage connection string).
  {
    name: 'AzureWebJobsStorage__accountName'
    value: storageAccountName
  }
  {
    name: 'AzureWebJobsStorage__credential'
    value: 'managedidentity'
  }
  {
    name: 'TASKHUB_NAME'
    value: '${workload}${environment}'
  }
  {
    name: 'QUEUE_DOMAIN_EVENTS'
    value: 'domain-events'
  }
  {
    name: 'QUEUE_PAYMENTS'
    value: 'payments-in'
  }
  {
    name: 'QUEUE_NOTIFICATIONS'
    value: 'notifications'
  }
  {
    name: 'BLOB_CONTAINER_CFDI'
    value: 'cfdi'
  }
  {
    name: 'BLOB_CONTAINER_READING_PHOTOS'
    value: 'reading-photos'
  }
  // NCRONTAB in UTC (Flex has no WEBSITE_TIME_ZONE): daily 08:00 UTC = 02:00 America/Mexico_City; tenants bill on their run_day.
  {
    name: 'BILLING_SCHEDULE'
    value: '0 0 8 * * *'
  }
  {
    name: 'OUTBOX_RELAY_SCHEDULE'
    value: '*/10 * * * * *'
  }
  {
    name: 'PAYMENT_PLAN_CHECK_SCHEDULE'
    value: '0 0 9 * * *'
  }
  {
    name: 'BILLING_CHUNK_SIZE'
    value: '2000'
  }
  {
    name: 'PAC_PROVIDER'
    value: pacProvider
  }
  {
    name: 'PAC_URL'
    value: pacUrl
  }
  {
    name: 'PAC_TIMEOUT_SECONDS'
    value: '20'
  }
  {
    name: 'PAC_MAX_IN_FLIGHT'
    value: '16'
  }
  {
    name: 'SPEI_ALLOWED_IPS'
    value: speiAllowedIps
  }
  {
    name: 'JWT_ISSUER'
    value: 'supra-water'
  }
  {
    name: 'JWT_AUDIENCE'
    value: 'supra-water-api'
  }
  {
    name: 'CORS_ORIGINS'
    value: corsOrigins
  }
  {
    name: 'FRONT_DOOR_ID'
    value: frontDoorId
  }
  {
    name: 'MAX_REQUEST_BYTES'
    value: '1048576'
  }
  {
    name: 'WHATSAPP_API_URL'
    value: whatsappApiUrl
  }
  {
    name: 'WHATSAPP_PHONE_NUMBER_ID'
    value: whatsappPhoneNumberId
  }
  {
    name: 'ANTHROPIC_MODEL'
    value: anthropicModel
  }
  {
    name: 'ANTHROPIC_BASE_URL'
    value: ''
  }
  {
    name: 'AGENT_TIMEOUT_SECONDS'
    value: '20'
  }
  {
    name: 'AGENT_MAX_RETRIES'
    value: '2'
  }
  {
    name: 'AGENT_PRICES_USD_PER_MTOK'
    value: 'input=2.00,output=10.00,cache_write=2.50,cache_read=0.10'
  }
  {
    name: 'AGENT_MAX_TURNS'
    value: '30'
  }
  {
    name: 'AGENT_MAX_CONVERSATION_TOKENS'
    value: '400000'
  }
  {
    name: 'AGENT_MAX_MESSAGE_CHARS'
    value: '2000'
  }
  {
    name: 'WHATSAPP_PROVIDER'
    value: 'meta'
  }
  {
    name: 'PUBLIC_BASE_URL'
    value: ''
  }
  {
    name: 'BOT_RESPONDER'
    value: 'menu'
  }
  {
    name: 'NOTIFICATIONS_RELEASE_SCHEDULE'
    value: '0 */5 * * * *'
  }
  {
    name: 'NOTIFICATIONS_REMINDER_SCHEDULE'
    value: '0 0 15 * * *'
  }
  {
    name: 'CHATWOOT_URL'
    value: ''
  }
  {
    name: 'CHATWOOT_ACCOUNT_ID'
    value: ''
  }
  {
    name: 'CHATWOOT_INBOX_ID'
    value: ''
  }
  {
    name: 'TWILIO_PHONE_NUMBER'
    value: ''
  }
  {
    name: 'CALL_CENTER_NUMBER'
    value: ''
  }
  {
    name: 'KEY_VAULT_URL'
    value: keyVaultUri
  }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    value: appInsightsConnectionString
  }
  {
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
    value: 'Authorization=AAD'
  }
  {
    name: 'PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY'
    value: 'true'
  }
]

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: names.plan
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: names.function
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    publicNetworkAccess: 'Enabled' // Front Door is a public origin; access restrictions below admit only it.
    virtualNetworkSubnetId: subnetId
    clientCertMode: 'Optional'
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}app-package'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMb
        alwaysReady: alwaysReady
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: appSettings
      ipSecurityRestrictionsDefaultAction: 'Deny'
      scmIpSecurityRestrictionsUseMain: false
      scmIpSecurityRestrictionsDefaultAction: 'Deny'
      // Kudu/one-deploy is not public: only the self-hosted deploy runner's subnet reaches it (deploy.yml).
      scmIpSecurityRestrictions: [
        {
          name: 'allow-deploy-runner'
          priority: 100
          action: 'Allow'
          vnetSubnetResourceId: deploySubnetId
        }
      ]
      ipSecurityRestrictions: [
        {
          name: 'allow-front-door'
          priority: 100
          action: 'Allow'
          tag: 'ServiceTag'
          ipAddress: 'AzureFrontDoor.Backend'
          headers: {
            'x-azure-fdid': [
              frontDoorId
            ]
          }
        }
      ]
    }
  }
}

// Deploys authenticate with Entra ID only: no basic-auth publishing credentials.
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

// Built-in role definition ids.
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

var storageRoles = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]

resource storageRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in storageRoles: {
  name: guid(storageAccount.id, site.id, roleId)
  scope: storageAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    principalId: site.identity.principalId
    principalType: 'ServicePrincipal'
  }
}]

// The function identity may only read secret values.
resource kvSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, site.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: site.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, site.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: site.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

output name string = site.name
output id string = site.id
output principalId string = site.identity.principalId
output defaultHostname string = site.properties.defaultHostName
