# Roles of this model. Separation of duties: only the approver role may approve a model package
# (sagemaker:UpdateModelPackage) or sign (kms:Sign); every other role denies both explicitly.
# The CI deploy role itself is the foundation's (read from SSM): it applies this root.
#
# Audit trail: one object per entry, audit/<slug>/<12-digit seq>.json in the audit bucket, created
# with PutObject + If-None-Match: * (the bucket policy refuses any other write there, storage.tf).
# Writers (pipeline, approver) read the head with ListBucket + GetObject; verifiers (pipeline,
# approver) also read ListObjectVersions + GetObjectVersion to find overwritten or deleted entries.
#
# Signing key: the governance code names it by alias ARN (alias/<name>-signing). KMS authorizes
# Sign/Verify/GetPublicKey/DescribeKey against the key ARN the alias resolves to, never the alias
# ARN, so statements name aws_kms_key.signing.arn; an alias ARN in Resource would grant nothing.

locals {
  artifacts_arn     = aws_s3_bucket.this["artifacts"].arn
  audit_arn         = aws_s3_bucket.this["audit"].arn
  audit_entries_arn = "${aws_s3_bucket.this["audit"].arn}/audit/*"
  model_cards_arn   = "${local.arn.sagemaker}:model-card/${local.name}-v*"
}

data "aws_iam_policy_document" "sagemaker_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "never_approve_or_sign" {
  statement {
    sid       = "OnlyTheApproverApprovesOrSigns"
    effect    = "Deny"
    actions   = ["sagemaker:UpdateModelPackage", "kms:Sign"]
    resources = ["*"]
  }
}

# Shared by the pipeline and the endpoint: image pull, model key, VPC network interfaces.
data "aws_iam_policy_document" "runtime_common" {
  #checkov:skip=CKV_AWS_356:"*" holds only ecr:GetAuthorizationToken and ec2:Describe* calls, which have no resource-level permissions.
  source_policy_documents = [data.aws_iam_policy_document.never_approve_or_sign.json]

  statement {
    sid       = "PullModelImage"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = [aws_ecr_repository.this.arn]
  }

  statement {
    sid = "NoResourceScopeCalls"
    actions = [
      "ecr:GetAuthorizationToken",
      "ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions",
      "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups",
    ]
    resources = ["*"]
  }

  statement {
    sid = "VpcNetworkInterfaces"
    actions = [
      "ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission",
      "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission",
    ]
    resources = concat(
      ["${local.arn.ec2}:network-interface/*", "${local.arn.ec2}:security-group/${local.security_group_id}"],
      [for s in local.subnet_ids : "${local.arn.ec2}:subnet/${s}"],
    )
  }

  statement {
    sid       = "ModelKey"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
    resources = [aws_kms_key.model.arn]
  }

  statement {
    sid       = "ModelKeyGrantsForSageMakerVolumes"
    actions   = ["kms:CreateGrant"]
    resources = [aws_kms_key.model.arn]
    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }
}

# --- pipeline execution role ----------------------------------------------------------------

resource "aws_iam_role" "pipeline" {
  name               = "${local.name}-pipeline"
  description        = "SageMaker pipeline of ${local.name}: processing, training, tuning, registration"
  assume_role_policy = data.aws_iam_policy_document.sagemaker_trust.json
}

data "aws_iam_policy_document" "pipeline" {
  #checkov:skip=CKV_AWS_356:"*" holds only cloudwatch:PutMetricData restricted by namespace, which has no resource-level permissions.
  source_policy_documents = [data.aws_iam_policy_document.runtime_common.json]

  statement {
    sid       = "ArtifactsReadWrite"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:GetObjectVersion"]
    resources = ["${local.artifacts_arn}/*"]
  }

  statement {
    sid       = "AuditAppendAndVerify"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:GetObjectVersion"]
    resources = [local.audit_entries_arn]
  }

  statement {
    sid       = "ListBuckets"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.artifacts_arn, local.audit_arn]
  }

  statement {
    sid       = "AuditListVersions"
    actions   = ["s3:ListBucketVersions"]
    resources = [local.audit_arn]
  }

  # Verifies approval signatures; kms:Sign stays denied (never_approve_or_sign, signing key policy).
  statement {
    sid       = "VerifySignatures"
    actions   = ["kms:Verify", "kms:GetPublicKey", "kms:DescribeKey"]
    resources = [aws_kms_key.signing.arn]
  }

  statement {
    sid = "RunJobs"
    actions = [
      "sagemaker:CreateProcessingJob", "sagemaker:DescribeProcessingJob", "sagemaker:StopProcessingJob",
      "sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob",
      "sagemaker:CreateHyperParameterTuningJob", "sagemaker:DescribeHyperParameterTuningJob",
      "sagemaker:StopHyperParameterTuningJob", "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
      "sagemaker:AddTags", "sagemaker:ListTags",
    ]
    resources = [
      "${local.arn.sagemaker}:processing-job/*",
      "${local.arn.sagemaker}:training-job/*",
      "${local.arn.sagemaker}:hyper-parameter-tuning-job/*",
    ]
  }

  statement {
    sid = "RegisterModelVersions"
    actions = [
      "sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages",
      "sagemaker:DescribeModelPackageGroup", "sagemaker:AddTags",
    ]
    resources = [local.model_package_grp_arn, "${local.arn.sagemaker}:model-package/${local.model_package_group}/*"]
  }

  statement {
    sid = "OwnPipeline"
    actions = [
      "sagemaker:DescribePipeline", "sagemaker:DescribePipelineExecution", "sagemaker:ListPipelineExecutionSteps",
      "sagemaker:StartPipelineExecution",
    ]
    resources = [local.pipeline_arn, "${local.pipeline_arn}/execution/*"]
  }

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${local.arn.logs}:log-group:/aws/sagemaker/*"]
  }

  statement {
    sid       = "PublishModelMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.drift_metric_namespace, "/aws/sagemaker/TrainingJobs", "/aws/sagemaker/ProcessingJobs"]
    }
  }

  statement {
    sid       = "PassItselfToJobs"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.pipeline.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "pipeline" {
  name   = "pipeline"
  role   = aws_iam_role.pipeline.id
  policy = data.aws_iam_policy_document.pipeline.json
}

# --- endpoint role ------------------------------------------------------------------------------

resource "aws_iam_role" "endpoint" {
  name               = "${local.name}-endpoint"
  description        = "SageMaker endpoint of ${local.name}: load the model, write captured requests"
  assume_role_policy = data.aws_iam_policy_document.sagemaker_trust.json
}

data "aws_iam_policy_document" "endpoint" {
  #checkov:skip=CKV_AWS_356:"*" holds only cloudwatch:PutMetricData restricted by namespace, which has no resource-level permissions.
  source_policy_documents = [data.aws_iam_policy_document.runtime_common.json]

  statement {
    sid       = "ReadModels"
    actions   = ["s3:GetObject"]
    resources = ["${local.artifacts_arn}/*"]
  }

  statement {
    sid       = "WriteCapture"
    actions   = ["s3:PutObject"]
    resources = ["${local.artifacts_arn}/data-capture/*"]
  }

  statement {
    sid       = "ReadModelPackages"
    actions   = ["sagemaker:DescribeModelPackage"]
    resources = ["${local.arn.sagemaker}:model-package/${local.model_package_group}/*"]
  }

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${local.arn.logs}:log-group:/aws/sagemaker/Endpoints/${local.name}*"]
  }

  statement {
    sid       = "EndpointMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["/aws/sagemaker/Endpoints"]
    }
  }
}

resource "aws_iam_role_policy" "endpoint" {
  name   = "endpoint"
  role   = aws_iam_role.endpoint.id
  policy = data.aws_iam_policy_document.endpoint.json
}

# --- model approver role -----------------------------------------------------------------------

data "aws_iam_policy_document" "approver_trust" {
  statement {
    actions = ["sts:AssumeRole", "sts:SetSourceIdentity"]
    principals {
      type        = "AWS"
      identifiers = length(var.approver_principal_arns) > 0 ? var.approver_principal_arns : ["${local.arn.iam}:root"]
    }
    # A signature must be bound to a person: MFA and a source identity (the steward's name).
    condition {
      test     = "Bool"
      variable = "aws:MultiFactorAuthPresent"
      values   = ["true"]
    }
    condition {
      test     = "StringLike"
      variable = "sts:SourceIdentity"
      values   = ["?*"]
    }
  }
}

resource "aws_iam_role" "approver" {
  name                 = "${local.name}-approver"
  description          = "Model steward of ${local.name}: approves or rejects model packages with an electronic signature"
  assume_role_policy   = data.aws_iam_policy_document.approver_trust.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "approver" {
  statement {
    sid = "ApproveOrReject"
    actions = [
      "sagemaker:UpdateModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages",
      "sagemaker:DescribeModelPackageGroup",
    ]
    resources = [local.model_package_grp_arn, "${local.arn.sagemaker}:model-package/${local.model_package_group}/*"]
  }

  # Electronic signature: ECDSA_SHA_256 over the raw record only. The condition keys exist only
  # on Sign and Verify, so reading the key is a statement of its own.
  statement {
    sid       = "Sign"
    actions   = ["kms:Sign"]
    resources = [aws_kms_key.signing.arn]
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
    sid       = "VerifySignatures"
    actions   = ["kms:Verify", "kms:GetPublicKey", "kms:DescribeKey"]
    resources = [aws_kms_key.signing.arn]
  }

  # The model artifact (hashed into the signed record) and its evaluation report.
  statement {
    sid       = "ReadArtifactsToHash"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = [local.artifacts_arn, "${local.artifacts_arn}/*"]
  }

  statement {
    sid       = "AppendAndVerifyAuditTrail"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:GetObjectVersion"]
    resources = [local.audit_entries_arn]
  }

  statement {
    sid       = "ListAuditTrail"
    actions   = ["s3:ListBucket", "s3:ListBucketVersions"]
    resources = [local.audit_arn]
  }

  # A refused signing attempt is published to the model's topic by the identity that attempted it.
  statement {
    sid       = "PublishRefusedSignatures"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.events.arn]
  }

  # Validation report: the model card <name>-v<version> of the approved model version.
  statement {
    sid       = "ValidationReportModelCards"
    actions   = ["sagemaker:CreateModelCard", "sagemaker:UpdateModelCard", "sagemaker:DescribeModelCard"]
    resources = [local.model_cards_arn]
  }

  # SSE-KMS of the buckets and of the SNS topic (publishing to it encrypts with the model key).
  statement {
    sid       = "ModelKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.model.arn]
  }
}

resource "aws_iam_role_policy" "approver" {
  name   = "approve-and-sign"
  role   = aws_iam_role.approver.id
  policy = data.aws_iam_policy_document.approver.json
}

# --- EventBridge role -------------------------------------------------------------------------

data "aws_iam_policy_document" "events_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "events" {
  name               = "${local.name}-events"
  description        = "EventBridge rules of ${local.name}: start the pipeline, call the GitLab trigger"
  assume_role_policy = data.aws_iam_policy_document.events_trust.json
}

data "aws_iam_policy_document" "events" {
  source_policy_documents = [data.aws_iam_policy_document.never_approve_or_sign.json]

  statement {
    sid       = "StartPipeline"
    actions   = ["sagemaker:StartPipelineExecution"]
    resources = [local.pipeline_arn]
  }

  statement {
    sid       = "CallGitLabTrigger"
    actions   = ["events:InvokeApiDestination"]
    resources = ["arn:${local.partition}:events:${local.region}:${local.account_id}:api-destination/${local.name}-*"]
  }
}

resource "aws_iam_role_policy" "events" {
  name   = "start-pipeline"
  role   = aws_iam_role.events.id
  policy = data.aws_iam_policy_document.events.json
}
