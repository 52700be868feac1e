"""One model's governance in one environment: its AWS clients, its trail and the names Terraform gives them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..errors import UsageError
from ..pipeline.local.emulator import Aws
from ..settings import Settings
from .trail import AuditTrail, caller


@dataclass
class Governance:
    cfg: Settings
    env: str
    aws: Aws
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.aws.client(service)
        return self._clients[service]

    @cached_property
    def identity(self) -> str:
        """Who is acting (STS), for signatures and trail entries."""
        return caller(self.client("sts"))

    @property
    def model(self) -> str:
        return self.cfg.slug

    @cached_property
    def trail(self) -> AuditTrail | None:
        """The model's audit trail; None when project.yaml switches it off (compliance standard only)."""
        if not self.cfg.audit_trail:
            return None
        return AuditTrail(self.client("s3"), self.cfg.audit_bucket(self.env), self.model, actor=lambda: self.identity)

    def required_trail(self) -> AuditTrail:
        if self.trail is None:
            raise UsageError("governance.audit_trail is false in project.yaml: there is no audit trail to read")
        return self.trail

    def record(self, action: str, subject: str, details: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """Append to the trail when it is on; returns the entry (None when off)."""
        return self.trail.append(action, subject, details) if self.trail is not None else None

    @property
    def signing_key(self) -> str:
        return self.cfg.signing_key_alias_arn(self.env)

    @property
    def topic_arn(self) -> str:
        return self.cfg.events_topic_arn(self.env)

    @property
    def group(self) -> str:
        return self.cfg.model_package_group(self.env)

    def package_arn(self, version: int) -> str:
        return (
            f"arn:aws:sagemaker:{self.cfg.region}:{self.cfg.account_id(self.env)}:model-package/{self.group}/{version}"
        )

    def package(self, ref: str) -> dict[str, Any]:
        """A package of this model's group by version number or ARN, described."""
        ref = ref.strip()
        if re.fullmatch(r"[0-9]{1,9}", ref):
            arn = self.package_arn(int(ref))
        elif ref.startswith("arn:") and ":model-package/" in ref:
            arn = ref
        else:
            raise UsageError(f"package {ref!r}: give a version number (see `registry list`) or a model package ARN")
        sm = self.client("sagemaker")
        try:
            package = sm.describe_model_package(ModelPackageName=arn)
        except sm.exceptions.ClientError as exc:
            raise UsageError(f"package {ref}: not found in {self.group} ({exc.response['Error']['Code']})") from exc
        if package.get("ModelPackageGroupName") not in (None, self.group):
            raise UsageError(f"package {ref} belongs to {package['ModelPackageGroupName']}, not to {self.group}")
        return package
