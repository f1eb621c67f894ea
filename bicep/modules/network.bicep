// VNet, subnets, NSGs and private DNS zones (terraform/network.tf). snet-func: Flex VNet integration (outbound),
// snet-pe: private endpoints, snet-pg: PostgreSQL (delegated), snet-runner: self-hosted deploy runner (migrations).
param names object
param location string
param tags object
param addressSpace string

@description('Subnet CIDRs {func, pe, pg, runner}: the /24 number 1..4 of addressSpace, as terraform cidrsubnet() computes.')
param prefixes object

var denyAllInbound = {
  name: 'deny-all-inbound'
  properties: {
    priority: 4000
    direction: 'Inbound'
    access: 'Deny'
    protocol: '*'
    sourcePortRange: '*'
    destinationPortRange: '*'
    sourceAddressPrefix: '*'
    destinationAddressPrefix: '*'
  }
}

resource nsgFunc 'Microsoft.Network/networkSecurityGroups@2024-01-01' = {
  name: names.nsg_func
  location: location
  tags: tags
  properties: {
    securityRules: [
      denyAllInbound
    ]
  }
}

resource nsgPe 'Microsoft.Network/networkSecurityGroups@2024-01-01' = {
  name: names.nsg_pe
  location: location
  tags: tags
  properties: {
    securityRules: [
      {
        name: 'allow-https-from-app-and-runner'
        properties: {
          priority: 100
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourcePortRange: '*'
          destinationPortRange: '443'
          sourceAddressPrefixes: [
            prefixes.func
            prefixes.runner
          ]
          destinationAddressPrefix: prefixes.pe
        }
      }
      denyAllInbound
    ]
  }
}

resource nsgPg 'Microsoft.Network/networkSecurityGroups@2024-01-01' = {
  name: names.nsg_pg
  location: location
  tags: tags
  properties: {
    securityRules: [
      {
        name: 'allow-postgres-from-app-and-runner'
        properties: {
          priority: 100
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourcePortRange: '*'
          destinationPortRange: '5432'
          sourceAddressPrefixes: [
            prefixes.func
            prefixes.runner
          ]
          destinationAddressPrefix: prefixes.pg
        }
      }
      {
        name: 'allow-postgres-intra-subnet'
        properties: {
          priority: 110
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourcePortRange: '*'
          destinationPortRange: '5432'
          sourceAddressPrefix: prefixes.pg
          destinationAddressPrefix: prefixes.pg
        }
      }
      denyAllInbound
    ]
  }
}

resource nsgRunner 'Microsoft.Network/networkSecurityGroups@2024-01-01' = {
  name: names.nsg_runner
  location: location
  tags: tags
  properties: {
    securityRules: [
      denyAllInbound
    ]
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-01-01' = {
  name: names.vnet
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressSpace
      ]
    }
    subnets: [
      {
        name: 'snet-func'
        properties: {
          addressPrefix: prefixes.func
          networkSecurityGroup: {
            id: nsgFunc.id
          }
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: 'snet-pe'
        properties: {
          addressPrefix: prefixes.pe
          privateEndpointNetworkPolicies: 'Enabled'
          networkSecurityGroup: {
            id: nsgPe.id
          }
        }
      }
      {
        name: 'snet-pg'
        properties: {
          addressPrefix: prefixes.pg
          networkSecurityGroup: {
            id: nsgPg.id
          }
          delegations: [
            {
              name: 'postgres-flexible'
              properties: {
                serviceName: 'Microsoft.DBforPostgreSQL/flexibleServers'
              }
            }
          ]
        }
      }
      {
        name: 'snet-runner'
        properties: {
          addressPrefix: prefixes.runner
          // The function app's SCM (Kudu) endpoint admits only this subnet (function.bicep scmIpSecurityRestrictions).
          serviceEndpoints: [
            {
              service: 'Microsoft.Web'
            }
          ]
          networkSecurityGroup: {
            id: nsgRunner.id
          }
        }
      }
    ]
  }
}

var dnsZones = {
  blob: 'privatelink.blob.core.windows.net'
  queue: 'privatelink.queue.core.windows.net'
  table: 'privatelink.table.core.windows.net'
  key_vault: 'privatelink.vaultcore.azure.net'
  postgres: names.postgres_dns
}

var dnsZoneList = [
  {
    key: 'blob'
    name: dnsZones.blob
  }
  {
    key: 'queue'
    name: dnsZones.queue
  }
  {
    key: 'table'
    name: dnsZones.table
  }
  {
    key: 'key_vault'
    name: dnsZones.key_vault
  }
  {
    key: 'postgres'
    name: dnsZones.postgres
  }
]

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [for zone in dnsZoneList: {
  name: zone.name
  location: 'global'
  tags: tags
}]

resource links 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [for (zone, i) in dnsZoneList: {
  parent: zones[i]
  name: 'link-${zone.key}'
  location: 'global'
  tags: tags
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnet.id
    }
  }
}]

output vnetId string = vnet.id
output funcSubnetId string = '${vnet.id}/subnets/snet-func'
output peSubnetId string = '${vnet.id}/subnets/snet-pe'
output pgSubnetId string = '${vnet.id}/subnets/snet-pg'
output runnerSubnetId string = '${vnet.id}/subnets/snet-runner'
output dnsZoneIds object = {
  blob: resourceId('Microsoft.Network/privateDnsZones', dnsZones.blob)
  queue: resourceId('Microsoft.Network/privateDnsZones', dnsZones.queue)
  table: resourceId('Microsoft.Network/privateDnsZones', dnsZones.table)
  key_vault: resourceId('Microsoft.Network/privateDnsZones', dnsZones.key_vault)
  postgres: resourceId('Microsoft.Network/privateDnsZones', dnsZones.postgres)
}
