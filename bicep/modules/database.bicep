// PostgreSQL 16 Flexible Server: private access (delegated subnet + private DNS zone), Entra-only authentication,
// production HA (zone redundant) + 35-day geo-redundant backups. Roles: docs/infrastructure.md "Database bootstrap".
param names object
param location string
param tags object
param isProduction bool
param sku string
param storageGb int
param maxConnections int
param subnetId string
param dnsZoneId string
param adminGroupObjectId string
param adminGroupName string

var skuTier = startsWith(sku, 'B_') ? 'Burstable' : (startsWith(sku, 'GP_') ? 'GeneralPurpose' : 'MemoryOptimized')

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: names.postgres
  location: location
  tags: tags
  sku: {
    name: substring(sku, indexOf(sku, '_') + 1)
    tier: skuTier
  }
  properties: {
    version: '16'
    availabilityZone: '1'
    storage: {
      storageSizeGB: storageGb
      autoGrow: 'Enabled'
    }
    network: {
      delegatedSubnetResourceId: subnetId
      privateDnsZoneArmResourceId: dnsZoneId
      publicNetworkAccess: 'Disabled'
    }
    authConfig: {
      activeDirectoryAuth: 'Enabled'
      passwordAuth: 'Disabled'
      tenantId: subscription().tenantId
    }
    backup: {
      backupRetentionDays: isProduction ? 35 : 7
      geoRedundantBackup: isProduction ? 'Enabled' : 'Disabled'
    }
    highAvailability: {
      mode: isProduction ? 'ZoneRedundant' : 'Disabled'
      standbyAvailabilityZone: isProduction ? '2' : null
    }
    maintenanceWindow: {
      customWindow: 'Enabled'
      dayOfWeek: 0
      startHour: 9
      startMinute: 0
    }
  }
}

resource admins 'Microsoft.DBforPostgreSQL/flexibleServers/administrators@2024-08-01' = {
  parent: server
  name: adminGroupObjectId
  properties: {
    principalType: 'Group'
    principalName: adminGroupName
    tenantId: subscription().tenantId
  }
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: server
  name: 'supra'
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
}

var configurations = [
  {
    name: 'azure.extensions'
    value: 'PGCRYPTO,BTREE_GIST,PG_TRGM,PG_STAT_STATEMENTS,UNACCENT'
  }
  {
    name: 'shared_preload_libraries'
    value: 'pg_stat_statements'
  }
  {
    name: 'require_secure_transport'
    value: 'on'
  }
  {
    name: 'ssl_min_protocol_version'
    value: 'TLSv1.2'
  }
  {
    name: 'max_connections'
    value: string(maxConnections)
  }
  {
    name: 'log_min_duration_statement'
    value: '500'
  }
  {
    name: 'log_connections'
    value: 'on'
  }
  {
    name: 'log_disconnections'
    value: 'on'
  }
  {
    name: 'log_checkpoints'
    value: 'on'
  }
  {
    name: 'connection_throttle.enable'
    value: 'on'
  }
]

// Server parameters must be applied one at a time.
@batchSize(1)
resource settings 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = [for c in configurations: {
  parent: server
  name: c.name
  properties: {
    value: c.value
    source: 'user-override'
  }
  dependsOn: [
    admins
  ]
}]

output id string = server.id
output fqdn string = server.properties.fullyQualifiedDomainName
