# Everything a model repository needs, published per environment under
# <ssm_foundation_prefix>/<env>/. Model roots read these and never this root's state.

locals {
  published = {
    for pair in setproduct(var.environments, keys(local.foundation_outputs)) :
    "${pair[0]}/${pair[1]}" => {
      env   = pair[0]
      name  = pair[1]
      value = local.foundation_outputs[pair[1]].value
      type  = local.foundation_outputs[pair[1]].type
    }
  }

  foundation_outputs = {
    "vpc-id"                      = { type = "String", value = aws_vpc.this.id }
    "private-subnet-ids"          = { type = "StringList", value = join(",", aws_subnet.private[*].id) }
    "sagemaker-security-group-id" = { type = "String", value = aws_security_group.sagemaker.id }
    "endpoint-security-group-id"  = { type = "String", value = aws_security_group.endpoints.id }
    "kms-key-arn"                 = { type = "String", value = aws_kms_key.platform.arn }
    "audit-kms-key-arn"           = { type = "String", value = aws_kms_key.audit.arn }
    "oidc-provider-arn"           = { type = "String", value = aws_iam_openid_connect_provider.gitlab.arn }
    "access-log-bucket"           = { type = "String", value = aws_s3_bucket.access_logs.id }
    "state-bucket"                = { type = "String", value = aws_s3_bucket.this["state"].id }
    "cloudtrail-arn"              = { type = "String", value = aws_cloudtrail.this.arn }
    "region"                      = { type = "String", value = local.region }
    "account-id"                  = { type = "String", value = local.account_id }
  }
}

resource "aws_ssm_parameter" "foundation" {
  #checkov:skip=CKV2_AWS_34:Identifiers (VPC, subnets, ARNs), not secrets; StringList is part of the contract and cannot be a SecureString.
  for_each = local.published

  name        = "${var.ssm_foundation_prefix}/${each.value.env}/${each.value.name}"
  description = "MLOps foundation output ${each.value.name} for ${each.value.env}"
  type        = each.value.type
  value       = each.value.value
}

resource "aws_ssm_parameter" "ci_role" {
  #checkov:skip=CKV2_AWS_34:A role ARN, not a secret.
  for_each = local.ci

  name        = "${var.ssm_foundation_prefix}/${each.key}/ci-role-arn"
  description = "GitLab CI deploy role of ${each.key}"
  type        = "String"
  value       = aws_iam_role.ci[each.key].arn
}
