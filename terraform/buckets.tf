# Foundation buckets. Every bucket: versioned, public access blocked, TLS-only, lifecycle.
# The access-log bucket is the target of S3 server access logging, which accepts only SSE-S3.

locals {
  # Buckets encrypted with a customer key and logged to the access-log bucket.
  buckets = {
    config = { name = "${var.name_prefix}-config-${local.bucket_suffix}", key = aws_kms_key.audit.arn, lock = false }
    trail  = { name = "${var.name_prefix}-cloudtrail-${local.bucket_suffix}", key = aws_kms_key.audit.arn, lock = true }
    state  = { name = "${var.name_prefix}-tfstate-${local.bucket_suffix}", key = aws_kms_key.platform.arn, lock = false }
  }
  access_log_bucket = "${var.name_prefix}-access-logs-${local.bucket_suffix}"
}

# --- access-log bucket -----------------------------------------------------------------------

resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_18:This is the server access log target; logging it to itself would loop.
  #checkov:skip=CKV_AWS_145:S3 server access logging delivers only to SSE-S3 buckets (AWS limitation); SSE-S3 is enforced below.
  #checkov:skip=CKV_AWS_144:Access logs stay in the account's region; replicate at the organisation level if required.
  #checkov:skip=CKV2_AWS_62:Nothing consumes access-log object events.
  bucket        = local.access_log_bucket
  force_destroy = var.access_logs_force_destroy
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket                  = aws_s3_bucket.access_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = var.log_retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

data "aws_iam_policy_document" "access_logs" {
  source_policy_documents = [data.aws_iam_policy_document.tls_only[local.access_log_bucket].json]

  statement {
    sid       = "S3ServerAccessLogDelivery"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs.arn}/*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  policy = data.aws_iam_policy_document.access_logs.json

  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}

# --- KMS-encrypted buckets -------------------------------------------------------------------

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Evidence stays in the account's region; cross-region copies are an organisation-level decision.
  #checkov:skip=CKV2_AWS_62:Nothing consumes object events of these buckets.
  for_each = local.buckets

  bucket              = each.value.name
  object_lock_enabled = each.value.lock
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = local.buckets

  bucket                  = aws_s3_bucket.this[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = each.value.key
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_logging" "this" {
  for_each = local.buckets

  bucket        = aws_s3_bucket.this[each.key].id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = "${each.value.name}/"

  # S3 checks the target's policy grants log delivery when logging is switched on.
  depends_on = [aws_s3_bucket_policy.access_logs]
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    id     = "tidy-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 90
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_object_lock_configuration" "trail" {
  bucket = aws_s3_bucket.this["trail"].id

  rule {
    default_retention {
      mode = var.cloudtrail_object_lock_mode
      days = var.cloudtrail_retention_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "tls_only" {
  for_each = toset(concat([local.access_log_bucket], [for b in local.buckets : b.name]))

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = ["arn:${local.partition}:s3:::${each.key}", "arn:${local.partition}:s3:::${each.key}/*"]
    # {"AWS": "*"} is IAM's equivalent of "*"; moto's logging check cannot parse the bare form.
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

data "aws_iam_policy_document" "config_bucket" {
  statement {
    sid       = "ConfigChecksBucket"
    actions   = ["s3:GetBucketAcl", "s3:ListBucket"]
    resources = [aws_s3_bucket.this["config"].arn]
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

  statement {
    sid       = "ConfigDelivers"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.this["config"].arn}/AWSLogs/${local.account_id}/Config/*"]
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

data "aws_iam_policy_document" "trail_bucket" {
  statement {
    sid       = "CloudTrailChecksBucket"
    actions   = ["s3:GetBucketAcl"]
    resources = [aws_s3_bucket.this["trail"].arn]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }

  statement {
    sid       = "CloudTrailDelivers"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.this["trail"].arn}/AWSLogs/${local.account_id}/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }
}

locals {
  service_bucket_policies = {
    config = [data.aws_iam_policy_document.config_bucket.json]
    trail  = [data.aws_iam_policy_document.trail_bucket.json]
    state  = []
  }
}

data "aws_iam_policy_document" "bucket" {
  for_each = local.buckets

  source_policy_documents = concat([data.aws_iam_policy_document.tls_only[each.value.name].json], local.service_bucket_policies[each.key])
}

resource "aws_s3_bucket_policy" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  policy = data.aws_iam_policy_document.bucket[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.this]
}
