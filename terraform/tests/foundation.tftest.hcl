# Plan-level properties of the foundation, with a mocked AWS provider (no account, no network):
#   terraform init -backend=false && terraform test

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_availability_zones" {
    defaults = { names = ["eu-west-1a", "eu-west-1b"] }
  }
  # Policy documents are rendered by the provider; the mock returns a valid empty policy and
  # the assertions inspect the documents' statements instead.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  # Resources get valid ARNs (the provider validates ARN arguments even when mocked).
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-0000-0000-000000000000" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::111111111111:role/mock" }
  }
  mock_resource "aws_iam_openid_connect_provider" {
    defaults = { arn = "arn:aws:iam::111111111111:oidc-provider/gitlab.example.com" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:111111111111:log-group:mock" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::mock" }
  }
  mock_resource "aws_cloudtrail" {
    defaults = { arn = "arn:aws:cloudtrail:eu-west-1:111111111111:trail/mlops-trail" }
  }
}

override_resource {
  target = aws_kms_key.audit
  values = { arn = "arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-0000-0000-0000000audit" }
}

variables {
  account_id   = "111111111111"
  region       = "eu-west-1"
  environments = ["dev", "prod"]
  gitlab_host  = "gitlab.example.com"
  models = {
    "breast-cancer-classifier" = "ml-team/breast-cancer-classifier"
  }
}

run "foundation" {
  command = apply

  # Network: private subnets in two zones, no route out, default SG closed, flow logs.
  assert {
    condition     = length(aws_subnet.private) == 2 && length(distinct(aws_subnet.private[*].availability_zone)) == 2 && alltrue([for s in aws_subnet.private : !s.map_public_ip_on_launch])
    error_message = "Two private subnets in distinct zones, no public IPs."
  }

  assert {
    condition     = length(aws_route_table.private.route) == 0
    error_message = "The private route table must have no route to an internet or NAT gateway."
  }

  assert {
    condition     = length(aws_default_security_group.this.ingress) == 0 && length(aws_default_security_group.this.egress) == 0
    error_message = "The default security group must be closed."
  }

  assert {
    condition     = aws_flow_log.this.traffic_type == "ALL" && aws_flow_log.this.vpc_id == aws_vpc.this.id && aws_cloudwatch_log_group.flow_logs.kms_key_id == aws_kms_key.platform.arn
    error_message = "VPC flow logs must record all traffic into a KMS-encrypted log group."
  }

  assert {
    condition = toset([for e in aws_vpc_endpoint.interface : e.service_name]) == toset([
      for s in ["sagemaker.api", "sagemaker.runtime", "ecr.api", "ecr.dkr", "logs", "monitoring", "sts", "kms", "events"] : "com.amazonaws.eu-west-1.${s}"
    ]) && aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway"
    error_message = "Interface endpoints for every required service and an S3 gateway endpoint."
  }

  assert {
    condition     = alltrue([for e in aws_vpc_endpoint.interface : e.private_dns_enabled && e.security_group_ids == toset([aws_security_group.endpoints.id]) && length(e.subnet_ids) == 2])
    error_message = "Interface endpoints must use private DNS, the endpoint security group and every private subnet."
  }

  assert {
    condition     = alltrue([for d in data.aws_iam_policy_document.interface_endpoint : anytrue([for s in d.statement : anytrue([for c in s.condition : c.variable == "aws:PrincipalAccount" && c.values == tolist(["111111111111"])])])])
    error_message = "Endpoint policies must admit only principals of this account."
  }

  assert {
    condition     = length(aws_security_group.endpoints.ingress) == 1 && one(aws_security_group.endpoints.ingress).from_port == 443 && one(aws_security_group.endpoints.ingress).to_port == 443 && one(aws_security_group.endpoints.ingress).cidr_blocks == tolist(["10.80.0.0/16"]) && length(aws_security_group.endpoints.egress) == 0
    error_message = "Endpoint security group: 443 from the VPC only."
  }

  # Keys: rotation and explicit key policies.
  assert {
    condition     = alltrue([for k in [aws_kms_key.platform, aws_kms_key.audit] : k.enable_key_rotation && k.policy != null])
    error_message = "Foundation keys must rotate and carry an explicit key policy."
  }

  # Every encryptable resource uses a customer key (the access-log bucket is SSE-S3: S3 server
  # access logging cannot deliver to SSE-KMS buckets).
  assert {
    condition     = alltrue([for k, c in aws_s3_bucket_server_side_encryption_configuration.this : one(c.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms" && one(c.rule).apply_server_side_encryption_by_default[0].kms_master_key_id == (k == "state" ? aws_kms_key.platform.arn : aws_kms_key.audit.arn)])
    error_message = "Config, CloudTrail and state buckets must use SSE-KMS with a foundation key."
  }

  assert {
    condition     = aws_cloudwatch_log_group.trail.kms_key_id == aws_kms_key.audit.arn && aws_cloudtrail.this.kms_key_id == aws_kms_key.audit.arn && aws_config_delivery_channel.this.s3_kms_key_arn == aws_kms_key.audit.arn
    error_message = "Trail, its log group and Config delivery must use the audit key."
  }

  # CloudTrail: multi-region, validated, CloudWatch Logs, Object Lock bucket.
  assert {
    condition     = aws_cloudtrail.this.is_multi_region_trail && aws_cloudtrail.this.enable_log_file_validation && aws_cloudtrail.this.include_global_service_events && startswith(aws_cloudtrail.this.cloud_watch_logs_group_arn, aws_cloudwatch_log_group.trail.arn)
    error_message = "The trail must be multi-region with log file validation and CloudWatch Logs."
  }

  assert {
    condition     = aws_s3_bucket.this["trail"].object_lock_enabled && aws_s3_bucket_object_lock_configuration.trail.rule[0].default_retention[0].mode == "COMPLIANCE" && aws_s3_bucket_object_lock_configuration.trail.rule[0].default_retention[0].days == 2557 && aws_s3_bucket_versioning.this["trail"].versioning_configuration[0].status == "Enabled"
    error_message = "The trail bucket must be versioned with compliance-mode Object Lock."
  }

  # Config: recorder, delivery, the FDA pack with every parameter supplied.
  assert {
    condition     = aws_config_configuration_recorder.this.recording_group[0].all_supported && aws_config_configuration_recorder_status.this.is_enabled
    error_message = "The Config recorder must record all supported resources and be enabled."
  }

  assert {
    condition     = length(aws_config_conformance_pack.fda_part11) == 1 && aws_config_conformance_pack.fda_part11[0].template_body == file("conformance-packs/fda-21cfr-part11.yaml")
    error_message = "The FDA 21 CFR Part 11 pack must be deployed from its template file."
  }

  assert {
    condition     = toset([for p in aws_config_conformance_pack.fda_part11[0].input_parameter : p.parameter_name]) == toset(keys(yamldecode(file("conformance-packs/fda-21cfr-part11.yaml")).Parameters))
    error_message = "Every parameter of the pack must be supplied from variables, and only those."
  }

  assert {
    condition     = length(yamldecode(aws_config_conformance_pack.fda_part11[0].template_body).Resources) == 128
    error_message = "The pack must hold all 128 rules of AWS's FDA 21 CFR Part 11 pack."
  }

  # OIDC: one role per environment, trust pinned to the model projects and protected refs.
  assert {
    condition     = aws_iam_openid_connect_provider.gitlab.url == "https://gitlab.example.com" && aws_iam_openid_connect_provider.gitlab.client_id_list == toset(["https://gitlab.example.com"])
    error_message = "The OIDC provider must trust the GitLab issuer with its audience."
  }

  assert {
    condition     = keys(aws_iam_role.ci) == ["dev", "prod"]
    error_message = "One CI role per environment."
  }

  assert {
    condition = alltrue([for env, d in data.aws_iam_policy_document.ci_trust : alltrue([for s in d.statement :
      s.actions == toset(["sts:AssumeRoleWithWebIdentity"]) &&
      anytrue([for c in s.condition : c.test == "StringEquals" && c.variable == "gitlab.example.com:aud" && c.values == tolist(["https://gitlab.example.com"])]) &&
      anytrue([for c in s.condition : c.test == "StringLike" && c.variable == "gitlab.example.com:sub" && alltrue([for v in c.values : startswith(v, "project_path:ml-team/breast-cancer-classifier:ref_type:")])])
    ])])
    error_message = "CI trust must require the GitLab audience and a sub of the model project."
  }

  assert {
    condition = toset(flatten([for s in data.aws_iam_policy_document.ci_trust["dev"].statement : [for c in s.condition : c.values if c.variable == "gitlab.example.com:sub"]])) == toset(["project_path:ml-team/breast-cancer-classifier:ref_type:branch:ref:main"]) && toset(flatten([for s in data.aws_iam_policy_document.ci_trust["prod"].statement : [for c in s.condition : c.values if c.variable == "gitlab.example.com:sub"]])) == toset([
      "project_path:ml-team/breast-cancer-classifier:ref_type:branch:ref:main",
      "project_path:ml-team/breast-cancer-classifier:ref_type:tag:ref:v*",
    ])
    error_message = "Each environment's role must trust exactly its protected refs."
  }

  assert {
    condition     = alltrue([for d in data.aws_iam_policy_document.ci : anytrue([for s in d.statement : s.effect == "Deny" && contains(s.actions, "sagemaker:UpdateModelPackage") && contains(s.actions, "kms:Sign")])])
    error_message = "CI roles must never approve models or sign."
  }

  assert {
    condition     = alltrue([for d in data.aws_iam_policy_document.ci : alltrue([for s in d.statement : !contains(s.actions, "*") && (s.effect == "Deny" || !contains(s.resources, "*") || alltrue([for a in s.actions : can(regex("^(sts:GetCallerIdentity|ecr:GetAuthorizationToken|kms:CreateKey|[a-z0-9]+:(Describe|List)[A-Za-z]*)$", a))]))])])
    error_message = "CI policies: no '*' action, and '*' resources only for actions without resource-level scope."
  }

  assert {
    condition     = alltrue(flatten([for env, d in data.aws_iam_policy_document.ci : [for s in d.statement : [for r in s.resources : r == "*" || strcontains(r, "breast-cancer-classifier-${env}") || strcontains(r, "breast-cancer-classifier/${env}") || strcontains(r, "/mlops/foundation/${env}/") || r == aws_s3_bucket.this["state"].arn || r == aws_kms_key.platform.arn || strcontains(r, ":key/*") || strcontains(r, "config-rule/*") || strcontains(r, "config-conforms")] if s.effect == "Allow"]]))
    error_message = "CI permissions must be scoped to <slug>-<env> resources (or tag-conditioned keys)."
  }

  # Publication: every output a model repo needs, per environment, under one prefix.
  assert {
    condition = alltrue(flatten([for env in ["dev", "prod"] : [for n in ["vpc-id", "private-subnet-ids", "sagemaker-security-group-id", "kms-key-arn", "oidc-provider-arn", "access-log-bucket", "state-bucket"] :
    aws_ssm_parameter.foundation["${env}/${n}"].name == "/mlops/foundation/${env}/${n}"]])) && aws_ssm_parameter.foundation["dev/private-subnet-ids"].type == "StringList" && aws_ssm_parameter.ci_role["prod"].name == "/mlops/foundation/prod/ci-role-arn"
    error_message = "Outputs must be published under <prefix>/<env>/ with the contract's names."
  }
}

run "conformance_pack_can_be_switched_off" {
  command = plan

  variables {
    create_conformance_pack = false
  }

  assert {
    condition     = length(aws_config_conformance_pack.fda_part11) == 0
    error_message = "create_conformance_pack = false must skip the pack."
  }
}

run "rejects_bad_inputs" {
  command = plan

  variables {
    environments               = ["dev", "staging"]
    availability_zone_suffixes = ["a"]
    vpc_cidr                   = "10.0.0.0/8"
    models                     = { "Bad_Slug" = "not a path" }
    ci_trusted_refs            = { dev = ["main"] }
    fda_pack_parameters = {
      restricted_incoming_blocked_ports = [22]
    }
  }

  expect_failures = [
    var.environments,
    var.availability_zone_suffixes,
    var.vpc_cidr,
    var.models,
    var.ci_trusted_refs,
    var.fda_pack_parameters,
  ]
}
