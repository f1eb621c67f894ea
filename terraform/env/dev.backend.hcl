# terraform init -backend-config=env/dev.backend.hcl
resource_group_name  = "rg-supra-tfstate"
storage_account_name = "stsupratfstate"
container_name       = "tfstate"
key                  = "supra-water-dev.tfstate"
