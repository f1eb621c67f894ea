// Origin group, origin (the function app), route and the security policy that binds the WAF to the endpoint.
// Separate from frontdoor.bicep because the function app needs the profile's frontDoorId first (X-Azure-FDID).
// The API answers on its custom domain `apiHostname` (managed certificate, TLS 1.2 minimum; records in dns.bicep)
// and on the endpoint's default domain (smoke tests); the origin is probed on /api/health.
param names object
param functionHostname string
param apiHostname string

resource profile 'Microsoft.Cdn/profiles@2024-02-01' existing = {
  name: names.front_door
}

resource endpoint 'Microsoft.Cdn/profiles/afdEndpoints@2024-02-01' existing = {
  parent: profile
  name: names.fd_endpoint
}

resource waf 'Microsoft.Network/FrontDoorWebApplicationFirewallPolicies@2024-02-01' existing = {
  name: names.waf_policy
}

resource apiDomain 'Microsoft.Cdn/profiles/customDomains@2024-02-01' = {
  parent: profile
  name: names.fd_custom_domain
  properties: {
    hostName: apiHostname
    tlsSettings: {
      certificateType: 'ManagedCertificate'
      minimumTlsVersion: 'TLS12'
    }
  }
}

resource originGroup 'Microsoft.Cdn/profiles/originGroups@2024-02-01' = {
  parent: profile
  name: names.fd_origingroup
  properties: {
    sessionAffinityState: 'Disabled'
    loadBalancingSettings: {
      sampleSize: 4
      successfulSamplesRequired: 3
    }
    healthProbeSettings: {
      probePath: '/api/health'
      probeRequestType: 'GET'
      probeProtocol: 'Https'
      probeIntervalInSeconds: 30
    }
  }
}

resource origin 'Microsoft.Cdn/profiles/originGroups/origins@2024-02-01' = {
  parent: originGroup
  name: names.fd_origin
  properties: {
    hostName: functionHostname
    originHostHeader: functionHostname
    httpPort: 80
    httpsPort: 443
    priority: 1
    weight: 1000
    enabledState: 'Enabled'
    enforceCertificateNameCheck: true
  }
}

resource route 'Microsoft.Cdn/profiles/afdEndpoints/routes@2024-02-01' = {
  parent: endpoint
  name: names.fd_route
  properties: {
    originGroup: {
      id: originGroup.id
    }
    customDomains: [
      {
        id: apiDomain.id
      }
    ]
    patternsToMatch: [
      '/api/*'
    ]
    supportedProtocols: [
      'Http'
      'Https'
    ]
    httpsRedirect: 'Enabled'
    forwardingProtocol: 'HttpsOnly'
    linkToDefaultDomain: 'Enabled'
    enabledState: 'Enabled'
  }
  dependsOn: [
    origin
  ]
}

resource securityPolicy 'Microsoft.Cdn/profiles/securityPolicies@2024-02-01' = {
  parent: profile
  name: names.fd_security
  properties: {
    parameters: {
      type: 'WebApplicationFirewall'
      wafPolicy: {
        id: waf.id
      }
      associations: [
        {
          domains: [
            {
              id: endpoint.id
            }
            {
              id: apiDomain.id
            }
          ]
          patternsToMatch: [
            '/*'
          ]
        }
      ]
    }
  }
}

output endpointHostname string = endpoint.properties.hostName
output apiHostname string = apiDomain.properties.hostName
output apiValidationToken string = apiDomain.properties.validationProperties.validationToken
