# Rollback alarms (wired into the endpoint's deployment guardrails), the drift alarm, a
# dashboard and a cost budget on the model tag.

resource "aws_cloudwatch_metric_alarm" "errors_5xx" {
  alarm_name          = "${local.name}-invocation-5xx"
  alarm_description   = "Server errors of ${local.name}: rolls a deployment back"
  namespace           = "AWS/SageMaker"
  metric_name         = "Invocation5XXErrors"
  dimensions          = { EndpointName = local.name, VariantName = "primary" }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = var.alarm_evaluation_periods
  threshold           = var.error_5xx_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.events.arn]
}

resource "aws_cloudwatch_metric_alarm" "latency" {
  alarm_name          = "${local.name}-model-latency"
  alarm_description   = "Model latency of ${local.name} above ${var.latency_threshold_ms} ms: rolls a deployment back"
  namespace           = "AWS/SageMaker"
  metric_name         = "ModelLatency"
  dimensions          = { EndpointName = local.name, VariantName = "primary" }
  statistic           = "Average"
  period              = 60
  evaluation_periods  = var.alarm_evaluation_periods
  threshold           = var.latency_threshold_ms * 1000 # ModelLatency is in microseconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.events.arn]
}

resource "aws_cloudwatch_metric_alarm" "drift" {
  alarm_name          = "${local.name}-drift"
  alarm_description   = "Feature drift of ${local.name} above ${var.drift_threshold}: starts retraining (events.tf)"
  namespace           = var.drift_metric_namespace
  metric_name         = var.drift_metric_name
  dimensions          = { model = local.slug, environment = var.environment }
  statistic           = "Maximum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = var.drift_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.events.arn]
}

locals {
  endpoint_dims = ["EndpointName", local.name, "VariantName", "primary"]
  dashboard_widgets = [
    { title = "Invocations", ns = "AWS/SageMaker", metrics = ["Invocations", "InvocationsPerInstance"], stat = "Sum" },
    { title = "Latency (microseconds)", ns = "AWS/SageMaker", metrics = ["ModelLatency", "OverheadLatency"], stat = "Average" },
    { title = "Errors", ns = "AWS/SageMaker", metrics = ["Invocation4XXErrors", "Invocation5XXErrors"], stat = "Sum" },
    { title = "Instance utilisation (%)", ns = "/aws/sagemaker/Endpoints", metrics = ["CPUUtilization", "MemoryUtilization", "DiskUtilization"], stat = "Average" },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = local.name
  dashboard_body = jsonencode({
    widgets = concat(
      [for i, w in local.dashboard_widgets : {
        type   = "metric"
        x      = (i % 2) * 12
        y      = floor(i / 2) * 6
        width  = 12
        height = 6
        properties = {
          title   = w.title
          region  = local.region
          stat    = w.stat
          period  = 60
          view    = "timeSeries"
          metrics = [for m in w.metrics : concat([w.ns, m], local.endpoint_dims)]
        }
      }],
      [{
        type   = "metric"
        x      = 0
        y      = 12
        width  = 24
        height = 6
        properties = {
          title       = "Drift (${var.drift_metric_name}, threshold ${var.drift_threshold})"
          region      = local.region
          stat        = "Maximum"
          period      = 3600
          view        = "timeSeries"
          metrics     = [[var.drift_metric_namespace, var.drift_metric_name, "model", local.slug, "environment", var.environment]]
          annotations = { horizontal = [{ label = "retrain", value = var.drift_threshold }] }
        }
      }],
    )
  })
}

resource "aws_budgets_budget" "this" {
  count = var.create_budget ? 1 : 0

  name         = local.name
  budget_type  = "COST"
  limit_amount = format("%.2f", var.monthly_budget_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  cost_filter {
    name   = "TagKeyValue"
    values = [format("user:model$%s", local.slug)]
  }

  notification {
    comparison_operator       = "GREATER_THAN"
    threshold                 = 80
    threshold_type            = "PERCENTAGE"
    notification_type         = "FORECASTED"
    subscriber_sns_topic_arns = [aws_sns_topic.events.arn]
  }

  notification {
    comparison_operator       = "GREATER_THAN"
    threshold                 = 100
    threshold_type            = "PERCENTAGE"
    notification_type         = "ACTUAL"
    subscriber_sns_topic_arns = [aws_sns_topic.events.arn]
  }
}
