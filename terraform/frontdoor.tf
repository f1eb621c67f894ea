# Front Door Premium + WAF (managed Microsoft_DefaultRuleSet 2.1 and bot manager, rate limits, optional geo filter)
# in front of the function app. The app accepts only this profile (service tag + X-Azure-FDID, see function.tf).

resource "azurerm_cdn_frontdoor_profile" "main" {
  name                     = local.names.front_door
  resource_group_name      = azurerm_resource_group.main.name
  sku_name                 = "Premium_AzureFrontDoor"
  response_timeout_seconds = 60
  tags                     = local.tags
}

resource "azurerm_cdn_frontdoor_firewall_policy" "main" {
  name                              = local.names.waf_policy
  resource_group_name               = azurerm_resource_group.main.name
  sku_name                          = azurerm_cdn_frontdoor_profile.main.sku_name
  enabled                           = true
  mode                              = "Prevention"
  request_body_check_enabled        = true
  custom_block_response_status_code = 403
  tags                              = local.tags

  # 1,000 requests per minute per client IP on the whole API.
  custom_rule {
    name                           = "RateLimitPerIp"
    enabled                        = true
    priority                       = 100
    type                           = "RateLimitRule"
    action                         = "Block"
    rate_limit_duration_in_minutes = 1
    rate_limit_threshold           = 1000

    match_condition {
      match_variable = "RequestUri"
      operator       = "Contains"
      match_values   = ["/"]
    }
  }

  # Signed channel webhooks (WhatsApp, Chatwoot, Twilio: /api/v1/channels/*) carry customers' free text, which the
  # managed rule set would block as injection; the app verifies each body's HMAC signature over the raw bytes before
  # storing anything (docs/channels.md), so POSTs there skip the managed rules. Rate limits (90, 100) come first.
  custom_rule {
    name     = "AllowSignedChannelWebhooks"
    enabled  = true
    priority = 110
    type     = "MatchRule"
    action   = "Allow"

    match_condition {
      match_variable = "RequestUri"
      operator       = "Contains"
      transforms     = ["Lowercase"]
      match_values   = ["/api/v1/channels/"]
    }

    match_condition {
      match_variable = "RequestMethod"
      operator       = "Equal"
      match_values   = ["POST"]
    }
  }

  # CURP and RFC never travel in a URL (access logs, caches): a query string carrying one is refused. Same patterns as
  # bicep/modules/frontdoor.bicep, matched after URL-decoding and upper-casing.
  custom_rule {
    name     = "BlockCurpRfcInQueryString"
    enabled  = true
    priority = 80
    type     = "MatchRule"
    action   = "Block"

    match_condition {
      match_variable = "QueryString"
      operator       = "RegEx"
      transforms     = ["UrlDecode", "Uppercase"]
      match_values = [
        "[A-Z][AEIOUX][A-Z]{2}[0-9]{6}[HMX][A-Z]{5}[0-9A-Z][0-9]",
        "(^|[^A-Z0-9])[A-Z&Ñ]{3,4}[0-9]{6}[A-Z0-9]{3}($|[^A-Z0-9])",
      ]
    }
  }

  # 100 requests per minute per client IP on authentication endpoints.
  custom_rule {
    name                           = "RateLimitAuthPerIp"
    enabled                        = true
    priority                       = 90
    type                           = "RateLimitRule"
    action                         = "Block"
    rate_limit_duration_in_minutes = 1
    rate_limit_threshold           = 100

    match_condition {
      match_variable = "RequestUri"
      operator       = "Contains"
      match_values   = ["/api/v1/auth/"]
    }
  }

  # Optional geo filter: block every country not in the allow-list.
  dynamic "custom_rule" {
    for_each = length(var.waf_allowed_countries) > 0 ? [1] : []
    content {
      name     = "GeoFilter"
      enabled  = true
      priority = 50
      type     = "MatchRule"
      action   = "Block"

      match_condition {
        match_variable     = "RemoteAddr"
        operator           = "GeoMatch"
        negation_condition = true
        match_values       = var.waf_allowed_countries
      }
    }
  }

  managed_rule {
    type    = "Microsoft_DefaultRuleSet"
    version = "2.1"
    action  = "Block"
  }

  managed_rule {
    type    = "Microsoft_BotManagerRuleSet"
    version = "1.1"
    action  = "Block"
  }
}

resource "azurerm_cdn_frontdoor_endpoint" "main" {
  name                     = local.names.fd_endpoint
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.main.id
  enabled                  = true
  tags                     = local.tags
}

resource "azurerm_cdn_frontdoor_origin_group" "func" {
  name                     = local.names.fd_origingroup
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.main.id
  session_affinity_enabled = false

  load_balancing {
    sample_size                 = 4
    successful_samples_required = 3
  }

  health_probe {
    path                = "/api/health"
    request_type        = "GET"
    protocol            = "Https"
    interval_in_seconds = 30
  }
}

# The API's custom domain (records in dns.tf) with a Front Door managed certificate, TLS 1.2 minimum.
resource "azurerm_cdn_frontdoor_custom_domain" "api" {
  name                     = local.names.fd_custom_domain
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.main.id
  host_name                = local.api_hostname

  tls {
    certificate_type    = "ManagedCertificate"
    minimum_tls_version = "TLS12"
  }
}

resource "azurerm_cdn_frontdoor_origin" "func" {
  name                           = local.names.fd_origin
  cdn_frontdoor_origin_group_id  = azurerm_cdn_frontdoor_origin_group.func.id
  enabled                        = true
  host_name                      = azurerm_function_app_flex_consumption.main.default_hostname
  origin_host_header             = azurerm_function_app_flex_consumption.main.default_hostname
  http_port                      = 80
  https_port                     = 443
  priority                       = 1
  weight                         = 1000
  certificate_name_check_enabled = true
}

resource "azurerm_cdn_frontdoor_route" "api" {
  name                            = local.names.fd_route
  cdn_frontdoor_endpoint_id       = azurerm_cdn_frontdoor_endpoint.main.id
  cdn_frontdoor_origin_group_id   = azurerm_cdn_frontdoor_origin_group.func.id
  cdn_frontdoor_origin_ids        = [azurerm_cdn_frontdoor_origin.func.id]
  cdn_frontdoor_custom_domain_ids = [azurerm_cdn_frontdoor_custom_domain.api.id]
  patterns_to_match               = ["/api/*"]
  supported_protocols             = ["Http", "Https"]
  https_redirect_enabled          = true
  forwarding_protocol             = "HttpsOnly"
  link_to_default_domain          = true
  enabled                         = true
}

resource "azurerm_cdn_frontdoor_security_policy" "waf" {
  name                     = local.names.fd_security
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.main.id

  security_policies {
    firewall {
      cdn_frontdoor_firewall_policy_id = azurerm_cdn_frontdoor_firewall_policy.main.id

      association {
        patterns_to_match = ["/*"]
        domain {
          cdn_frontdoor_domain_id = azurerm_cdn_frontdoor_endpoint.main.id
        }
        domain {
          cdn_frontdoor_domain_id = azurerm_cdn_frontdoor_custom_domain.api.id
        }
      }
    }
  }
}
