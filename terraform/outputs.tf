output "vpc_id" {
  description = "ID of the private VPC."
  value       = aws_vpc.this.id
}

output "private_subnet_ids" {
  description = "Private subnets, one per availability zone."
  value       = aws_subnet.private[*].id
}

output "sagemaker_security_group_id" {
  description = "Security group for SageMaker jobs and endpoints."
  value       = aws_security_group.sagemaker.id
}

output "kms_key_arns" {
  description = "Foundation customer keys: platform (operational data) and audit (CloudTrail, Config)."
  value       = { platform = aws_kms_key.platform.arn, audit = aws_kms_key.audit.arn }
}

output "oidc_provider_arn" {
  description = "GitLab OIDC identity provider."
  value       = aws_iam_openid_connect_provider.gitlab.arn
}

output "ci_role_arns" {
  description = "GitLab CI deploy role per environment."
  value       = { for env, role in aws_iam_role.ci : env => role.arn }
}

output "cloudtrail_arn" {
  description = "Multi-region trail."
  value       = aws_cloudtrail.this.arn
}

output "state_bucket" {
  description = "Bucket for model roots' Terraform state (key <slug>/<env>/terraform.tfstate)."
  value       = aws_s3_bucket.this["state"].id
}

output "ssm_parameter_names" {
  description = "Every SSM parameter this root publishes."
  value       = concat([for p in aws_ssm_parameter.foundation : p.name], [for p in aws_ssm_parameter.ci_role : p.name])
}
