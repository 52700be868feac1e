"""Apply Terraform roots against moto server: an in-process AWS emulator on 127.0.0.1.

The root is copied and given an ``*_override.tf`` file (Terraform merges override files into the
configuration) that points every AWS service the roots use at the emulator and swaps the S3
backend for local state. The roots themselves stay untouched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

# Account moto answers as; roots are applied with it so `allowed_account_ids` holds.
MOTO_ACCOUNT = "123456789012"

# Provider `endpoints` arguments of every service the two roots call.
SERVICES = (
    "budgets",
    "cloudtrail",
    "cloudwatch",
    "cloudwatchlogs",
    "configservice",
    "ec2",
    "ecr",
    "events",
    "iam",
    "kms",
    "s3",
    "sagemaker",
    "secretsmanager",
    "sns",
    "ssm",
    "sts",
)


@contextmanager
def moto_server() -> Iterator[str]:
    """Start moto server on a free port of 127.0.0.1; yield its URL."""
    # Managed policies (AWS_ConfigRole ...) must exist for policy attachments to apply.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def override(url: str) -> str:
    """Terraform override file pointing the aws provider at the emulator, with local state."""
    endpoints = "\n".join(f'    {name} = "{url}"' for name in SERVICES)
    return f"""# Written by the template's emulator tests; never part of a real root.
terraform {{
  backend "local" {{}}
}}

provider "aws" {{
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = false
  s3_use_path_style           = true
  max_retries                 = 1

  endpoints {{
{endpoints}
  }}
}}
"""
