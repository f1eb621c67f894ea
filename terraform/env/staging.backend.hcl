# terraform init -backend-config=env/staging.backend.hcl
resource_group_name  = "rg-supra-tfstate"
storage_account_name = "stsupratfstate"
container_name       = "tfstate"
key                  = "supra-water-staging.tfstate"
