# GitLab OIDC: CI jobs exchange their short-lived ID token for an environment's role. No CI keys.
#
# IAM evaluates only the aud and sub claims of a GitLab token. sub is
# project_path:<group/project>:ref_type:<branch|tag>:ref:<name>, so trust is pinned to the model
# projects and to the refs listed in ci_trusted_refs, which must be protected in GitLab; one role
# per environment lets GitLab's protected environments gate who can run a job that assumes it.

resource "aws_iam_openid_connect_provider" "gitlab" {
  url             = local.gitlab_url
  client_id_list  = [local.gitlab_audience]
  thumbprint_list = var.gitlab_oidc_thumbprints
}

locals {
  ci = {
    for env in var.environments : env => {
      prefixes = [for slug in keys(var.models) : "${slug}-${env}"]
      slugs    = keys(var.models)
      subjects = [
        for pair in setproduct(values(var.models), lookup(var.ci_trusted_refs, env, [])) :
        "project_path:${pair[0]}:${pair[1]}"
      ]
    }
  }
  arn_prefix = {
    sagemaker = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}"
    events    = "arn:${local.partition}:events:${local.region}:${local.account_id}"
    sns       = "arn:${local.partition}:sns:${local.region}:${local.account_id}"
    cloudw    = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}"
    ssm       = "arn:${local.partition}:ssm:${local.region}:${local.account_id}"
    ecr       = "arn:${local.partition}:ecr:${local.region}:${local.account_id}"
    kms       = "arn:${local.partition}:kms:${local.region}:${local.account_id}"
    config    = "arn:${local.partition}:config:${local.region}:${local.account_id}"
    iam       = "arn:${local.partition}:iam::${local.account_id}"
  }
}

data "aws_iam_policy_document" "ci_trust" {
  for_each = local.ci

  statement {
    sid     = "GitLabProtectedRefsOfModelProjects"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.gitlab.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${var.gitlab_host}:aud"
      values   = [local.gitlab_audience]
    }
    condition {
      test     = "StringLike"
      variable = "${var.gitlab_host}:sub"
      values   = each.value.subjects
    }
  }
}

resource "aws_iam_role" "ci" {
  for_each = local.ci

  name                 = "${var.name_prefix}-${each.key}-gitlab-ci"
  description          = "GitLab CI deploy role for the ${each.key} environment of: ${join(", ", each.value.slugs)}"
  assume_role_policy   = data.aws_iam_policy_document.ci_trust[each.key].json
  max_session_duration = var.ci_session_duration_seconds
}

# What CI needs to apply a model root: resources named <slug>-<env>*, keys tagged with the model.
data "aws_iam_policy_document" "ci" {
  #checkov:skip=CKV_AWS_356:The "*" statements hold only actions without resource-level support (Describe/List, CreateKey with a tag condition, GetAuthorizationToken).
  #checkov:skip=CKV_AWS_111:Write actions are scoped to <slug>-<env> resources; the "*" statement holds CreateKey behind a request-tag condition.
  #checkov:skip=CKV_AWS_109:Role and key management is scoped to <slug>-<env> names and model-tagged keys, and roles must carry the permissions boundary.
  for_each = local.ci

  statement {
    sid = "DiscoverWithoutResourceScope"
    actions = [
      "sts:GetCallerIdentity",
      "ec2:DescribeAvailabilityZones", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs",
      "ecr:GetAuthorizationToken",
      "kms:ListAliases", "kms:ListKeys",
      "sagemaker:ListModelPackageGroups", "sagemaker:ListEndpoints", "sagemaker:ListEndpointConfigs", "sagemaker:ListModels",
      "ssm:DescribeParameters",
      "config:DescribeConformancePacks", "config:DescribeConformancePackStatus",
      "cloudwatch:DescribeAlarms", "cloudwatch:ListDashboards",
      "events:ListRules", "events:ListConnections", "events:ListApiDestinations",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "CreateModelKeys"
    actions   = ["kms:CreateKey"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/model"
      values   = each.value.slugs
    }
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/environment"
      values   = [each.key]
    }
  }

  statement {
    sid = "ManageModelKeys"
    actions = [
      "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus", "kms:EnableKeyRotation",
      "kms:ListResourceTags", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:UpdateKeyDescription",
      "kms:CreateAlias", "kms:DeleteAlias", "kms:GetPublicKey", "kms:Verify",
      "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey",
    ]
    resources = ["${local.arn_prefix.kms}:key/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/model"
      values   = each.value.slugs
    }
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/environment"
      values   = [each.key]
    }
  }

  statement {
    sid       = "ModelKeyAliases"
    actions   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
    resources = [for p in each.value.prefixes : "${local.arn_prefix.kms}:alias/${p}*"]
  }

  statement {
    sid = "ModelBuckets"
    actions = [
      "s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:ListBucketVersions",
      "s3:GetBucket*", "s3:PutBucket*", "s3:DeleteBucketPolicy",
      "s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration",
      "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration",
      "s3:GetAccelerateConfiguration", "s3:GetReplicationConfiguration",
      "s3:PutObjectLockConfiguration",
    ]
    resources = [for p in each.value.prefixes : "arn:${local.partition}:s3:::${p}-*"]
  }

  statement {
    sid       = "TerraformState"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [for slug in each.value.slugs : "${aws_s3_bucket.this["state"].arn}/${slug}/${each.key}/*"]
  }

  statement {
    sid       = "TerraformStateList"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.this["state"].arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [for slug in each.value.slugs : "${slug}/${each.key}/*"]
    }
  }

  statement {
    sid       = "TerraformStateKey"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.platform.arn]
  }

  statement {
    sid = "ModelRoles"
    actions = [
      "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
      "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags",
      "iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
      "iam:PutRolePermissionsBoundary",
    ]
    resources = [for p in each.value.prefixes : "${local.arn_prefix.iam}:role/${p}-*"]
  }

  statement {
    sid       = "PassModelRoles"
    actions   = ["iam:PassRole"]
    resources = [for p in each.value.prefixes : "${local.arn_prefix.iam}:role/${p}-*"]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com", "events.amazonaws.com"]
    }
  }

  statement {
    sid     = "ConformancePackRole"
    actions = ["iam:CreateServiceLinkedRole"]
    resources = [
      "${local.arn_prefix.iam}:role/aws-service-role/config-conforms.amazonaws.com/*",
    ]
    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["config-conforms.amazonaws.com"]
    }
  }

  statement {
    sid = "ModelSageMaker"
    actions = [
      "sagemaker:CreateModelPackageGroup", "sagemaker:DeleteModelPackageGroup", "sagemaker:DescribeModelPackageGroup",
      "sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages",
      "sagemaker:CreateModel", "sagemaker:DeleteModel", "sagemaker:DescribeModel",
      "sagemaker:CreateEndpointConfig", "sagemaker:DeleteEndpointConfig", "sagemaker:DescribeEndpointConfig",
      "sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint", "sagemaker:DeleteEndpoint", "sagemaker:DescribeEndpoint",
      "sagemaker:CreatePipeline", "sagemaker:UpdatePipeline", "sagemaker:DescribePipeline", "sagemaker:StartPipelineExecution",
      "sagemaker:ListPipelineExecutions", "sagemaker:DescribePipelineExecution", "sagemaker:ListPipelineExecutionSteps",
      "sagemaker:AddTags", "sagemaker:DeleteTags", "sagemaker:ListTags",
    ]
    resources = flatten([for p in each.value.prefixes : [
      "${local.arn_prefix.sagemaker}:model-package-group/${p}",
      "${local.arn_prefix.sagemaker}:model-package/${p}/*",
      "${local.arn_prefix.sagemaker}:model/${p}-*",
      "${local.arn_prefix.sagemaker}:endpoint-config/${p}-*",
      "${local.arn_prefix.sagemaker}:endpoint/${p}",
      "${local.arn_prefix.sagemaker}:pipeline/${p}",
      "${local.arn_prefix.sagemaker}:pipeline/${p}/execution/*",
    ]])
  }

  statement {
    sid = "ModelImages"
    actions = [
      "ecr:CreateRepository", "ecr:DeleteRepository", "ecr:DescribeRepositories",
      "ecr:PutLifecyclePolicy", "ecr:GetLifecyclePolicy", "ecr:DeleteLifecyclePolicy",
      "ecr:PutImageScanningConfiguration", "ecr:PutImageTagMutability",
      "ecr:TagResource", "ecr:UntagResource", "ecr:ListTagsForResource",
      "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload",
      "ecr:PutImage", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages",
    ]
    resources = [for p in each.value.prefixes : "${local.arn_prefix.ecr}:repository/${p}"]
  }

  statement {
    sid = "ModelNotifications"
    actions = [
      "sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes",
      "sns:TagResource", "sns:UntagResource", "sns:ListTagsForResource",
      "sns:Subscribe", "sns:Unsubscribe", "sns:GetSubscriptionAttributes",
    ]
    resources = [for p in each.value.prefixes : "${local.arn_prefix.sns}:${p}-*"]
  }

  statement {
    sid = "ModelEvents"
    actions = [
      "events:PutRule", "events:DeleteRule", "events:DescribeRule", "events:EnableRule", "events:DisableRule",
      "events:PutTargets", "events:RemoveTargets", "events:ListTargetsByRule",
      "events:TagResource", "events:UntagResource", "events:ListTagsForResource",
      "events:CreateConnection", "events:UpdateConnection", "events:DeleteConnection", "events:DescribeConnection",
      "events:CreateApiDestination", "events:UpdateApiDestination", "events:DeleteApiDestination", "events:DescribeApiDestination",
    ]
    resources = flatten([for p in each.value.prefixes : [
      "${local.arn_prefix.events}:rule/${p}-*",
      "${local.arn_prefix.events}:connection/${p}-*",
      "${local.arn_prefix.events}:api-destination/${p}-*",
    ]])
  }

  statement {
    sid = "ModelAlarmsAndDashboards"
    actions = [
      "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource",
      "cloudwatch:ListTagsForResource", "cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards",
    ]
    resources = flatten([for p in each.value.prefixes : [
      "${local.arn_prefix.cloudw}:alarm:${p}-*",
      "arn:${local.partition}:cloudwatch::${local.account_id}:dashboard/${p}",
    ]])
  }

  statement {
    sid       = "ModelBudgets"
    actions   = ["budgets:ModifyBudget", "budgets:ViewBudget", "budgets:TagResource", "budgets:UntagResource", "budgets:ListTagsForResource"]
    resources = [for p in each.value.prefixes : "arn:${local.partition}:budgets::${local.account_id}:budget/${p}"]
  }

  statement {
    sid       = "ModelConformancePacks"
    actions   = ["config:PutConformancePack", "config:DeleteConformancePack", "config:PutConfigRule", "config:DeleteConfigRule", "config:DescribeConfigRules"]
    resources = flatten([for p in each.value.prefixes : ["${local.arn_prefix.config}:conformance-pack/${p}*/*", "${local.arn_prefix.config}:config-rule/*"]])
  }

  statement {
    sid = "ModelParameters"
    actions = [
      "ssm:PutParameter", "ssm:GetParameter", "ssm:GetParameters", "ssm:DeleteParameter",
      "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource", "ssm:ListTagsForResource",
    ]
    resources = [for slug in each.value.slugs : "${local.arn_prefix.ssm}:parameter/mlops/models/${slug}/${each.key}/*"]
  }

  statement {
    sid       = "ReadFoundation"
    actions   = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"]
    resources = ["${local.arn_prefix.ssm}:parameter${var.ssm_foundation_prefix}/${each.key}/*"]
  }

  statement {
    sid       = "EventBridgeConnectionSecrets"
    actions   = ["secretsmanager:CreateSecret", "secretsmanager:UpdateSecret", "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret", "secretsmanager:PutSecretValue", "secretsmanager:TagResource"]
    resources = [for p in each.value.prefixes : "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:events!connection/${p}-*"]
  }

  # Separation of duties: approving a model and signing belong to the model approver role only.
  statement {
    sid       = "NeverApproveOrSign"
    effect    = "Deny"
    actions   = ["sagemaker:UpdateModelPackage", "kms:Sign"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "ci" {
  for_each = local.ci

  name   = "deploy-model-resources"
  role   = aws_iam_role.ci[each.key].id
  policy = data.aws_iam_policy_document.ci[each.key].json
}
