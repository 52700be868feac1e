# Model key (symmetric): buckets, ECR, SNS, endpoint storage and data capture.
# Signing key (ECC_NIST_P256, SIGN_VERIFY): electronic signatures of approvals. Only the
# approver role may sign (ECDSA_SHA_256, MessageType RAW); the key policy denies kms:Sign to every
# other principal. The approver, the pipeline role and the foundation's CI role verify signatures
# (Verify, GetPublicKey, DescribeKey). Callers may name the key by its alias ARN
# (alias/<name>-signing): KMS authorizes the call on the key the alias points to, so key policy
# and IAM statements name the key ARN; no alias permission (kms:ListAliases) is needed to use it.

data "aws_iam_policy_document" "model_key" {
  #checkov:skip=CKV_AWS_109:Key policy: Resource "*" is this key only; the root statement delegates to IAM (AWS's default key policy).
  #checkov:skip=CKV_AWS_111:Key policy: Resource "*" is this key only.
  #checkov:skip=CKV_AWS_356:Key policy: Resource "*" is this key only.
  statement {
    sid       = "AccountAdministersThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["${local.arn.iam}:root"]
    }
  }

  statement {
    sid       = "ServicesPublishToEncryptedTopic"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com", "cloudwatch.amazonaws.com", "budgets.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_kms_key" "model" {
  description             = "${local.name}: model data, images, notifications"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.model_key.json
}

resource "aws_kms_alias" "model" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.model.key_id
}

data "aws_iam_policy_document" "signing_key" {
  #checkov:skip=CKV_AWS_109:Key policy: Resource "*" is this key only.
  #checkov:skip=CKV_AWS_111:Key policy: Resource "*" is this key only.
  #checkov:skip=CKV_AWS_356:Key policy: Resource "*" is this key only.
  statement {
    sid = "AccountAdministersThroughIam"
    actions = [
      "kms:Describe*", "kms:Get*", "kms:List*", "kms:PutKeyPolicy", "kms:TagResource", "kms:UntagResource",
      "kms:EnableKey", "kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
      "kms:UpdateKeyDescription", "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias", "kms:Verify",
    ]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["${local.arn.iam}:root"]
    }
  }

  # The key policy grants Sign to the role by name, so its conditions (not the role's IAM policy)
  # are what bind the signature algorithm and message type.
  statement {
    sid       = "ApproverSigns"
    actions   = ["kms:Sign"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.approver.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:SigningAlgorithm"
      values   = ["ECDSA_SHA_256"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:MessageType"
      values   = ["RAW"]
    }
  }

  statement {
    sid       = "ApproverVerifiesSignatures"
    actions   = ["kms:Verify", "kms:GetPublicKey", "kms:DescribeKey"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.approver.arn]
    }
  }

  # The pipeline verifies signatures in the audit trail (audit verify); it may never sign.
  statement {
    sid       = "PipelineVerifiesSignatures"
    actions   = ["kms:Verify", "kms:GetPublicKey", "kms:DescribeKey"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.pipeline.arn]
    }
  }

  # The deploy job (the foundation's CI role of this environment) verifies the approval signature
  # before it moves the endpoint; it may never sign.
  statement {
    sid       = "DeployVerifiesSignatures"
    actions   = ["kms:Verify", "kms:GetPublicKey", "kms:DescribeKey"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [local.ci_role_arn]
    }
  }

  statement {
    sid       = "OnlyTheApproverSigns"
    effect    = "Deny"
    actions   = ["kms:Sign"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = [aws_iam_role.approver.arn]
    }
  }
}

resource "aws_kms_key" "signing" {
  #checkov:skip=CKV_AWS_7:Asymmetric keys cannot rotate automatically; a new key is issued by replacing this one and old signatures stay verifiable from the audit trail's public keys.
  description              = "${local.name}: electronic signatures of model approvals"
  customer_master_key_spec = "ECC_NIST_P256"
  key_usage                = "SIGN_VERIFY"
  deletion_window_in_days  = 30
  policy                   = data.aws_iam_policy_document.signing_key.json
}

resource "aws_kms_alias" "signing" {
  name          = "alias/${local.name}-signing"
  target_key_id = aws_kms_key.signing.key_id
}
