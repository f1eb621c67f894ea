environment                     = "production"
vnet_address_space              = "10.30.0.0/16"
postgres_sku                    = "GP_Standard_D4ds_v5"
postgres_storage_mb             = 524288
postgres_max_connections        = 1000
postgres_admin_group_object_id  = "00000000-0000-0000-0000-000000000000" # replace: Entra group object id
postgres_admin_group_name       = "sg-supra-production-pg-admins"
function_maximum_instance_count = 100
log_daily_quota_gb              = 10
api_host_label                  = "api"
log_retention_days              = 90
alert_email                     = "supra-ops@ceaqueretaro.gob.mx"
monthly_budget_mxn              = 90000
pac_provider                    = "finkok"
pac_url                         = "https://facturacion.finkok.com/servicios/soap/stamp.wsdl"
cors_origins                    = "https://supra.ceaqueretaro.gob.mx"
waf_allowed_countries           = ["MX", "US"]

# Always-ready instances per Flex scale group (the billing orchestrations and the API never cold-start).
always_ready = {
  durable = 1
  http    = 2
}
