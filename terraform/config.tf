# AWS Config: one recorder per account and region, delivering to the KMS-encrypted config bucket,
# and AWS's FDA 21 CFR Part 11 conformance pack (all of its rules, parameters as variables).

data "aws_iam_policy_document" "config_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["config.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "config" {
  name               = "${var.name_prefix}-config-recorder"
  assume_role_policy = data.aws_iam_policy_document.config_trust.json
}

resource "aws_iam_role_policy_attachment" "config" {
  role       = aws_iam_role.config.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWS_ConfigRole"
}

data "aws_iam_policy_document" "config_delivery" {
  statement {
    sid       = "Deliver"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.this["config"].arn}/AWSLogs/${local.account_id}/Config/*"]
  }
  statement {
    sid       = "CheckBucket"
    actions   = ["s3:GetBucketAcl"]
    resources = [aws_s3_bucket.this["config"].arn]
  }
  statement {
    sid       = "Encrypt"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.audit.arn]
  }
}

resource "aws_iam_role_policy" "config_delivery" {
  name   = "deliver-to-config-bucket"
  role   = aws_iam_role.config.id
  policy = data.aws_iam_policy_document.config_delivery.json
}

resource "aws_config_configuration_recorder" "this" {
  name     = "${var.name_prefix}-recorder"
  role_arn = aws_iam_role.config.arn

  recording_group {
    all_supported                 = true
    include_global_resource_types = var.config_include_global_resources
  }
}

resource "aws_config_delivery_channel" "this" {
  name           = "${var.name_prefix}-delivery"
  s3_bucket_name = aws_s3_bucket.this["config"].id
  s3_kms_key_arn = aws_kms_key.audit.arn

  snapshot_delivery_properties {
    delivery_frequency = var.config_snapshot_frequency
  }

  depends_on = [aws_config_configuration_recorder.this, aws_s3_bucket_policy.this]
}

resource "aws_config_configuration_recorder_status" "this" {
  name       = aws_config_configuration_recorder.this.name
  is_enabled = true

  depends_on = [aws_config_delivery_channel.this]
}

locals {
  # Terraform variable => the parameter names of AWS's published pack (see the template file).
  fda_pack_input = {
    AccessKeysRotatedParamMaxAccessKeyAge                              = tostring(var.fda_pack_parameters.access_key_max_age_days)
    IamCustomerPolicyBlockedKmsActionsParamBlockedActionsPatterns      = join(",", var.fda_pack_parameters.customer_policy_blocked_kms)
    IamInlinePolicyBlockedKmsActionsParamBlockedActionsPatterns        = join(",", var.fda_pack_parameters.inline_policy_blocked_kms)
    IamPasswordPolicyParamMaxPasswordAge                               = tostring(var.fda_pack_parameters.password_max_age_days)
    IamPasswordPolicyParamMinimumPasswordLength                        = tostring(var.fda_pack_parameters.password_minimum_length)
    IamPasswordPolicyParamPasswordReusePrevention                      = tostring(var.fda_pack_parameters.password_reuse_prevention)
    IamPasswordPolicyParamRequireLowercaseCharacters                   = tostring(var.fda_pack_parameters.password_require_lowercase)
    IamPasswordPolicyParamRequireNumbers                               = tostring(var.fda_pack_parameters.password_require_numbers)
    IamPasswordPolicyParamRequireSymbols                               = tostring(var.fda_pack_parameters.password_require_symbols)
    IamPasswordPolicyParamRequireUppercaseCharacters                   = tostring(var.fda_pack_parameters.password_require_uppercase)
    IamUserUnusedCredentialsCheckParamMaxCredentialUsageAge            = tostring(var.fda_pack_parameters.unused_credentials_max_age_days)
    RestrictedIncomingTrafficParamBlockedPort1                         = tostring(var.fda_pack_parameters.restricted_incoming_blocked_ports[0])
    RestrictedIncomingTrafficParamBlockedPort2                         = tostring(var.fda_pack_parameters.restricted_incoming_blocked_ports[1])
    RestrictedIncomingTrafficParamBlockedPort3                         = tostring(var.fda_pack_parameters.restricted_incoming_blocked_ports[2])
    RestrictedIncomingTrafficParamBlockedPort4                         = tostring(var.fda_pack_parameters.restricted_incoming_blocked_ports[3])
    RestrictedIncomingTrafficParamBlockedPort5                         = tostring(var.fda_pack_parameters.restricted_incoming_blocked_ports[4])
    S3AccountLevelPublicAccessBlocksPeriodicParamBlockPublicAcls       = tostring(var.fda_pack_parameters.s3_account_block_public_acls)
    S3AccountLevelPublicAccessBlocksPeriodicParamBlockPublicPolicy     = tostring(var.fda_pack_parameters.s3_account_block_public_policy)
    S3AccountLevelPublicAccessBlocksPeriodicParamIgnorePublicAcls      = tostring(var.fda_pack_parameters.s3_account_ignore_public_acls)
    S3AccountLevelPublicAccessBlocksPeriodicParamRestrictPublicBuckets = tostring(var.fda_pack_parameters.s3_account_restrict_public_bucket)
    VpcSgOpenOnlyToAuthorizedPortsParamAuthorizedTcpPorts              = join(",", [for p in var.fda_pack_parameters.vpc_sg_authorized_tcp_ports : tostring(p)])
  }
}

resource "aws_config_conformance_pack" "fda_part11" {
  count = var.create_conformance_pack ? 1 : 0

  name          = "${var.name_prefix}-fda-21cfr-part11"
  template_body = file("${path.module}/conformance-packs/fda-21cfr-part11.yaml")

  dynamic "input_parameter" {
    for_each = local.fda_pack_input
    content {
      parameter_name  = input_parameter.key
      parameter_value = input_parameter.value
    }
  }

  depends_on = [aws_config_configuration_recorder_status.this]
}
