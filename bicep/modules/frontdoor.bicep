// Front Door Premium profile, endpoint and WAF policy (terraform/frontdoor.tf): managed Microsoft_DefaultRuleSet 2.1
// + bot manager, 1,000 req/min per IP on the API, 100 req/min per IP on /api/v1/auth/, optional geo filter.
param names object
param tags object
param allowedCountries array

var rateLimitRules = [
  {
    name: 'RateLimitAuthPerIp'
    enabledState: 'Enabled'
    priority: 90
    ruleType: 'RateLimitRule'
    rateLimitDurationInMinutes: 1
    rateLimitThreshold: 100
    action: 'Block'
    matchConditions: [
      {
        matchVariable: 'RequestUri'
        operator: 'Contains'
        negateCondition: false
        matchValue: [
          '/api/v1/auth/'
        ]
      }
    ]
  }
  {
    name: 'RateLimitPerIp'
    enabledState: 'Enabled'
    priority: 100
    ruleType: 'RateLimitRule'
    rateLimitDurationInMinutes: 1
    rateLimitThreshold: 1000
    action: 'Block'
    matchConditions: [
      {
        matchVariable: 'RequestUri'
        operator: 'Contains'
        negateCondition: false
        matchValue: [
          '/'
        ]
      }
    ]
  }
]

var geoRules = empty(allowedCountries) ? [] : [
  {
    name: 'GeoFilter'
    enabledState: 'Enabled'
    priority: 50
    ruleType: 'MatchRule'
    action: 'Block'
    matchConditions: [
      {
        matchVariable: 'RemoteAddr'
        operator: 'GeoMatch'
        negateCondition: true
        matchValue: allowedCountries
      }
    ]
  }
]

resource profile 'Microsoft.Cdn/profiles@2024-02-01' = {
  name: names.front_door
  location: 'global'
  tags: tags
  sku: {
    name: 'Premium_AzureFrontDoor'
  }
  properties: {
    originResponseTimeoutSeconds: 60
  }
}

resource waf 'Microsoft.Network/FrontDoorWebApplicationFirewallPolicies@2024-02-01' = {
  name: names.waf_policy
  location: 'global'
  tags: tags
  sku: {
    name: 'Premium_AzureFrontDoor'
  }
  properties: {
    policySettings: {
      enabledState: 'Enabled'
      mode: 'Prevention'
      requestBodyCheck: 'Enabled'
      customBlockResponseStatusCode: 403
    }
    customRules: {
      rules: concat(geoRules, rateLimitRules)
    }
    managedRules: {
      managedRuleSets: [
        {
          ruleSetType: 'Microsoft_DefaultRuleSet'
          ruleSetVersion: '2.1'
          ruleSetAction: 'Block'
        }
        {
          ruleSetType: 'Microsoft_BotManagerRuleSet'
          ruleSetVersion: '1.1'
          ruleSetAction: 'Block'
        }
      ]
    }
  }
}

resource endpoint 'Microsoft.Cdn/profiles/afdEndpoints@2024-02-01' = {
  parent: profile
  name: names.fd_endpoint
  location: 'global'
  tags: tags
  properties: {
    enabledState: 'Enabled'
  }
}

output frontDoorId string = profile.properties.frontDoorId
output wafPolicyId string = waf.id
output endpointHostname string = endpoint.properties.hostName
