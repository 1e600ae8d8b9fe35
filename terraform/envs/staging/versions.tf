terraform {
  required_version = ">= 1.10.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
    tls = {
      source  = "hashicorp/tls"
      version = "~> 4.1"
    }
  }

  # Remote state in S3, encrypted, with S3-native locking (no DynamoDB table). The bucket and its
  # region are account-specific and given at init (docs/deploy-terraform.md):
  #   terraform init -backend-config="bucket=<state bucket>" -backend-config="region=<region>"
  backend "s3" {
    key          = "taskboard/staging/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}
