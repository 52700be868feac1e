# Only what differs between environments lives here (set in env/<env>.tfvars). Everything that
# describes the model (slug, region, accounts, strategy, instances, compliance) is in project.yaml.

variable "environment" {
  description = "Environment this apply targets: dev, qa or prod."
  type        = string

  validation {
    condition     = contains(["dev", "qa", "prod"], var.environment)
    error_message = "environment must be dev, qa or prod."
  }
}

# --- deployment ------------------------------------------------------------------------------

variable "model_package_arn" {
  description = "Approved model package to serve. Empty (the first apply) creates everything except the endpoint."
  type        = string
  default     = ""

  validation {
    condition     = var.model_package_arn == "" || can(regex("^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/[a-zA-Z0-9-]{1,63}/[0-9]+$", var.model_package_arn))
    error_message = "model_package_arn must be empty or a versioned model package ARN (…:model-package/<group>/<version>)."
  }
}

variable "challenger_model_package_arn" {
  description = "Optional challenger served as a shadow variant: it receives a copy of traffic, its answers are captured, never returned."
  type        = string
  default     = ""

  validation {
    condition     = var.challenger_model_package_arn == "" || can(regex("^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/[a-zA-Z0-9-]{1,63}/[0-9]+$", var.challenger_model_package_arn))
    error_message = "challenger_model_package_arn must be empty or a versioned model package ARN."
  }
}

variable "shadow_traffic_percent" {
  description = "Share of requests copied to the shadow variant (its variant weight relative to the primary's 100)."
  type        = number
  default     = 100

  validation {
    condition     = var.shadow_traffic_percent >= 1 && var.shadow_traffic_percent <= 100
    error_message = "shadow_traffic_percent must be between 1 and 100."
  }
}

variable "canary_size_percent" {
  description = "Canary strategy: share of the new fleet that takes traffic first. SageMaker allows at most 50% of the variant's instances."
  type        = number
  default     = 10

  validation {
    condition     = var.canary_size_percent >= 1 && var.canary_size_percent <= 50 && floor(var.canary_size_percent) == var.canary_size_percent
    error_message = "canary_size_percent must be an integer from 1 to 50."
  }
}

variable "linear_step_percent" {
  description = "Linear strategy: share of the fleet shifted at each step. SageMaker allows 10-50% of the variant's instances."
  type        = number
  default     = 25

  validation {
    condition     = var.linear_step_percent >= 10 && var.linear_step_percent <= 50 && floor(var.linear_step_percent) == var.linear_step_percent
    error_message = "linear_step_percent must be an integer from 10 to 50."
  }
}

variable "bake_seconds" {
  description = "Wait between traffic steps while the rollback alarms watch the new fleet (SageMaker: 0-3600)."
  type        = number
  default     = 600

  validation {
    condition     = var.bake_seconds >= 0 && var.bake_seconds <= 3600
    error_message = "bake_seconds must be between 0 and 3600."
  }
}

variable "termination_wait_seconds" {
  description = "Time the old fleet is kept after full shift, so a late alarm can still roll back (SageMaker: 0-3600)."
  type        = number
  default     = 600

  validation {
    condition     = var.termination_wait_seconds >= 0 && var.termination_wait_seconds <= 3600
    error_message = "termination_wait_seconds must be between 0 and 3600."
  }
}

variable "max_deployment_seconds" {
  description = "Upper bound of one blue/green deployment (SageMaker: 600-28800); must exceed all bake and termination waits."
  type        = number
  default     = 7200

  validation {
    condition     = var.max_deployment_seconds >= 600 && var.max_deployment_seconds <= 28800
    error_message = "max_deployment_seconds must be between 600 and 28800."
  }
}

variable "data_capture_percent" {
  description = "Share of requests whose input and output are captured to the artifact bucket for drift monitoring (SageMaker: 0-100)."
  type        = number
  default     = 100

  validation {
    condition     = var.data_capture_percent >= 0 && var.data_capture_percent <= 100 && floor(var.data_capture_percent) == var.data_capture_percent
    error_message = "data_capture_percent must be an integer from 0 to 100."
  }
}

# --- alarms ----------------------------------------------------------------------------------

variable "error_5xx_threshold" {
  description = "Invocation 5XX errors per minute that trip the rollback alarm."
  type        = number
  default     = 1

  validation {
    condition     = var.error_5xx_threshold >= 1
    error_message = "error_5xx_threshold must be at least 1."
  }
}

variable "latency_threshold_ms" {
  description = "Average model latency (milliseconds) that trips the rollback alarm."
  type        = number
  default     = 500

  validation {
    condition     = var.latency_threshold_ms > 0 && var.latency_threshold_ms <= 60000
    error_message = "latency_threshold_ms must be in (0, 60000] (SageMaker's invocation timeout is 60 s)."
  }
}

variable "alarm_evaluation_periods" {
  description = "Consecutive one-minute periods above threshold before a rollback alarm fires."
  type        = number
  default     = 2

  validation {
    condition     = var.alarm_evaluation_periods >= 1 && var.alarm_evaluation_periods <= 10
    error_message = "alarm_evaluation_periods must be between 1 and 10."
  }
}

variable "drift_metric_namespace" {
  description = "CloudWatch namespace where the drift job publishes its metrics."
  type        = string
  default     = "MLOps/Drift"

  validation {
    condition     = can(regex("^[A-Za-z0-9./#:_-]{1,255}$", var.drift_metric_namespace)) && !startswith(var.drift_metric_namespace, "AWS/")
    error_message = "drift_metric_namespace must be a custom CloudWatch namespace (not AWS/...)."
  }
}

variable "drift_metric_name" {
  description = "Drift metric (worst feature's population stability index) compared with drift_threshold."
  type        = string
  default     = "MaxPSI"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,255}$", var.drift_metric_name))
    error_message = "drift_metric_name must be a CloudWatch metric name."
  }
}

variable "drift_threshold" {
  description = "Drift metric value above which retraining starts (PSI > 0.2 is the usual 'significant shift')."
  type        = number
  default     = 0.2

  validation {
    condition     = var.drift_threshold > 0
    error_message = "drift_threshold must be positive."
  }
}

# --- retention -------------------------------------------------------------------------------

variable "artifact_lock_days" {
  description = "Object Lock default retention of artifact bucket objects (data, models, captures), in days."
  type        = number
  default     = 30

  validation {
    condition     = var.artifact_lock_days >= 1 && var.artifact_lock_days <= 36500
    error_message = "artifact_lock_days must be between 1 and 36500."
  }
}

variable "audit_lock_days" {
  description = "Object Lock default retention of audit trail entries and signatures, in days (Part 11 records: keep for the record's life)."
  type        = number
  default     = 2557

  validation {
    condition     = var.audit_lock_days >= 1 && var.audit_lock_days <= 36500
    error_message = "audit_lock_days must be between 1 and 36500."
  }
}

variable "capture_expiration_days" {
  description = "Days after which captured requests expire from the artifact bucket (must be at least artifact_lock_days to be effective)."
  type        = number
  default     = 90

  validation {
    condition     = var.capture_expiration_days >= 1 && var.capture_expiration_days <= 3650
    error_message = "capture_expiration_days must be between 1 and 3650."
  }
}

variable "ecr_keep_images" {
  description = "Number of tagged images kept in ECR (older ones expire)."
  type        = number
  default     = 50

  validation {
    condition     = var.ecr_keep_images >= 1 && var.ecr_keep_images <= 1000
    error_message = "ecr_keep_images must be between 1 and 1000."
  }
}

# --- people, cost and integrations ------------------------------------------------------------

variable "approver_principal_arns" {
  description = "IAM principals (SSO permission-set roles of model stewards) allowed to assume the approver role, with MFA. Empty: any principal of the account that IAM allows to assume it."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.approver_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", a))])
    error_message = "approver_principal_arns must be IAM role or user ARNs."
  }
}

variable "notification_emails" {
  description = "E-mail addresses subscribed to the model's notification topic (approvals, drift, budget)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.notification_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "notification_emails must be e-mail addresses."
  }
}

variable "monthly_budget_usd" {
  description = "Monthly cost budget of resources tagged with this model, in USD."
  type        = number
  default     = 500

  validation {
    condition     = var.monthly_budget_usd > 0
    error_message = "monthly_budget_usd must be positive."
  }
}

variable "pipeline_parameters" {
  description = "Parameters passed to the SageMaker pipeline when EventBridge starts it (names must exist in the pipeline)."
  type        = map(string)
  default     = {}
}

variable "data_prefix" {
  description = "Key prefix in the artifact bucket where new training data lands and starts the pipeline."
  type        = string
  default     = "data/"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*/$", var.data_prefix))
    error_message = "data_prefix must be a relative key prefix ending with /, e.g. data/."
  }
}

variable "gitlab_deploy_trigger" {
  description = "Optional: on approval, start the GitLab deploy pipeline through an EventBridge API destination. The trigger token is kept by EventBridge in Secrets Manager under the model key; pass it as TF_VAR_gitlab_deploy_trigger from a masked CI variable."
  type = object({
    project_id = number
    ref        = string
    token      = string
  })
  default   = null
  sensitive = true

  validation {
    condition     = var.gitlab_deploy_trigger == null || try(var.gitlab_deploy_trigger.project_id > 0 && length(var.gitlab_deploy_trigger.token) >= 8 && length(var.gitlab_deploy_trigger.ref) > 0, false)
    error_message = "gitlab_deploy_trigger needs a positive project_id, a ref and a token."
  }
}

# --- switches for emulators only ---------------------------------------------------------------

variable "create_conformance_pack" {
  description = "Deploy the model's Config conformance pack. Keep true in AWS; only the emulator test turns it off (moto has no conformance packs)."
  type        = bool
  default     = true
}

variable "create_model_package_group" {
  description = "Create the model package group. Keep true in AWS; only the emulator test turns it off (moto cannot delete groups)."
  type        = bool
  default     = true
}

variable "create_budget" {
  description = "Create the model's cost budget. Keep true in AWS; only the emulator test turns it off (moto lacks Budgets' DescribeSubscribersForNotification, which the provider reads back)."
  type        = bool
  default     = true
}
