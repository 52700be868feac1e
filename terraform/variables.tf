variable "account_id" {
  description = "AWS account this foundation is applied to; the provider refuses any other account."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "region" {
  description = "AWS region of this foundation (must offer SageMaker)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must look like eu-west-1."
  }
}

variable "environments" {
  description = "Environments hosted in this account. One CI role and one SSM prefix per environment; an account may host several (AWS allows one Config recorder per region and one OIDC provider per URL per account)."
  type        = list(string)
  default     = ["dev"]

  validation {
    condition     = length(var.environments) > 0 && alltrue([for e in var.environments : contains(["dev", "qa", "prod"], e)]) && length(distinct(var.environments)) == length(var.environments)
    error_message = "environments must be a non-empty list of distinct values among dev, qa, prod."
  }
}

variable "name_prefix" {
  description = "Prefix of every foundation resource name."
  type        = string
  default     = "mlops"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}$", var.name_prefix))
    error_message = "name_prefix must be 2-20 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "tags" {
  description = "Extra tags on every resource (for example cost-center)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) <= 128 && length(v) <= 256])
    error_message = "Tag keys are at most 128 characters and values at most 256."
  }
}

# --- network -------------------------------------------------------------------------------

variable "vpc_cidr" {
  description = "CIDR of the VPC (a /16 to /22); private subnets are carved from it, one per zone."
  type        = string
  default     = "10.80.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 22
    error_message = "vpc_cidr must be a valid IPv4 CIDR between /16 and /22."
  }
}

variable "availability_zone_suffixes" {
  description = "Zones with a private subnet (and an interface endpoint ENI), as suffixes of the region: [\"a\", \"b\"] means <region>a and <region>b. An explicit list keeps the network from growing when AWS adds a zone."
  type        = list(string)
  default     = ["a", "b"]

  validation {
    condition     = length(var.availability_zone_suffixes) >= 2 && length(var.availability_zone_suffixes) <= 4 && length(distinct(var.availability_zone_suffixes)) == length(var.availability_zone_suffixes) && alltrue([for s in var.availability_zone_suffixes : can(regex("^[a-z]$", s))])
    error_message = "availability_zone_suffixes must hold 2 to 4 distinct single letters."
  }
}

variable "log_retention_days" {
  description = "Retention of the flow log and CloudTrail log groups, in days (a CloudWatch Logs allowed value, at least one year)."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value of at least 365."
  }
}

# --- keys ------------------------------------------------------------------------------------

variable "kms_deletion_window_days" {
  description = "Waiting period before a scheduled KMS key deletion takes effect."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "access_logs_force_destroy" {
  description = "Let `terraform destroy` delete the access-log bucket with the logs in it (sandbox teardown). Keep false where access logs are evidence: S3 keeps delivering logs while other buckets are destroyed, so a teardown otherwise stops at this bucket."
  type        = bool
  default     = false
}

# --- audit -----------------------------------------------------------------------------------

variable "cloudtrail_object_lock_mode" {
  description = "Object Lock mode of the CloudTrail bucket. COMPLIANCE: nobody, root included, can delete logs before retention ends."
  type        = string
  default     = "COMPLIANCE"

  validation {
    condition     = contains(["COMPLIANCE", "GOVERNANCE"], var.cloudtrail_object_lock_mode)
    error_message = "cloudtrail_object_lock_mode must be COMPLIANCE or GOVERNANCE."
  }
}

variable "cloudtrail_retention_days" {
  description = "Object Lock default retention of CloudTrail log files, in days."
  type        = number
  default     = 2557

  validation {
    condition     = var.cloudtrail_retention_days >= 1 && var.cloudtrail_retention_days <= 36500
    error_message = "cloudtrail_retention_days must be between 1 and 36500."
  }
}

variable "cloudtrail_s3_data_events" {
  description = "Record S3 object-level (data) events of every bucket in the trail (the Part 11 pack checks it)."
  type        = bool
  default     = true
}

variable "config_include_global_resources" {
  description = "Record IAM and other global resources in this region's Config recorder; true in exactly one region per account."
  type        = bool
  default     = true
}

variable "config_snapshot_frequency" {
  description = "How often AWS Config delivers a configuration snapshot."
  type        = string
  default     = "TwentyFour_Hours"

  validation {
    condition     = contains(["One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"], var.config_snapshot_frequency)
    error_message = "config_snapshot_frequency must be an AWS Config MaximumExecutionFrequency value."
  }
}

variable "create_conformance_pack" {
  description = "Deploy the FDA 21 CFR Part 11 conformance pack. Leave true; emulators without conformance packs switch it off."
  type        = bool
  default     = true
}

variable "fda_pack_parameters" {
  description = "Parameters of the FDA 21 CFR Part 11 conformance pack, named after AWS's pack parameters (defaults are AWS's)."
  type = object({
    access_key_max_age_days           = optional(number, 90)
    customer_policy_blocked_kms       = optional(list(string), ["kms:ReEncryptFrom", "kms:Decrypt"])
    inline_policy_blocked_kms         = optional(list(string), ["kms:ReEncryptFrom", "kms:Decrypt"])
    password_max_age_days             = optional(number, 90)
    password_minimum_length           = optional(number, 14)
    password_reuse_prevention         = optional(number, 24)
    password_require_lowercase        = optional(bool, true)
    password_require_numbers          = optional(bool, true)
    password_require_symbols          = optional(bool, true)
    password_require_uppercase        = optional(bool, true)
    unused_credentials_max_age_days   = optional(number, 90)
    restricted_incoming_blocked_ports = optional(list(number), [20, 21, 3389, 3306, 4333])
    s3_account_block_public_acls      = optional(bool, true)
    s3_account_block_public_policy    = optional(bool, true)
    s3_account_ignore_public_acls     = optional(bool, true)
    s3_account_restrict_public_bucket = optional(bool, true)
    vpc_sg_authorized_tcp_ports       = optional(list(number), [443])
  })
  default = {}

  validation {
    condition = alltrue([
      var.fda_pack_parameters.access_key_max_age_days >= 1 && var.fda_pack_parameters.access_key_max_age_days <= 365,
      var.fda_pack_parameters.password_max_age_days >= 1 && var.fda_pack_parameters.password_max_age_days <= 1095,
      var.fda_pack_parameters.password_minimum_length >= 6 && var.fda_pack_parameters.password_minimum_length <= 128,
      var.fda_pack_parameters.password_reuse_prevention >= 1 && var.fda_pack_parameters.password_reuse_prevention <= 24,
      var.fda_pack_parameters.unused_credentials_max_age_days >= 1 && var.fda_pack_parameters.unused_credentials_max_age_days <= 365,
    ])
    error_message = "fda_pack_parameters: key and credential ages 1-365 days, password age 1-1095, length 6-128, reuse prevention 1-24."
  }

  validation {
    condition = (
      length(var.fda_pack_parameters.restricted_incoming_blocked_ports) == 5 &&
      alltrue([for p in concat(var.fda_pack_parameters.restricted_incoming_blocked_ports, var.fda_pack_parameters.vpc_sg_authorized_tcp_ports) : p >= 0 && p <= 65535]) &&
      length(var.fda_pack_parameters.vpc_sg_authorized_tcp_ports) > 0
    )
    error_message = "fda_pack_parameters: exactly 5 blocked ports, at least one authorized port, all within 0-65535."
  }

  validation {
    condition     = alltrue([for a in concat(var.fda_pack_parameters.customer_policy_blocked_kms, var.fda_pack_parameters.inline_policy_blocked_kms) : can(regex("^kms:[A-Za-z*]+$", a))])
    error_message = "fda_pack_parameters: blocked KMS actions look like kms:Decrypt."
  }
}

# --- CI identity -----------------------------------------------------------------------------

variable "gitlab_host" {
  description = "GitLab host whose OIDC tokens CI presents (the issuer, without https://)."
  type        = string
  default     = "gitlab.com"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$", var.gitlab_host))
    error_message = "gitlab_host must be a lowercase DNS name such as gitlab.com."
  }
}

variable "gitlab_audience" {
  description = "Audience (aud) of the GitLab ID tokens; empty means https://<gitlab_host>, GitLab's default for id_tokens."
  type        = string
  default     = ""

  validation {
    condition     = var.gitlab_audience == "" || can(regex("^https://[^\\s]+$", var.gitlab_audience))
    error_message = "gitlab_audience must be empty or an https:// URL."
  }
}

variable "gitlab_oidc_thumbprints" {
  description = "Optional certificate thumbprints of the GitLab issuer; empty lets IAM use its trusted root CAs (right for gitlab.com)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for t in var.gitlab_oidc_thumbprints : can(regex("^[0-9a-fA-F]{40}$", t))])
    error_message = "Each thumbprint is 40 hexadecimal characters."
  }
}

variable "models" {
  description = "Model repositories served by this foundation: model slug => GitLab project path. The CI role of each environment may assume only from these projects and manage only resources named <slug>-<env>*."
  type        = map(string)

  validation {
    condition     = length(var.models) > 0 && alltrue([for slug, path in var.models : can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", slug)) && length(slug) >= 3 && length(slug) <= 32])
    error_message = "models keys are model slugs: 3-32 lowercase letters, digits and single hyphens."
  }

  validation {
    condition     = alltrue([for slug, path in var.models : can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)+$", path))])
    error_message = "models values are GitLab project paths such as group/subgroup/project."
  }
}

variable "ci_trusted_refs" {
  description = "Per environment, the protected refs whose CI jobs may assume that environment's role, in GitLab's sub-claim form ref_type:<branch|tag>:ref:<name> (glob * allowed). Keep them protected in GitLab."
  type        = map(list(string))
  default = {
    dev  = ["ref_type:branch:ref:main"]
    qa   = ["ref_type:branch:ref:main"]
    prod = ["ref_type:branch:ref:main", "ref_type:tag:ref:v*"]
  }

  validation {
    condition     = alltrue([for env, refs in var.ci_trusted_refs : contains(["dev", "qa", "prod"], env) && length(refs) > 0 && alltrue([for r in refs : can(regex("^ref_type:(branch|tag):ref:[^:\\s]+$", r))])])
    error_message = "ci_trusted_refs maps dev/qa/prod to non-empty lists of ref_type:<branch|tag>:ref:<name>."
  }
}

variable "ci_session_duration_seconds" {
  description = "Maximum session length of the CI roles (short-lived credentials only)."
  type        = number
  default     = 3600

  validation {
    condition     = var.ci_session_duration_seconds >= 900 && var.ci_session_duration_seconds <= 7200
    error_message = "ci_session_duration_seconds must be between 900 and 7200."
  }
}

# --- publication ---------------------------------------------------------------------------

variable "ssm_foundation_prefix" {
  description = "SSM prefix under which outputs are published, as <prefix>/<env>/<name>; model repos read it from project.yaml."
  type        = string
  default     = "/mlops/foundation"

  validation {
    condition     = can(regex("^(/[A-Za-z0-9_.-]+)+$", var.ssm_foundation_prefix))
    error_message = "ssm_foundation_prefix must look like /mlops/foundation (no trailing slash)."
  }
}
