# The endpoint exists only once an approved model package ARN is given (env/<env>.tfvars or
# -var in the deploy job). Changing the ARN creates a new model and endpoint configuration,
# then SageMaker shifts traffic blue/green per project.yaml's strategy, rolling back when a
# rollback alarm fires.

locals {
  deploy = var.model_package_arn != ""
  shadow = local.deploy && var.challenger_model_package_arn != ""

  routing_type = {
    canary      = "CANARY"
    linear      = "LINEAR"
    all_at_once = "ALL_AT_ONCE"
  }[local.strategy]

  rollback_alarms = [aws_cloudwatch_metric_alarm.errors_5xx.alarm_name, aws_cloudwatch_metric_alarm.latency.alarm_name]

  # Worst-case deployment time: linear takes ceil(100/step) steps, canary two, all-at-once one.
  shift_steps = {
    canary      = 2
    linear      = ceil(100 / var.linear_step_percent)
    all_at_once = 1
  }[local.strategy]
  deployment_wait_seconds = local.shift_steps * var.bake_seconds + var.termination_wait_seconds

  # Names change with what they hold, so a new version is created before the old is removed.
  champion_id = substr(sha1(var.model_package_arn), 0, 8)
  config_id = substr(sha1(jsonencode([
    var.model_package_arn, var.challenger_model_package_arn, var.shadow_traffic_percent,
    local.instance_type, local.instance_count, var.data_capture_percent,
  ])), 0, 8)
}

resource "aws_sagemaker_model" "champion" {
  count = local.deploy ? 1 : 0

  name                     = "${local.name}-${local.champion_id}"
  execution_role_arn       = aws_iam_role.endpoint.arn
  enable_network_isolation = true

  primary_container {
    model_package_name = var.model_package_arn
  }

  vpc_config {
    subnets            = local.subnet_ids
    security_group_ids = [local.security_group_id]
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_sagemaker_model" "challenger" {
  count = local.shadow ? 1 : 0

  name                     = "${local.name}-shadow-${substr(sha1(var.challenger_model_package_arn), 0, 8)}"
  execution_role_arn       = aws_iam_role.endpoint.arn
  enable_network_isolation = true

  primary_container {
    model_package_name = var.challenger_model_package_arn
  }

  vpc_config {
    subnets            = local.subnet_ids
    security_group_ids = [local.security_group_id]
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_sagemaker_endpoint_configuration" "this" {
  count = local.deploy ? 1 : 0

  name        = "${local.name}-${local.config_id}"
  kms_key_arn = aws_kms_key.model.arn

  production_variants {
    variant_name           = "primary"
    model_name             = aws_sagemaker_model.champion[0].name
    instance_type          = local.instance_type
    initial_instance_count = local.instance_count
    initial_variant_weight = 1
  }

  dynamic "shadow_production_variants" {
    for_each = local.shadow ? [1] : []
    content {
      variant_name           = "shadow"
      model_name             = aws_sagemaker_model.challenger[0].name
      instance_type          = local.instance_type
      initial_instance_count = 1
      initial_variant_weight = var.shadow_traffic_percent / 100
    }
  }

  data_capture_config {
    enable_capture              = var.data_capture_percent > 0
    initial_sampling_percentage = var.data_capture_percent
    destination_s3_uri          = "s3://${aws_s3_bucket.this["artifacts"].bucket}/data-capture"
    kms_key_id                  = aws_kms_key.model.arn

    capture_options {
      capture_mode = "Input"
    }
    capture_options {
      capture_mode = "Output"
    }

    capture_content_type_header {
      csv_content_types  = ["text/csv"]
      json_content_types = ["application/json"]
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_sagemaker_endpoint" "this" {
  count = local.deploy ? 1 : 0

  name                 = local.name
  endpoint_config_name = aws_sagemaker_endpoint_configuration.this[0].name

  deployment_config {
    blue_green_update_policy {
      traffic_routing_configuration {
        type                     = local.routing_type
        wait_interval_in_seconds = var.bake_seconds

        dynamic "canary_size" {
          for_each = local.strategy == "canary" ? [var.canary_size_percent] : []
          content {
            type  = "CAPACITY_PERCENT"
            value = canary_size.value
          }
        }

        dynamic "linear_step_size" {
          for_each = local.strategy == "linear" ? [var.linear_step_percent] : []
          content {
            type  = "CAPACITY_PERCENT"
            value = linear_step_size.value
          }
        }
      }
      termination_wait_in_seconds          = var.termination_wait_seconds
      maximum_execution_timeout_in_seconds = var.max_deployment_seconds
    }

    auto_rollback_configuration {
      dynamic "alarms" {
        for_each = local.rollback_alarms
        content {
          alarm_name = alarms.value
        }
      }
    }
  }

  lifecycle {
    precondition {
      condition     = contains(["canary", "linear", "all_at_once"], local.strategy)
      error_message = "project.yaml deployment.strategy must be canary, linear or all_at_once."
    }
    precondition {
      condition     = local.strategy == "all_at_once" || local.instance_count >= 2
      error_message = "Canary and linear traffic shifting need deployment.instance_count >= 2 in project.yaml."
    }
    precondition {
      condition     = var.max_deployment_seconds > local.deployment_wait_seconds
      error_message = "max_deployment_seconds must exceed the bake waits of every step plus termination_wait_seconds."
    }
  }
}
