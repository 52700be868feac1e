environment = "qa"

model_package_arn            = ""
challenger_model_package_arn = ""

bake_seconds             = 600
termination_wait_seconds = 600
latency_threshold_ms     = 500
error_5xx_threshold      = 2

artifact_lock_days      = 30
audit_lock_days         = 2557
capture_expiration_days = 90

monthly_budget_usd = 300
