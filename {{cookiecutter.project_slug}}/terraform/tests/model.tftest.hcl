# Plan-level properties of this root, with a mocked AWS provider (no account, no network):
#   terraform init -backend=false && terraform test
# Expected values are rendered from this project's answers (compliance: {{ cookiecutter.compliance }},
# strategy: {{ cookiecutter.deployment_strategy }}), so the test proves the root implements them.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  # Policy documents are rendered by the provider; the mock returns a valid empty policy and
  # the assertions inspect the documents' statements instead.
  # Resources get valid ARNs (the provider validates ARN arguments even when mocked).
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id_dev }}:key/00000000-0000-0000-0000-00000000model" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::{{ cookiecutter.aws_account_id_dev }}:role/mock-role" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id_dev }}:mock-topic" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::mock-bucket" }
  }
  mock_resource "aws_ecr_repository" {
    defaults = { arn = "arn:aws:ecr:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id_dev }}:repository/mock" }
  }
  mock_resource "aws_cloudwatch_metric_alarm" {
    defaults = { arn = "arn:aws:cloudwatch:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id_dev }}:alarm:mock" }
  }
  mock_resource "aws_cloudwatch_event_connection" {
    defaults = { arn = "arn:aws:events:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id_dev }}:connection/mock/0000" }
  }
  mock_resource "aws_cloudwatch_event_api_destination" {
    defaults = { arn = "arn:aws:events:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id_dev }}:api-destination/mock/0000" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id_dev }}:rule/mock" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

override_data {
  target = data.aws_ssm_parameter.foundation["private-subnet-ids"]
  values = { insecure_value = "subnet-0a,subnet-0b" }
}

override_data {
  target = data.aws_ssm_parameter.foundation["sagemaker-security-group-id"]
  values = { insecure_value = "sg-0sagemaker" }
}

override_data {
  target = data.aws_ssm_parameter.foundation["access-log-bucket"]
  values = { insecure_value = "mlops-access-logs-{{ cookiecutter.aws_account_id_dev }}-{{ cookiecutter.aws_region }}" }
}

override_data {
  target = data.aws_ssm_parameter.foundation["ci-role-arn"]
  values = { insecure_value = "arn:aws:iam::{{ cookiecutter.aws_account_id_dev }}:role/mlops-dev-gitlab-ci" }
}

override_data {
  target = data.aws_ssm_parameter.foundation["cloudtrail-arn"]
  values = { insecure_value = "arn:aws:cloudtrail:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id_dev }}:trail/mlops-dev" }
}

# Distinct ARNs where a test must tell two resources of one type apart.
override_resource {
  target = aws_kms_key.signing
  values = { arn = "arn:aws:kms:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id_dev }}:key/00000000-0000-0000-0000-0000signing" }
}

override_resource {
  target = aws_iam_role.approver
  values = { arn = "arn:aws:iam::{{ cookiecutter.aws_account_id_dev }}:role/{{ cookiecutter.project_slug }}-dev-approver" }
}

override_resource {
  target = aws_iam_role.pipeline
  values = { arn = "arn:aws:iam::{{ cookiecutter.aws_account_id_dev }}:role/{{ cookiecutter.project_slug }}-dev-pipeline" }
}

override_resource {
  target = aws_s3_bucket.this["artifacts"]
  values = { arn = "arn:aws:s3:::{{ cookiecutter.project_slug }}-dev-artifacts-{{ cookiecutter.aws_account_id_dev }}" }
}

override_resource {
  target = aws_s3_bucket.this["audit"]
  values = { arn = "arn:aws:s3:::{{ cookiecutter.project_slug }}-dev-audit-{{ cookiecutter.aws_account_id_dev }}" }
}

variables {
  environment = "dev"
}

run "first_apply_has_no_endpoint" {
  command = apply

  assert {
    condition     = length(aws_sagemaker_endpoint.this) == 0 && length(aws_sagemaker_endpoint_configuration.this) == 0 && length(aws_sagemaker_model.champion) == 0
    error_message = "No endpoint, endpoint configuration or model may exist without an approved model package ARN."
  }

  assert {
    condition     = aws_s3_bucket.this["artifacts"].bucket == "{{ cookiecutter.project_slug }}-dev-artifacts-{{ cookiecutter.aws_account_id_dev }}" && aws_s3_bucket.this["audit"].bucket == "{{ cookiecutter.project_slug }}-dev-audit-{{ cookiecutter.aws_account_id_dev }}"
    error_message = "Buckets must be named <slug>-<env>-artifacts|audit-<account>."
  }

  assert {
    condition     = output.account_cloudtrail_arn == "arn:aws:cloudtrail:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id_dev }}:trail/mlops-dev"
    error_message = "The model must read the foundation's CloudTrail ARN from SSM (the account audit trail, Part 11 11.10(e))."
  }

  assert {
    condition     = aws_ecr_repository.this.name == "{{ cookiecutter.project_slug }}-dev" && aws_sagemaker_model_package_group.this[0].model_package_group_name == "{{ cookiecutter.project_slug }}-dev"
    error_message = "ECR repository and model package group must be named <slug>-<env>."
  }

  # Every encryptable resource uses a customer key of this model.
  assert {
    condition     = alltrue([for c in aws_s3_bucket_server_side_encryption_configuration.this : one(c.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms" && one(c.rule).apply_server_side_encryption_by_default[0].kms_master_key_id == aws_kms_key.model.arn])
    error_message = "Both buckets must use SSE-KMS with the model key."
  }

  assert {
    condition     = aws_ecr_repository.this.encryption_configuration[0].encryption_type == "KMS" && aws_ecr_repository.this.encryption_configuration[0].kms_key == aws_kms_key.model.arn
    error_message = "ECR must be encrypted with the model key."
  }

  assert {
    condition     = aws_sns_topic.events.kms_master_key_id == aws_kms_key.model.arn
    error_message = "The SNS topic must be encrypted with the model key."
  }

  assert {
    condition     = aws_kms_key.model.enable_key_rotation && aws_kms_key.signing.customer_master_key_spec == "ECC_NIST_P256" && aws_kms_key.signing.key_usage == "SIGN_VERIFY"
    error_message = "Model key rotates; signing key is ECC_NIST_P256 SIGN_VERIFY."
  }

  # Object Lock mode follows the compliance option.
  assert {
    condition     = alltrue([for c in aws_s3_bucket_object_lock_configuration.this : c.rule[0].default_retention[0].mode == "{{ 'COMPLIANCE' if cookiecutter.compliance == 'gxp' else 'GOVERNANCE' }}"]) && length(aws_s3_bucket_object_lock_configuration.this) == 2
    error_message = "Object Lock must be {{ 'COMPLIANCE' if cookiecutter.compliance == 'gxp' else 'GOVERNANCE' }} on both buckets for compliance={{ cookiecutter.compliance }}."
  }

  assert {
    condition     = alltrue([for b in aws_s3_bucket.this : b.object_lock_enabled]) && alltrue([for v in aws_s3_bucket_versioning.this : v.versioning_configuration[0].status == "Enabled"])
    error_message = "Buckets must be versioned with Object Lock enabled."
  }

  assert {
    condition     = alltrue([for p in aws_s3_bucket_public_access_block.this : p.block_public_acls && p.block_public_policy && p.ignore_public_acls && p.restrict_public_buckets])
    error_message = "Public access must be blocked on both buckets."
  }

  assert {
    condition     = alltrue([for l in aws_s3_bucket_logging.this : l.target_bucket == "mlops-access-logs-{{ cookiecutter.aws_account_id_dev }}-{{ cookiecutter.aws_region }}"])
    error_message = "Buckets must log to the foundation's access-log bucket read from SSM."
  }

  assert {
    condition     = alltrue([for d in data.aws_iam_policy_document.bucket : anytrue([for s in d.statement : s.effect == "Deny" && anytrue([for c in s.condition : c.variable == "aws:SecureTransport" && c.values == tolist(["false"])])])])
    error_message = "Bucket policies must deny requests without TLS."
  }

  assert {
    condition     = aws_ecr_repository.this.image_tag_mutability == "IMMUTABLE" && aws_ecr_repository.this.image_scanning_configuration[0].scan_on_push
    error_message = "ECR tags must be immutable and images scanned on push."
  }

  # Separation of duties: only the approver role may approve or sign.
  assert {
    condition = alltrue([for d in [data.aws_iam_policy_document.pipeline, data.aws_iam_policy_document.endpoint, data.aws_iam_policy_document.events, data.aws_iam_policy_document.runtime_common] :
    alltrue([for s in d.statement : s.effect == "Deny" || (!contains(s.actions, "sagemaker:UpdateModelPackage") && !contains(s.actions, "kms:Sign"))])])
    error_message = "Only the approver role may be allowed sagemaker:UpdateModelPackage or kms:Sign."
  }

  assert {
    condition     = contains(data.aws_iam_policy_document.never_approve_or_sign.statement[0].actions, "sagemaker:UpdateModelPackage") && data.aws_iam_policy_document.never_approve_or_sign.statement[0].effect == "Deny" && contains(data.aws_iam_policy_document.approver.statement[0].actions, "sagemaker:UpdateModelPackage")
    error_message = "Non-approver roles must deny UpdateModelPackage explicitly; the approver must hold it."
  }

  assert {
    condition     = anytrue([for s in data.aws_iam_policy_document.signing_key.statement : s.sid == "DeployVerifiesSignatures" && anytrue([for p in s.principals : contains(p.identifiers, "arn:aws:iam::{{ cookiecutter.aws_account_id_dev }}:role/mlops-dev-gitlab-ci")]) && !contains(s.actions, "kms:Sign")])
    error_message = "The foundation's CI role of the environment may verify approval signatures, never sign."
  }

  assert {
    condition     = anytrue([for s in data.aws_iam_policy_document.signing_key.statement : s.effect == "Deny" && s.actions == toset(["kms:Sign"]) && anytrue([for p in s.principals : contains(p.identifiers, "*")]) && anytrue([for c in s.condition : c.test == "ArnNotEquals" && c.variable == "aws:PrincipalArn" && c.values == tolist([aws_iam_role.approver.arn])])])
    error_message = "The signing key policy must deny kms:Sign to every principal but the approver role."
  }

  assert {
    condition = alltrue([for d in [data.aws_iam_policy_document.pipeline, data.aws_iam_policy_document.endpoint, data.aws_iam_policy_document.events, data.aws_iam_policy_document.approver, data.aws_iam_policy_document.runtime_common, data.aws_iam_policy_document.model_key, data.aws_iam_policy_document.signing_key] :
    alltrue([for s in d.statement : !contains(s.actions, "*")])])
    error_message = "No policy statement may allow every action."
  }

  # EventBridge: new data and drift start the pipeline; package state changes notify.
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.new_data.event_pattern).detail.object.key[0].prefix == "data/" && aws_cloudwatch_event_target.new_data.arn == "arn:aws:sagemaker:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id_dev }}:pipeline/{{ cookiecutter.project_slug }}-dev"
    error_message = "New objects under data/ must start the <slug>-<env> pipeline."
  }

  assert {
    condition     = aws_cloudwatch_event_target.drift.arn == aws_cloudwatch_event_target.new_data.arn && jsondecode(aws_cloudwatch_event_rule.drift.event_pattern).resources[0] == aws_cloudwatch_metric_alarm.drift.arn
    error_message = "The drift alarm must start the pipeline."
  }

  assert {
    condition     = aws_cloudwatch_event_target.package_state.arn == aws_sns_topic.events.arn && length(aws_cloudwatch_event_api_destination.gitlab) == 0
    error_message = "Package state changes notify the topic; the GitLab trigger is off unless configured."
  }

  assert {
    condition     = alltrue([for n in ["artifact-bucket", "audit-bucket", "kms-key-arn", "signing-key-arn", "ecr-repository-url", "model-package-group", "pipeline-role-arn", "approver-role-arn", "sns-topic-arn"] : aws_ssm_parameter.outputs[n].name == "/mlops/models/{{ cookiecutter.project_slug }}/dev/${n}"])
    error_message = "Outputs must be published under /mlops/models/<slug>/<env>/ with the contract's names."
  }

  assert {
    condition     = one(aws_budgets_budget.this[0].cost_filter).name == "TagKeyValue" && tolist(one(aws_budgets_budget.this[0].cost_filter).values) == tolist(["user:model${"$"}{{ cookiecutter.project_slug }}"])
    error_message = "The budget must filter on the model tag."
  }

  assert {
    condition     = length(aws_config_conformance_pack.model) == 1 && anytrue([for p in aws_config_conformance_pack.model[0].input_parameter : p.parameter_name == "ModelTagValue" && p.parameter_value == "{{ cookiecutter.project_slug }}"])
    error_message = "The model conformance pack must be scoped to the model tag."
  }
}

# What the governance layer (audit trail, electronic signatures, validation report) calls, per
# role, and the audit bucket's write-once policy.
run "governance_layer_permissions" {
  command = apply

  # Approver: publishes refused signing attempts to the model's topic, and to nothing else.
  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.approver.statement : s.effect != "Deny" && contains(s.actions, "sns:Publish") && s.resources == toset([aws_sns_topic.events.arn])]) && alltrue([for s in data.aws_iam_policy_document.approver.statement :
    s.resources == toset([aws_sns_topic.events.arn]) if anytrue([for a in s.actions : startswith(a, "sns:")])])
    error_message = "The approver role must be allowed sns:Publish on the events topic only (refused signing attempts)."
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.approver.statement : s.effect != "Deny" && s.resources == toset(["arn:aws:sagemaker:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id_dev }}:model-card/{{ cookiecutter.project_slug }}-dev-v*"]) &&
    length(setsubtract(["sagemaker:CreateModelCard", "sagemaker:UpdateModelCard", "sagemaker:DescribeModelCard"], s.actions)) == 0])
    error_message = "The approver role must create, update and describe the model cards <name>-v* (validation report), and only those."
  }

  # Signing key: the key policy allows kms:Sign to the approver role alone, for ECDSA_SHA_256 over
  # a raw message (the Deny for every other principal is asserted in the first run).
  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.signing_key.statement :
      s.effect == "Deny" || !anytrue([for a in s.actions : contains(["kms:*", "kms:Sign", "kms:Sign*"], a)]) ||
    (alltrue([for p in s.principals : p.identifiers == toset([aws_iam_role.approver.arn])]) && length(s.principals) > 0)])
    error_message = "In the signing key policy only the approver role may be allowed kms:Sign."
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.signing_key.statement : s.effect != "Deny" && contains(s.actions, "kms:Sign") &&
      anytrue([for c in s.condition : c.variable == "kms:SigningAlgorithm" && c.values == tolist(["ECDSA_SHA_256"])]) &&
    anytrue([for c in s.condition : c.variable == "kms:MessageType" && c.values == tolist(["RAW"])])])
    error_message = "The approver may sign only with ECDSA_SHA_256 over a RAW message."
  }

  # Pipeline: verifies signatures (identity policy and key policy), never signs.
  assert {
    condition     = anytrue([for s in data.aws_iam_policy_document.pipeline.statement : s.effect != "Deny" && length(setsubtract(["kms:Verify", "kms:GetPublicKey"], s.actions)) == 0 && !contains(s.actions, "kms:Sign") && s.resources == toset([aws_kms_key.signing.arn])])
    error_message = "The pipeline role's policy must allow kms:Verify and kms:GetPublicKey on the signing key."
  }

  assert {
    condition     = anytrue([for s in data.aws_iam_policy_document.signing_key.statement : s.effect != "Deny" && length(setsubtract(["kms:Verify", "kms:GetPublicKey"], s.actions)) == 0 && !contains(s.actions, "kms:Sign") && anytrue([for p in s.principals : p.identifiers == toset([aws_iam_role.pipeline.arn])])])
    error_message = "The signing key policy must let the pipeline role verify signatures (kms:Verify, kms:GetPublicKey), not sign."
  }

  # Audit trail readers and verifiers: object versions and the version listing of the audit bucket.
  assert {
    condition = alltrue([for d in [data.aws_iam_policy_document.pipeline, data.aws_iam_policy_document.approver] :
      anytrue([for s in d.statement : s.effect != "Deny" && length(setsubtract(["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"], s.actions)) == 0 && s.resources == toset(["${aws_s3_bucket.this["audit"].arn}/audit/*"])]) &&
    anytrue([for s in d.statement : s.effect != "Deny" && contains(s.actions, "s3:ListBucketVersions") && s.resources == toset([aws_s3_bucket.this["audit"].arn])])])
    error_message = "Pipeline and approver roles must write and read audit/* (GetObject, GetObjectVersion) and list the audit bucket's versions."
  }

  # Audit bucket: no write without If-None-Match on audit/*, no delete; the artifact bucket keeps
  # its policy without these statements.
  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.bucket["audit"].statement : s.effect == "Deny" && s.actions == toset(["s3:PutObject"]) && s.resources == toset(["${aws_s3_bucket.this["audit"].arn}/audit/*"]) &&
      anytrue([for p in s.principals : p.type == "*" && contains(p.identifiers, "*")]) &&
    anytrue([for c in s.condition : c.test == "Null" && c.variable == "s3:if-none-match" && c.values == tolist(["true"])])])
    error_message = "The audit bucket policy must deny s3:PutObject on audit/* without an If-None-Match header (Null s3:if-none-match)."
  }

  assert {
    condition     = anytrue([for s in data.aws_iam_policy_document.bucket["audit"].statement : s.effect == "Deny" && s.actions == toset(["s3:DeleteObject", "s3:DeleteObjectVersion"]) && s.resources == toset(["${aws_s3_bucket.this["audit"].arn}/audit/*"]) && length(s.condition) == 0])
    error_message = "The audit bucket policy must deny deleting audit/* objects and versions to everyone."
  }

  assert {
    condition     = length(data.aws_iam_policy_document.bucket["artifacts"].statement) == 1 && alltrue([for s in data.aws_iam_policy_document.bucket["artifacts"].statement : alltrue([for c in s.condition : c.variable != "s3:if-none-match"])])
    error_message = "The write-once statements belong to the audit bucket only; the artifact bucket keeps its TLS-only policy."
  }

  assert {
    condition     = one(aws_s3_bucket_object_lock_configuration.this["audit"].rule).default_retention[0].days == var.audit_lock_days && var.audit_lock_days > 0 && one(aws_s3_bucket_object_lock_configuration.this["audit"].rule).default_retention[0].mode == "{{ 'COMPLIANCE' if cookiecutter.compliance == 'gxp' else 'GOVERNANCE' }}"
    error_message = "The audit bucket must have an Object Lock default retention of audit_lock_days in {{ 'COMPLIANCE' if cookiecutter.compliance == 'gxp' else 'GOVERNANCE' }} mode."
  }
}

run "deploy_approved_model" {
  command = apply

  variables {
    model_package_arn = "arn:aws:sagemaker:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id_dev }}:model-package/{{ cookiecutter.project_slug }}-dev/3"
  }

  assert {
    condition     = length(aws_sagemaker_endpoint.this) == 1 && aws_sagemaker_endpoint.this[0].name == "{{ cookiecutter.project_slug }}-dev"
    error_message = "An approved model package ARN must create the <slug>-<env> endpoint."
  }

  assert {
    condition     = aws_sagemaker_model.champion[0].primary_container[0].model_package_name == var.model_package_arn && aws_sagemaker_model.champion[0].enable_network_isolation && length(aws_sagemaker_model.champion[0].vpc_config) == 1
    error_message = "The model must serve the given package, network-isolated, inside the foundation VPC."
  }

  assert {
    condition     = aws_sagemaker_endpoint_configuration.this[0].kms_key_arn == aws_kms_key.model.arn && aws_sagemaker_endpoint_configuration.this[0].data_capture_config[0].kms_key_id == aws_kms_key.model.arn
    error_message = "Endpoint storage and data capture must use the model key."
  }

  assert {
    condition     = startswith(aws_sagemaker_endpoint_configuration.this[0].data_capture_config[0].destination_s3_uri, "s3://${aws_s3_bucket.this["artifacts"].bucket}/") && aws_sagemaker_endpoint_configuration.this[0].data_capture_config[0].initial_sampling_percentage == 100
    error_message = "Data capture must go to the artifact bucket."
  }

  assert {
    condition     = aws_sagemaker_endpoint_configuration.this[0].production_variants[0].initial_instance_count == {{ cookiecutter.endpoint_instance_count }} && aws_sagemaker_endpoint_configuration.this[0].production_variants[0].instance_type == "{{ cookiecutter.endpoint_instance_type }}" && length(aws_sagemaker_endpoint_configuration.this[0].shadow_production_variants) == 0
    error_message = "The primary variant must use project.yaml's instance type and count, with no shadow variant."
  }

  # The deployment policy matches the deployment_strategy option.
  assert {
    condition     = aws_sagemaker_endpoint.this[0].deployment_config[0].blue_green_update_policy[0].traffic_routing_configuration[0].type == "{{ {'canary': 'CANARY', 'linear': 'LINEAR', 'all_at_once': 'ALL_AT_ONCE'}[cookiecutter.deployment_strategy] }}"
    error_message = "Traffic routing must be {{ cookiecutter.deployment_strategy }}."
  }
{%- if cookiecutter.deployment_strategy == 'canary' %}

  assert {
    condition     = aws_sagemaker_endpoint.this[0].deployment_config[0].blue_green_update_policy[0].traffic_routing_configuration[0].canary_size[0].type == "CAPACITY_PERCENT" && aws_sagemaker_endpoint.this[0].deployment_config[0].blue_green_update_policy[0].traffic_routing_configuration[0].canary_size[0].value == var.canary_size_percent && length(aws_sagemaker_endpoint.this[0].deployment_config[0].blue_green_update_policy[0].traffic_routing_configuration[0].linear_step_size) == 0
    error_message = "Canary: a small share first (canary_size_percent), no linear steps."
  }
{%- elif cookiecutter.deployment_strategy == 'linear' %}

  assert {
    condition     = aws_sagemaker_endpoint.this[0].deployment_config[0].blue_green_update_policy[0].traffic_routing_configuration[0].linear_step_size[0].type == "CAPACITY_PERCENT" && aws_sagemaker_endpoint.this[0].deployment_config[0].blue_green_update_policy[0].traffic_routing_configuration[0].linear_step_size[0].value == var.linear_step_percent && length(aws_sagemaker_endpoint.this[0].deployment_config[0].blue_green_update_policy[0].traffic_routing_configuration[0].canary_size) == 0
    error_message = "Linear: equal steps of linear_step_percent, no canary."
  }
{%- else %}

  assert {
    condition     = length(aws_sagemaker_endpoint.this[0].deployment_config[0].blue_green_update_policy[0].traffic_routing_configuration[0].canary_size) == 0 && length(aws_sagemaker_endpoint.this[0].deployment_config[0].blue_green_update_policy[0].traffic_routing_configuration[0].linear_step_size) == 0
    error_message = "All at once: no canary or linear step sizes."
  }
{%- endif %}

  assert {
    condition     = aws_sagemaker_endpoint.this[0].deployment_config[0].blue_green_update_policy[0].traffic_routing_configuration[0].wait_interval_in_seconds == var.bake_seconds && aws_sagemaker_endpoint.this[0].deployment_config[0].blue_green_update_policy[0].termination_wait_in_seconds == var.termination_wait_seconds
    error_message = "Bake time and termination wait must come from the variables."
  }

  # Rollback alarms are wired: 5XX errors and model latency of this endpoint.
  assert {
    condition     = toset([for a in aws_sagemaker_endpoint.this[0].deployment_config[0].auto_rollback_configuration[0].alarms : a.alarm_name]) == toset([aws_cloudwatch_metric_alarm.errors_5xx.alarm_name, aws_cloudwatch_metric_alarm.latency.alarm_name])
    error_message = "Auto-rollback must watch the 5XX and latency alarms."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.errors_5xx.metric_name == "Invocation5XXErrors" && aws_cloudwatch_metric_alarm.latency.metric_name == "ModelLatency" && aws_cloudwatch_metric_alarm.errors_5xx.dimensions["EndpointName"] == aws_sagemaker_endpoint.this[0].name && aws_cloudwatch_metric_alarm.latency.dimensions["EndpointName"] == aws_sagemaker_endpoint.this[0].name
    error_message = "Rollback alarms must measure this endpoint's 5XX errors and model latency."
  }
}

run "challenger_runs_as_shadow" {
  command = apply

  variables {
    model_package_arn            = "arn:aws:sagemaker:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id_dev }}:model-package/{{ cookiecutter.project_slug }}-dev/3"
    challenger_model_package_arn = "arn:aws:sagemaker:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id_dev }}:model-package/{{ cookiecutter.project_slug }}-dev/4"
  }

  assert {
    condition     = length(aws_sagemaker_endpoint_configuration.this[0].shadow_production_variants) == 1 && aws_sagemaker_endpoint_configuration.this[0].shadow_production_variants[0].model_name == aws_sagemaker_model.challenger[0].name
    error_message = "A challenger must run as the shadow variant."
  }
}

run "gitlab_trigger_on_approval" {
  command = apply

  variables {
    gitlab_deploy_trigger = { project_id = 42, ref = "main", token = "glptt-test-token" }
  }

  assert {
    condition     = length(aws_cloudwatch_event_api_destination.gitlab) == 1 && aws_cloudwatch_event_api_destination.gitlab[0].invocation_endpoint == "https://{{ cookiecutter.gitlab_host }}/api/v4/projects/42/trigger/pipeline" && aws_cloudwatch_event_connection.gitlab[0].kms_key_identifier == aws_kms_key.model.arn
    error_message = "Approval must be able to start the GitLab deploy pipeline through an API destination."
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.approved[0].event_pattern).detail.ModelApprovalStatus == ["Approved"] && aws_cloudwatch_event_target.approved[0].arn == aws_cloudwatch_event_api_destination.gitlab[0].arn
    error_message = "Only approvals trigger the deploy pipeline."
  }
}

run "rejects_values_sagemaker_rejects" {
  command = plan

  variables {
    model_package_arn        = "not-an-arn"
    canary_size_percent      = 60
    linear_step_percent      = 5
    bake_seconds             = 3601
    termination_wait_seconds = -1
    max_deployment_seconds   = 599
    data_capture_percent     = 101
  }

  expect_failures = [
    var.model_package_arn,
    var.canary_size_percent,
    var.linear_step_percent,
    var.bake_seconds,
    var.termination_wait_seconds,
    var.max_deployment_seconds,
    var.data_capture_percent,
  ]
}

run "deployment_must_fit_its_timeout" {
  command = plan

  variables {
    model_package_arn        = "arn:aws:sagemaker:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id_dev }}:model-package/{{ cookiecutter.project_slug }}-dev/3"
    bake_seconds             = 3600
    termination_wait_seconds = 3600
    max_deployment_seconds   = 600
  }

  expect_failures = [aws_sagemaker_endpoint.this]
}
