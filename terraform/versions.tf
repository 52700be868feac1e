terraform {
  required_version = ">= 1.11.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "= 5.100.0"
    }
  }

  # Partial configuration: bucket, key and region come from `-backend-config=<file>`
  # (see examples/backend.s3.tfbackend). S3-native locking, no DynamoDB table.
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}

provider "aws" {
  region              = var.region
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = merge(var.tags, {
      "managed-by" = "terraform"
      "stack"      = "mlops-foundation"
    })
  }
}
