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
  name                          = local.names.fd_route
  cdn_frontdoor_endpoint_id     = azurerm_cdn_frontdoor_endpoint.main.id
  cdn_frontdoor_origin_group_id = azurerm_cdn_frontdoor_origin_group.func.id
  cdn_frontdoor_origin_ids      = [azurerm_cdn_frontdoor_origin.func.id]
  patterns_to_match             = ["/api/*"]
  supported_protocols           = ["Http", "Https"]
  https_redirect_enabled        = true
  forwarding_protocol           = "HttpsOnly"
  link_to_default_domain        = true
  enabled                       = true
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
      }
    }
  }
}
