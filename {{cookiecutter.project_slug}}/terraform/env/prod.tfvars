environment = "prod"

model_package_arn            = ""
challenger_model_package_arn = ""

bake_seconds             = 900
termination_wait_seconds = 1200
latency_threshold_ms     = 300
error_5xx_threshold      = 1
alarm_evaluation_periods = 2

artifact_lock_days      = 365
audit_lock_days         = 3653
capture_expiration_days = 365

monthly_budget_usd = 1000
