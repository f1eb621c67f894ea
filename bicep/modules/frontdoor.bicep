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

// CURP and RFC never travel in a URL (they would land in access logs and caches): requests whose query string
// carries one are refused. The patterns are the CURP (18) and RFC (12/13) shapes, matched after URL-decoding and
// upper-casing; terraform/frontdoor.tf declares the same rule.
var piiRules = [
  {
    name: 'BlockCurpRfcInQueryString'
    enabledState: 'Enabled'
    priority: 80
    ruleType: 'MatchRule'
    action: 'Block'
    matchConditions: [
      {
        matchVariable: 'QueryString'
        operator: 'RegEx'
        negateCondition: false
        transforms: [
          'UrlDecode'
          'Uppercase'
        ]
        matchValue: [
          '[A-Z][AEIOUX][A-Z]{2}[0-9]{6}[HMX][A-Z]{5}[0-9A-Z][0-9]'
          '(^|[^A-Z0-9])[A-Z&Ñ]{3,4}[0-9]{6}[A-Z0-9]{3}($|[^A-Z0-9])'
        ]
      }
    ]
  }
]

// Signed channel webhooks (WhatsApp, Chatwoot, Twilio: /api/v1/channels/*) carry customers' free text, which the
// managed rule set would block as injection; the app verifies each body's HMAC signature over the raw bytes before
// storing anything (docs/channels.md), so POSTs there skip the managed rules. The rate limits (priority 90 and 100)
// are evaluated before this rule.
var channelRules = [
  {
    name: 'AllowSignedChannelWebhooks'
    enabledState: 'Enabled'
    priority: 110
    ruleType: 'MatchRule'
    action: 'Allow'
    matchConditions: [
      {
        matchVariable: 'RequestUri'
        operator: 'Contains'
        negateCondition: false
        transforms: [
          'Lowercase'
        ]
        matchValue: [
          '/api/v1/channels/'
        ]
      }
      {
        matchVariable: 'RequestMethod'
        operator: 'Equal'
        negateCondition: false
        transforms: []
        matchValue: [
          'POST'
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
      rules: concat(geoRules, piiRules, rateLimitRules, channelRules)
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
