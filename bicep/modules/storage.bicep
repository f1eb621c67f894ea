// Storage account: Functions host, Durable task hub, app queues, CFDI/photo blobs, Flex deployment container.
// Shared keys off; public network access off in production; private endpoints for blob, queue and table.
param names object
param location string
param tags object
param isProduction bool
param peSubnetId string
param dnsZoneIds object

// Each app queue plus the "-poison" queue the Functions host fills after maxDequeueCount.
var queues = [
  'domain-events'
  'payments-in'
  'notifications'
  'domain-events-poison'
  'payments-in-poison'
  'notifications-poison'
]

var blobContainers = [
  'cfdi'
  'reading-photos'
  'app-package'
  'db-exports'
]

// Blob lifecycle (terraform/storage.tf, docs/infrastructure.md "Retention"). CFDI XML/PDF: Cool at 90 days, Archive at
// one year, never deleted by a rule: CFF art. 30 keeps fiscal documents 5 years from the filing of the related annual
// return (so up to ~6.25 years after issue) and longer while an appeal or trial is open, which a rule cannot know.
// Monthly database exports: kept one year. Old blob versions (versioning is on) go after 90 days.
var lifecycleRules = [
  {
    name: 'cfdi-tiering'
    prefix: 'cfdi/'
    baseBlob: {
      tierToCool: {
        daysAfterModificationGreaterThan: 90
      }
      tierToArchive: {
        daysAfterModificationGreaterThan: 365
      }
    }
  }
  {
    name: 'reading-photos-tiering'
    prefix: 'reading-photos/'
    baseBlob: {
      tierToCool: {
        daysAfterModificationGreaterThan: 90
      }
    }
  }
  {
    name: 'db-exports-retention'
    prefix: 'db-exports/'
    baseBlob: {
      tierToCool: {
        daysAfterModificationGreaterThan: 0
      }
      delete: {
        daysAfterModificationGreaterThan: 365
      }
    }
  }
]

var privateEndpoints = [
  {
    name: names.pe_blob
    groupId: 'blob'
    zoneId: dnsZoneIds.blob
  }
  {
    name: names.pe_queue
    groupId: 'queue'
    zoneId: dnsZoneIds.queue
  }
  {
    name: names.pe_table
    groupId: 'table'
    zoneId: dnsZoneIds.table
  }
]

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: names.storage
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: isProduction ? 'Standard_ZRS' : 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    publicNetworkAccess: isProduction ? 'Disabled' : 'Enabled'
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'AzureServices, Logging, Metrics'
    }
    sasPolicy: {
      sasExpirationPeriod: '01.00:00:00'
      expirationAction: 'Log'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: {
      enabled: true
      days: isProduction ? 30 : 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: isProduction ? 30 : 7
    }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for c in blobContainers: {
  parent: blobService
  name: c
  properties: {
    publicAccess: 'None'
  }
}]

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [for r in lifecycleRules: {
        name: r.name
        enabled: true
        type: 'Lifecycle'
        definition: {
          filters: {
            blobTypes: [
              'blockBlob'
            ]
            prefixMatch: [
              r.prefix
            ]
          }
          actions: {
            baseBlob: r.baseBlob
            version: {
              delete: {
                daysAfterCreationGreaterThan: 90
              }
            }
          }
        }
      }]
    }
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource queueItems 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for q in queues: {
  parent: queueService
  name: q
}]

resource endpoints 'Microsoft.Network/privateEndpoints@2024-01-01' = [for pe in privateEndpoints: {
  name: pe.name
  location: location
  tags: tags
  properties: {
    subnet: {
      id: peSubnetId
    }
    privateLinkServiceConnections: [
      {
        name: '${pe.name}-connection'
        properties: {
          privateLinkServiceId: account.id
          groupIds: [
            pe.groupId
          ]
        }
      }
    ]
  }
}]

resource zoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-01-01' = [for (pe, i) in privateEndpoints: {
  parent: endpoints[i]
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: pe.groupId
        properties: {
          privateDnsZoneId: pe.zoneId
        }
      }
    ]
  }
}]

output id string = account.id
output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
