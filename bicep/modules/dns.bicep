// Public name of the API (terraform/dns.tf): the zone `dnsZoneName` (delegated to Azure DNS by CEA's registrar)
// lives in the production resource group and is declared only by the production deployment; every environment
// adds its own records to it: a CNAME `<apiHostLabel>` to its Front Door endpoint and the `_dnsauth.<label>` TXT
// that proves domain ownership for the Front Door managed certificate. Deploy production first (docs/runbook.md).
param manageZone bool
param dnsZoneName string
param apiHostLabel string
param endpointHostname string
param validationToken string
param tags object

resource zoneNew 'Microsoft.Network/dnsZones@2018-05-01' = if (manageZone) {
  name: dnsZoneName
  location: 'global'
  tags: tags
}

resource zone 'Microsoft.Network/dnsZones@2018-05-01' existing = {
  name: dnsZoneName
}

resource apiCname 'Microsoft.Network/dnsZones/CNAME@2018-05-01' = {
  parent: zone
  name: apiHostLabel
  properties: {
    TTL: 3600
    CNAMERecord: {
      cname: endpointHostname
    }
  }
  dependsOn: [
    zoneNew
  ]
}

resource apiValidation 'Microsoft.Network/dnsZones/TXT@2018-05-01' = {
  parent: zone
  name: '_dnsauth.${apiHostLabel}'
  properties: {
    TTL: 3600
    TXTRecords: [
      {
        value: [
          validationToken
        ]
      }
    ]
  }
  dependsOn: [
    zoneNew
  ]
}

output apiFqdn string = '${apiHostLabel}.${dnsZoneName}'
