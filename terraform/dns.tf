# Public name of the API (bicep/modules/dns.bicep): the zone var.dns_zone_name (delegated to Azure DNS by CEA's
# registrar) lives in the production resource group and is declared only by production; every environment adds its
# records to it: a CNAME <api_host_label> to its Front Door endpoint and the _dnsauth TXT that validates the managed
# certificate. Apply production first (docs/runbook.md).

locals {
  api_hostname = "${var.api_host_label}.${var.dns_zone_name}"
}

resource "azurerm_dns_zone" "main" {
  count               = local.is_production ? 1 : 0
  name                = var.dns_zone_name
  resource_group_name = azurerm_resource_group.main.name
  tags                = local.tags
}

resource "azurerm_dns_cname_record" "api" {
  name                = var.api_host_label
  zone_name           = var.dns_zone_name
  resource_group_name = var.dns_zone_resource_group
  ttl                 = 3600
  record              = azurerm_cdn_frontdoor_endpoint.main.host_name
  tags                = local.tags
  depends_on          = [azurerm_dns_zone.main]
}

resource "azurerm_dns_txt_record" "api_validation" {
  name                = "_dnsauth.${var.api_host_label}"
  zone_name           = var.dns_zone_name
  resource_group_name = var.dns_zone_resource_group
  ttl                 = 3600
  tags                = local.tags
  depends_on          = [azurerm_dns_zone.main]

  record {
    value = azurerm_cdn_frontdoor_custom_domain.api.validation_token
  }
}
