// SUPRA Water: one resource group per environment in Mexico Central, deployed at subscription scope:
//   az deployment sub create -l mexicocentral -f bicep/main.bicep -p bicep/env/<env>.parameters.json
// terraform/ declares the same resources with the same names (tests/iac checks parity).
targetScope = 'subscription'

@allowed([
  'dev'
  'staging'
  'production'
])
param environment string

@description('Short workload name used in every resource name.')
@minLength(3)
@maxLength(10)
param workload string = 'supra'

@description('Data residency (LFPDPPP): everything lives in Mexico Central.')
@allowed([
  'mexicocentral'
])
param location string = 'mexicocentral'

param vnetAddressSpace string

@description('Subnet CIDRs {func, pe, pg, runner} inside vnetAddressSpace (/24 number 1..4).')
param subnetPrefixes object
param postgresSku string
param postgresStorageGb int
param postgresMaxConnections int
param postgresAdminGroupObjectId string
param postgresAdminGroupName string
param functionMaximumInstanceCount int
param functionInstanceMemoryMb int = 2048

@description('Always-ready instances per Flex scale group, e.g. [{name: \'durable\', instanceCount: 1}].')
param alwaysReady array = []

param logRetentionDays int

@description('Log Analytics ingestion cap per day (GB); ingestion stops for the day when reached (cost control).')
param logDailyQuotaGb int

@description('Public DNS zone of the API, delegated to Azure DNS; declared by the production deployment only.')
param dnsZoneName string = 'supra.ceaqueretaro.gob.mx'
param dnsZoneResourceGroup string = 'rg-supra-production'

@description('Host label of this environment\'s API in dnsZoneName: api (production), staging-api, dev-api.')
param apiHostLabel string
param alertEmail string
@secure()
@description('PagerDuty Events API v2 webhook URL for severity-1 alerts (pipeline secret; empty: e-mail only).')
param pagerDutyWebhookUrl string = ''
@secure()
@description('Teams/Slack incoming-webhook URL for severity 2-3 alerts (pipeline secret; empty: e-mail only).')
param chatWebhookUrl string = ''
param monthlyBudgetMxn int
param budgetStartDate string = '2026-01-01'

@description('Optional WAF geo filter: allowed ISO country codes. Empty = no geo filter.')
param wafAllowedCountries array = []

param logLevel string = 'INFO'

@allowed([
  'finkok'
  'simulator'
])
param pacProvider string
param pacUrl string
param speiAllowedIps string = ''
param corsOrigins string = ''
param whatsappApiUrl string = 'https://graph.facebook.com/v20.0'
param whatsappPhoneNumberId string = ''
param anthropicModel string = 'claude-sonnet-4-5'
param tags object = {}

var isProduction = environment == 'production'
var apiHostname = '${apiHostLabel}.${dnsZoneName}'

// Naming convention: <abbreviation>-<workload>-<environment>[-<purpose>]; storage/WAF names are alphanumeric only.
var names = {
  resource_group: 'rg-${workload}-${environment}'
  vnet: 'vnet-${workload}-${environment}'
  nsg_func: 'nsg-${workload}-${environment}-func'
  nsg_pe: 'nsg-${workload}-${environment}-pe'
  nsg_pg: 'nsg-${workload}-${environment}-pg'
  nsg_runner: 'nsg-${workload}-${environment}-runner'
  storage: 'st${workload}${environment}'
  log_analytics: 'log-${workload}-${environment}'
  app_insights: 'appi-${workload}-${environment}'
  plan: 'asp-${workload}-${environment}'
  function: 'func-${workload}-${environment}'
  postgres: 'psql-${workload}-${environment}'
  postgres_dns: 'psql-${workload}-${environment}.private.postgres.database.azure.com'
  key_vault: 'kv-${workload}-${environment}'
  pe_blob: 'pe-${workload}-${environment}-blob'
  pe_queue: 'pe-${workload}-${environment}-queue'
  pe_table: 'pe-${workload}-${environment}-table'
  pe_key_vault: 'pe-${workload}-${environment}-kv'
  front_door: 'afd-${workload}-${environment}'
  fd_endpoint: 'fde-${workload}-${environment}'
  fd_origin: 'func-origin'
  fd_origingroup: 'func-origins'
  fd_route: 'api-route'
  fd_custom_domain: 'api-domain'
  fd_security: 'waf-${workload}-${environment}-policy'
  waf_policy: 'waf${workload}${environment}'
  action_group: 'ag-${workload}-${environment}'
  workbook: 'wb-${workload}-${environment}-operations'
  budget: 'budget-${workload}-${environment}'
}

var allTags = union({
  project: 'supra-water'
  environment: environment
  managed_by: 'bicep'
}, tags)

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: names.resource_group
  location: location
  tags: allTags
}

module network 'modules/network.bicep' = {
  name: 'network'
  scope: rg
  params: {
    names: names
    location: location
    tags: allTags
    addressSpace: vnetAddressSpace
    prefixes: subnetPrefixes
  }
}

module observability 'modules/observability.bicep' = {
  name: 'observability'
  scope: rg
  params: {
    names: names
    location: location
    tags: allTags
    retentionDays: logRetentionDays
    dailyQuotaGb: logDailyQuotaGb
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    names: names
    location: location
    tags: allTags
    isProduction: isProduction
    peSubnetId: network.outputs.peSubnetId
    dnsZoneIds: network.outputs.dnsZoneIds
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    names: names
    location: location
    tags: allTags
    isProduction: isProduction
    peSubnetId: network.outputs.peSubnetId
    dnsZoneId: network.outputs.dnsZoneIds.key_vault
  }
}

module database 'modules/database.bicep' = {
  name: 'database'
  scope: rg
  params: {
    names: names
    location: location
    tags: allTags
    isProduction: isProduction
    sku: postgresSku
    storageGb: postgresStorageGb
    maxConnections: postgresMaxConnections
    subnetId: network.outputs.pgSubnetId
    dnsZoneId: network.outputs.dnsZoneIds.postgres
    adminGroupObjectId: postgresAdminGroupObjectId
    adminGroupName: postgresAdminGroupName
  }
}

module frontDoor 'modules/frontdoor.bicep' = {
  name: 'frontdoor'
  scope: rg
  params: {
    names: names
    tags: allTags
    allowedCountries: wafAllowedCountries
  }
}

module functionApp 'modules/function.bicep' = {
  name: 'function'
  scope: rg
  params: {
    names: names
    location: location
    tags: allTags
    environment: environment
    workload: workload
    subnetId: network.outputs.funcSubnetId
    deploySubnetId: network.outputs.runnerSubnetId
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    keyVaultName: keyVault.outputs.name
    keyVaultUri: keyVault.outputs.uri
    appInsightsName: observability.outputs.appInsightsName
    appInsightsConnectionString: observability.outputs.connectionString
    frontDoorId: frontDoor.outputs.frontDoorId
    maximumInstanceCount: functionMaximumInstanceCount
    instanceMemoryMb: functionInstanceMemoryMb
    alwaysReady: alwaysReady
    logLevel: logLevel
    pacProvider: pacProvider
    pacUrl: pacUrl
    speiAllowedIps: speiAllowedIps
    corsOrigins: corsOrigins
    whatsappApiUrl: whatsappApiUrl
    whatsappPhoneNumberId: whatsappPhoneNumberId
    anthropicModel: anthropicModel
  }
}

module frontDoorRoutes 'modules/frontdoor-routes.bicep' = {
  name: 'frontdoor-routes'
  scope: rg
  params: {
    names: names
    functionHostname: functionApp.outputs.defaultHostname
    apiHostname: apiHostname
  }
  dependsOn: [
    frontDoor
  ]
}

module dns 'modules/dns.bicep' = {
  name: 'dns-${environment}'
  scope: resourceGroup(dnsZoneResourceGroup)
  params: {
    manageZone: isProduction
    dnsZoneName: dnsZoneName
    apiHostLabel: apiHostLabel
    endpointHostname: frontDoorRoutes.outputs.endpointHostname
    validationToken: frontDoorRoutes.outputs.apiValidationToken
    tags: allTags
  }
  dependsOn: [
    rg
  ]
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    names: names
    location: location
    tags: allTags
    environment: environment
    workload: workload
    appInsightsId: observability.outputs.appInsightsId
    workspaceId: observability.outputs.workspaceId
    postgresId: database.outputs.id
    postgresMaxConnections: postgresMaxConnections
    alertEmail: alertEmail
    pagerDutyWebhookUrl: pagerDutyWebhookUrl
    chatWebhookUrl: chatWebhookUrl
    monthlyBudget: monthlyBudgetMxn
    budgetStartDate: budgetStartDate
  }
  dependsOn: [
    storage
    keyVault
    functionApp
    frontDoorRoutes
  ]
}

output resourceGroupName string = rg.name
output functionAppName string = functionApp.outputs.name
output functionPrincipalId string = functionApp.outputs.principalId
output frontDoorHostname string = frontDoorRoutes.outputs.endpointHostname
output apiHostname string = dns.outputs.apiFqdn
// Webhook URLs registered with the providers (Conekta, SPEI, Meta, Chatwoot, Twilio) start with this (README).
output apiBaseUrl string = 'https://${apiHostname}'
output frontDoorId string = frontDoor.outputs.frontDoorId
output postgresFqdn string = database.outputs.fqdn
output keyVaultName string = keyVault.outputs.name
output keyVaultSecretNames array = keyVault.outputs.secretNames
output storageAccountName string = storage.outputs.name
