# Artifact bucket (data, models, captured requests) and audit bucket (hash-chained audit trail,
# signatures). Both: versioned, SSE-KMS with the model key, public access blocked, TLS only,
# access-logged to the foundation's log bucket, lifecycle, Object Lock (COMPLIANCE for gxp,
# GOVERNANCE otherwise). The audit bucket's policy also makes audit/* create-only: a write without
# If-None-Match is refused, and nobody may delete an entry or one of its versions.

locals {
  buckets = {
    artifacts = { name = templatestring(local.naming.bucket, merge(local.name_vars, { purpose = "artifacts" })), lock_days = var.artifact_lock_days }
    audit     = { name = templatestring(local.naming.bucket, merge(local.name_vars, { purpose = "audit" })), lock_days = var.audit_lock_days }
  }
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Records stay in the model's region; cross-region copies are an account-level decision.
  for_each = local.buckets

  bucket              = each.value.name
  object_lock_enabled = true
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
      kms_master_key_id = aws_kms_key.model.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_object_lock_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  rule {
    default_retention {
      mode = local.object_lock_mode
      days = each.value.lock_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "this" {
  for_each = local.buckets

  bucket        = aws_s3_bucket.this[each.key].id
  target_bucket = local.access_log_bucket
  target_prefix = "${each.value.name}/"
}

# Artifacts: captured requests expire, old versions move to infrequent access. Audit entries
# never expire; old versions move to Glacier Instant Retrieval. Both abort stale uploads.
resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  dynamic "rule" {
    for_each = each.key == "artifacts" ? [1] : []
    content {
      id     = "expire-captured-requests"
      status = "Enabled"
      filter {
        prefix = "data-capture/"
      }
      expiration {
        days = var.capture_expiration_days
      }
      noncurrent_version_expiration {
        noncurrent_days = var.capture_expiration_days
      }
    }
  }

  rule {
    id     = "tier-old-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_transition {
      noncurrent_days = each.key == "audit" ? 90 : 30
      storage_class   = each.key == "audit" ? "GLACIER_IR" : "STANDARD_IA"
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

# EventBridge notifications: new data under data_prefix starts the pipeline (events.tf).
resource "aws_s3_bucket_notification" "this" {
  for_each = local.buckets

  bucket      = aws_s3_bucket.this[each.key].id
  eventbridge = true
}

data "aws_iam_policy_document" "bucket" {
  for_each = local.buckets

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this[each.key].arn, "${aws_s3_bucket.this[each.key].arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  # Audit entries are created only with PutObject/CompleteMultipartUpload + If-None-Match: *, so
  # an entry can never be overwritten. s3:ObjectCreationOperation exempts the multipart calls that
  # take no conditional header (AWS "Enforce conditional writes on Amazon S3 buckets");
  # CopyObject into audit/* is refused as a consequence.
  dynamic "statement" {
    for_each = each.key == "audit" ? [1] : []
    content {
      sid       = "AuditEntriesAreCreatedOnlyIfAbsent"
      effect    = "Deny"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.this[each.key].arn}/audit/*"]
      principals {
        type        = "*"
        identifiers = ["*"]
      }
      condition {
        test     = "Null"
        variable = "s3:if-none-match"
        values   = ["true"]
      }
      condition {
        test     = "Bool"
        variable = "s3:ObjectCreationOperation"
        values   = ["true"]
      }
    }
  }

  # On top of Object Lock (which GOVERNANCE mode lets a privileged caller bypass): no delete
  # marker, no version removal. Lifecycle rules are not subject to bucket policies, and this
  # bucket's lifecycle only tiers noncurrent versions.
  dynamic "statement" {
    for_each = each.key == "audit" ? [1] : []
    content {
      sid       = "AuditEntriesAreNeverDeleted"
      effect    = "Deny"
      actions   = ["s3:DeleteObject", "s3:DeleteObjectVersion"]
      resources = ["${aws_s3_bucket.this[each.key].arn}/audit/*"]
      principals {
        type        = "*"
        identifiers = ["*"]
      }
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  policy = data.aws_iam_policy_document.bucket[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.this]
}
