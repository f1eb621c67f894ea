// Key Vault: RBAC, soft delete + purge protection, private endpoint; public access off in production.
// The secret inventory is declared by name only (values are set by operators, docs/runbook.md); the app reads them
// with the SDK because Flex Consumption cannot resolve Key Vault references against a network-restricted vault.
param names object
param location string
param tags object
param isProduction bool
param peSubnetId string
param dnsZoneId string

// Must equal SECRET_INVENTORY in shared/platform/secrets.py (checked by tests/iac).
var secretNames = [
  'csd-certificate'
  'csd-private-key'
  'csd-password'
  'finkok-username'
  'finkok-password'
  'conekta-api-key'
  'conekta-webhook-public-key'
  'spei-webhook-secret'
  'jwt-signing-key'
  'whatsapp-api-key'
  'whatsapp-app-secret'
  'whatsapp-verify-token'
  'chatwoot-api-token'
  'chatwoot-webhook-secret'
  'twilio-account-sid'
  'twilio-auth-token'
  'anthropic-api-key'
]

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: names.key_vault
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: isProduction ? 'Disabled' : 'Enabled'
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'AzureServices'
    }
  }
}

resource endpoint 'Microsoft.Network/privateEndpoints@2024-01-01' = {
  name: names.pe_key_vault
  location: location
  tags: tags
  properties: {
    subnet: {
      id: peSubnetId
    }
    privateLinkServiceConnections: [
      {
        name: '${names.pe_key_vault}-connection'
        properties: {
          privateLinkServiceId: vault.id
          groupIds: [
            'vault'
          ]
        }
      }
    ]
  }
}

resource zoneGroup 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-01-01' = {
  parent: endpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: 'vault'
        properties: {
          privateDnsZoneId: dnsZoneId
        }
      }
    ]
  }
}

// Every secret must carry an expiry date (built-in policy "Key Vault secrets should have an expiration date",
// Deny): `az keyvault secret set` without --expires is refused, so no secret is forgotten; rotation dates per
// secret are in docs/runbook.md ("Rotate secrets"). terraform/keyvault.tf assigns the same definition.
resource secretExpiryPolicy 'Microsoft.Authorization/policyAssignments@2024-04-01' = {
  name: 'kv-secrets-expire'
  properties: {
    displayName: 'Key Vault secrets must have an expiration date'
    policyDefinitionId: '/providers/Microsoft.Authorization/policyDefinitions/98728c90-32c7-4049-8429-847dc0f4fe37'
    enforcementMode: 'Default'
    parameters: {
      effect: {
        value: 'Deny'
      }
    }
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
output secretNames array = secretNames
