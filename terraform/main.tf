# Shared lookups and names. Resources are split by concern: network.tf, kms.tf, buckets.tf,
# config.tf, cloudtrail.tf, oidc.tf, ssm.tf.

data "aws_partition" "current" {}

# Only the named zones; the subnets' precondition fails if one of them is not available.
data "aws_availability_zones" "selected" {
  state = "available"

  filter {
    name   = "zone-name"
    values = local.azs
  }
}

locals {
  account_id = var.account_id
  partition  = data.aws_partition.current.partition
  region     = var.region

  azs = [for s in var.availability_zone_suffixes : "${var.region}${s}"]

  gitlab_url      = "https://${var.gitlab_host}"
  gitlab_audience = coalesce(var.gitlab_audience, local.gitlab_url)

  trail_name = "${var.name_prefix}-trail"
  trail_arn  = "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/${local.trail_name}"

  bucket_suffix = "${local.account_id}-${local.region}"
}
