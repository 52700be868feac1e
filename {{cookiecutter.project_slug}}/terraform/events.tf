# EventBridge wiring, no Lambda:
#   new object under data_prefix   -> start the SageMaker pipeline
#   drift alarm enters ALARM        -> start the pipeline (retrain) and notify
#   model package state change      -> notify; on approval optionally start the GitLab deploy

resource "aws_sns_topic" "events" {
  name              = "${local.name}-events"
  kms_master_key_id = aws_kms_key.model.arn
}

data "aws_iam_policy_document" "topic" {
  statement {
    sid       = "AwsServicesOfThisAccountPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.events.arn]
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

resource "aws_sns_topic_policy" "events" {
  arn    = aws_sns_topic.events.arn
  policy = data.aws_iam_policy_document.topic.json
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.notification_emails)

  topic_arn = aws_sns_topic.events.arn
  protocol  = "email"
  endpoint  = each.value
}

# --- new data -> pipeline -------------------------------------------------------------------

resource "aws_cloudwatch_event_rule" "new_data" {
  name        = "${local.name}-new-data"
  description = "New object under s3://${aws_s3_bucket.this["artifacts"].bucket}/${var.data_prefix} starts the pipeline"
  event_pattern = jsonencode({
    source      = ["aws.s3"]
    detail-type = ["Object Created"]
    detail = {
      bucket = { name = [aws_s3_bucket.this["artifacts"].bucket] }
      object = { key = [{ prefix = var.data_prefix }] }
    }
  })
}

resource "aws_cloudwatch_event_target" "new_data" {
  rule      = aws_cloudwatch_event_rule.new_data.name
  target_id = "start-pipeline"
  arn       = local.pipeline_arn
  role_arn  = aws_iam_role.events.arn

  sagemaker_pipeline_target {
    dynamic "pipeline_parameter_list" {
      for_each = var.pipeline_parameters
      content {
        name  = pipeline_parameter_list.key
        value = pipeline_parameter_list.value
      }
    }
  }
}

# --- drift -> pipeline ----------------------------------------------------------------------

resource "aws_cloudwatch_event_rule" "drift" {
  name        = "${local.name}-drift"
  description = "Drift alarm of ${local.name} entering ALARM starts retraining"
  event_pattern = jsonencode({
    source      = ["aws.cloudwatch"]
    detail-type = ["CloudWatch Alarm State Change"]
    resources   = [aws_cloudwatch_metric_alarm.drift.arn]
    detail      = { state = { value = ["ALARM"] } }
  })
}

resource "aws_cloudwatch_event_target" "drift" {
  rule      = aws_cloudwatch_event_rule.drift.name
  target_id = "retrain"
  arn       = local.pipeline_arn
  role_arn  = aws_iam_role.events.arn

  sagemaker_pipeline_target {
    dynamic "pipeline_parameter_list" {
      for_each = var.pipeline_parameters
      content {
        name  = pipeline_parameter_list.key
        value = pipeline_parameter_list.value
      }
    }
  }
}

# --- model package state -> notify, approval -> deploy ----------------------------------------

resource "aws_cloudwatch_event_rule" "package_state" {
  name        = "${local.name}-package-state"
  description = "Any state change of ${local.model_package_group} model packages"
  event_pattern = jsonencode({
    source      = ["aws.sagemaker"]
    detail-type = ["SageMaker Model Package State Change"]
    detail      = { ModelPackageGroupName = [local.model_package_group] }
  })
}

resource "aws_cloudwatch_event_target" "package_state" {
  rule      = aws_cloudwatch_event_rule.package_state.name
  target_id = "notify"
  arn       = aws_sns_topic.events.arn
}

locals {
  gitlab_trigger = nonsensitive(var.gitlab_deploy_trigger != null)
}

resource "aws_cloudwatch_event_connection" "gitlab" {
  count = local.gitlab_trigger ? 1 : 0

  name               = "${local.name}-gitlab"
  description        = "GitLab pipeline trigger of ${local.project.gitlab.project_path}"
  authorization_type = "API_KEY"
  kms_key_identifier = aws_kms_key.model.arn

  auth_parameters {
    # The trigger API authenticates by the token in the body; the header names the caller.
    api_key {
      key   = "X-MLOps-Caller"
      value = local.name
    }
    invocation_http_parameters {
      body {
        key             = "token"
        value           = var.gitlab_deploy_trigger.token
        is_value_secret = true
      }
      body {
        key             = "ref"
        value           = var.gitlab_deploy_trigger.ref
        is_value_secret = false
      }
    }
  }
}

resource "aws_cloudwatch_event_api_destination" "gitlab" {
  count = local.gitlab_trigger ? 1 : 0

  name                             = "${local.name}-gitlab-deploy"
  description                      = "Starts the GitLab deploy pipeline of ${local.name}"
  invocation_endpoint              = "https://${local.project.gitlab.host}/api/v4/projects/${nonsensitive(var.gitlab_deploy_trigger.project_id)}/trigger/pipeline"
  http_method                      = "POST"
  invocation_rate_limit_per_second = 1
  connection_arn                   = aws_cloudwatch_event_connection.gitlab[0].arn
}

resource "aws_cloudwatch_event_rule" "approved" {
  count = local.gitlab_trigger ? 1 : 0

  name        = "${local.name}-approved"
  description = "Approved model package of ${local.model_package_group} starts the deploy pipeline"
  event_pattern = jsonencode({
    source      = ["aws.sagemaker"]
    detail-type = ["SageMaker Model Package State Change"]
    detail = {
      ModelPackageGroupName = [local.model_package_group]
      ModelApprovalStatus   = ["Approved"]
    }
  })
}

resource "aws_cloudwatch_event_target" "approved" {
  count = local.gitlab_trigger ? 1 : 0

  rule      = aws_cloudwatch_event_rule.approved[0].name
  target_id = "gitlab-deploy"
  arn       = aws_cloudwatch_event_api_destination.gitlab[0].arn
  role_arn  = aws_iam_role.events.arn

  input_transformer {
    input_paths = { package = "$.detail.ModelPackageArn" }
    input_template = jsonencode({
      variables = {
        MODEL_PACKAGE_ARN  = "<package>"
        DEPLOY_ENVIRONMENT = var.environment
      }
    })
  }
}
