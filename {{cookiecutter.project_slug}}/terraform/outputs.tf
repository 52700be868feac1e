output "artifact_bucket" {
  description = "Artifact bucket (data/, models, data-capture/)."
  value       = aws_s3_bucket.this["artifacts"].bucket
}

output "audit_bucket" {
  description = "Audit bucket (hash-chained audit trail, signatures)."
  value       = aws_s3_bucket.this["audit"].bucket
}

output "kms_key_arn" {
  description = "Model customer key."
  value       = aws_kms_key.model.arn
}

output "signing_key_arn" {
  description = "Asymmetric key (ECC_NIST_P256) for approval signatures."
  value       = aws_kms_key.signing.arn
}

output "ecr_repository_url" {
  description = "Image repository (tags are commit SHAs, immutable)."
  value       = aws_ecr_repository.this.repository_url
}

output "model_package_group" {
  description = "Model package group name."
  value       = local.model_package_group
}

output "role_arns" {
  description = "Pipeline execution, endpoint, approver and EventBridge roles."
  value = {
    pipeline = aws_iam_role.pipeline.arn
    endpoint = aws_iam_role.endpoint.arn
    approver = aws_iam_role.approver.arn
    events   = aws_iam_role.events.arn
  }
}

output "sns_topic_arn" {
  description = "Notification topic (approvals, drift, budget)."
  value       = aws_sns_topic.events.arn
}

output "endpoint_name" {
  description = "Endpoint name, or null before the first approved model is deployed."
  value       = one(aws_sagemaker_endpoint.this[*].name)
}

output "ssm_prefix" {
  description = "Where this root publishes its outputs."
  value       = local.ssm_prefix
}

output "account_cloudtrail_arn" {
  description = "The account foundation's CloudTrail (log file validation, Object Lock) that records every API call on this model's resources."
  value       = local.account_trail_arn
}
