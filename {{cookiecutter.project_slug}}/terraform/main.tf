# Settings come from the model's single source of truth, project.yaml; per-environment tfvars
# hold only what differs between dev, qa and prod. The foundation is read through SSM only.

locals {
  project = yamldecode(file("${path.module}/../src/{{ cookiecutter.package_name }}/project.yaml"))

  slug                = local.project.project.slug
  region              = local.project.aws.region
  account_id          = tostring(local.project.aws.accounts[var.environment])
  strategy            = local.project.deployment.strategy
  instance_type       = local.project.deployment.instance_type
  instance_count      = tonumber(local.project.deployment.instance_count)
  compliance          = local.project.governance.compliance
  data_classification = local.project.governance.data_classification
  cost_center         = tostring(local.project.governance.cost_center)
  foundation_prefix   = "${local.project.aws.ssm_foundation_prefix}/${var.environment}"

  # Names come from project.yaml's naming patterns, which the Python package fills in the same way.
  naming     = local.project.naming
  name_vars  = { slug = local.slug, env = var.environment, account = local.account_id, region = local.region }
  name       = templatestring(local.naming.resource, local.name_vars)
  ssm_prefix = templatestring(local.naming.ssm_prefix, local.name_vars)

  tags = {
    "model"               = local.slug
    "environment"         = var.environment
    "cost-center"         = local.cost_center
    "data-classification" = local.data_classification
    "compliance"          = local.compliance
  }

  # GxP records must be undeletable by anyone, root included, until retention ends.
  object_lock_mode = local.compliance == "gxp" ? "COMPLIANCE" : "GOVERNANCE"

  partition = data.aws_partition.current.partition
  arn = {
    sagemaker = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}"
    iam       = "arn:${local.partition}:iam::${local.account_id}"
    logs      = "arn:${local.partition}:logs:${local.region}:${local.account_id}"
    ec2       = "arn:${local.partition}:ec2:${local.region}:${local.account_id}"
  }
  pipeline_arn          = "${local.arn.sagemaker}:pipeline/${local.name}"
  model_package_group   = local.name
  model_package_grp_arn = "${local.arn.sagemaker}:model-package-group/${local.name}"

  subnet_ids        = split(",", data.aws_ssm_parameter.foundation["private-subnet-ids"].insecure_value)
  security_group_id = data.aws_ssm_parameter.foundation["sagemaker-security-group-id"].insecure_value
  access_log_bucket = data.aws_ssm_parameter.foundation["access-log-bucket"].insecure_value
  ci_role_arn       = data.aws_ssm_parameter.foundation["ci-role-arn"].insecure_value
  account_trail_arn = data.aws_ssm_parameter.foundation["cloudtrail-arn"].insecure_value
}

data "aws_partition" "current" {}

data "aws_ssm_parameter" "foundation" {
  # cloudtrail-arn: the account trail that records every API call on this model (Part 11 §11.10(e)); a
  # plan fails in an account whose foundation does not publish one.
  for_each = toset(["private-subnet-ids", "sagemaker-security-group-id", "access-log-bucket", "ci-role-arn", "cloudtrail-arn"])

  name = "${local.foundation_prefix}/${each.key}"
}

check "project_settings" {
  assert {
    condition     = contains(["canary", "linear", "all_at_once"], local.strategy)
    error_message = "project.yaml deployment.strategy must be canary, linear or all_at_once."
  }
  assert {
    condition     = contains(["gxp", "standard"], local.compliance)
    error_message = "project.yaml governance.compliance must be gxp or standard."
  }
  assert {
    condition     = can(regex("^[0-9]{12}$", local.account_id))
    error_message = "project.yaml aws.accounts.<env> must be a 12-digit account id."
  }
}
