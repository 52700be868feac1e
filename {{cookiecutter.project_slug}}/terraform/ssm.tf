# Outputs the pipeline CLI and CI read, under /mlops/models/<slug>/<env>/ (names are a contract).

locals {
  published = {
    "artifact-bucket"     = aws_s3_bucket.this["artifacts"].bucket
    "audit-bucket"        = aws_s3_bucket.this["audit"].bucket
    "kms-key-arn"         = aws_kms_key.model.arn
    "signing-key-arn"     = aws_kms_key.signing.arn
    "ecr-repository-url"  = aws_ecr_repository.this.repository_url
    "model-package-group" = local.model_package_group
    "pipeline-name"       = local.name
    "pipeline-role-arn"   = aws_iam_role.pipeline.arn
    "endpoint-role-arn"   = aws_iam_role.endpoint.arn
    "approver-role-arn"   = aws_iam_role.approver.arn
    "sns-topic-arn"       = aws_sns_topic.events.arn
    "endpoint-name"       = local.name
  }
}

resource "aws_ssm_parameter" "outputs" {
  #checkov:skip=CKV2_AWS_34:Names and ARNs, not secrets; plain String keeps them readable by tooling without KMS grants.
  for_each = local.published

  name        = "${local.ssm_prefix}/${each.key}"
  description = "${local.name} ${each.key}"
  type        = "String"
  value       = each.value
}
