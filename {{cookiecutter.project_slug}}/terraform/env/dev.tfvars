# dev: what differs from qa and prod. Model settings live in src/<package>/project.yaml.
environment = "dev"

# Empty until the first model package is approved; the deploy job passes -var model_package_arn=...
model_package_arn            = ""
challenger_model_package_arn = ""

bake_seconds             = 300
termination_wait_seconds = 300
latency_threshold_ms     = 1000
error_5xx_threshold      = 5

# Short locks in dev so test data ages out; qa and prod keep records for years.
artifact_lock_days      = 1
audit_lock_days         = 30
capture_expiration_days = 7

monthly_budget_usd = 200
