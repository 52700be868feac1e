"""Electronic signatures (21 CFR Part 11 §11.50, §11.70): what is signed, signing with KMS, offline verification.

The signed payload is the RFC 8785 canonical JSON of the package ARN, the model artifact's SHA-256 (recomputed
from S3 when signing), the evaluation report's SHA-256 (hashed from its bytes in S3 when signing: the metric
gate a deployment checks reads exactly those bytes), the data set's SHA-256 from the lineage, the signer's
printed name and identity (STS), the meaning, the decision (so a rejection can never be replayed as an
approval) and the UTC time taken by the system.
KMS signs it with the model's asymmetric key (ECC_NIST_P256, ECDSA_SHA_256); anyone verifies it offline from the
public key with ``cryptography``. A signature record carries the payload, the signature, the key id and the
public key (DER, base64), so signatures made with a key that was later replaced still verify.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .chain import EntryError, canonical

ALGORITHM = "ECDSA_SHA_256"
# Part 11 §11.50(a)(3): the meaning associated with the signature.
MEANINGS = {
    "review": "I have reviewed this model version and its evidence.",
    "approval": "I approve this model version for deployment.",
    "responsibility": "I take responsibility for this model version.",
}
DECISIONS = ("approved", "rejected")
PAYLOAD_FIELDS = (
    "package_arn",
    "model_sha256",
    "evaluation_sha256",
    "dataset_sha256",
    "printed_name",
    "identity",
    "meaning",
    "decision",
    "time",
)


@dataclass(frozen=True)
class Signature:
    payload: dict[str, Any]
    signature: str  # base64 DER ECDSA signature
    key_id: str  # the key ARN KMS reports
    public_key: str  # base64 DER SubjectPublicKeyInfo
    algorithm: str = ALGORITHM

    def record(self) -> dict[str, Any]:
        """The form kept in the audit trail's details and read back by ``from_record``."""
        return {
            "payload": self.payload,
            "signature": self.signature,
            "key_id": self.key_id,
            "public_key": self.public_key,
            "algorithm": self.algorithm,
        }

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)


def payload(
    *,
    package_arn: str,
    model_sha256: str,
    evaluation_sha256: str,
    dataset_sha256: str,
    printed_name: str,
    identity: str,
    meaning: str,
    decision: str,
    time: str,
    reason: str | None = None,
) -> dict[str, Any]:
    out = {
        "package_arn": package_arn,
        "model_sha256": model_sha256,
        "evaluation_sha256": evaluation_sha256,
        "dataset_sha256": dataset_sha256,
        "printed_name": printed_name,
        "identity": identity,
        "meaning": meaning,
        "decision": decision,
        "time": time,
    }
    if reason is not None:
        out["reason"] = reason
    return out


def fingerprint(public_key_b64: str) -> str:
    """SHA-256 of the DER public key: how a trusted key is named."""
    return hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()


def public_key(kms: Any, key_id: str) -> tuple[str, str]:
    """(key ARN, base64 DER public key) from KMS."""
    answer = kms.get_public_key(KeyId=key_id)
    return answer["KeyId"], base64.b64encode(answer["PublicKey"]).decode()


def current_fingerprint(kms: Any, key_id: str) -> str:
    """The fingerprint of the key KMS holds now under ``key_id``: the key a verifier trusts by default."""
    return fingerprint(public_key(kms, key_id)[1])


def sign(kms: Any, key_id: str, content: dict[str, Any]) -> Signature:
    """Sign the canonical payload with the KMS key (only the approver role may: the key policy says so)."""
    message = canonical(content)
    answer = kms.sign(KeyId=key_id, Message=message, MessageType="RAW", SigningAlgorithm=ALGORITHM)
    arn, key = public_key(kms, answer["KeyId"])
    return Signature(
        payload=content,
        signature=base64.b64encode(answer["Signature"]).decode(),
        key_id=arn,
        public_key=key,
    )


def from_record(record: Any) -> Signature:
    if not isinstance(record, dict) or not {"payload", "signature", "key_id", "public_key"} <= set(record):
        raise ValueError("the signature record lacks payload, signature, key_id or public_key")
    if not isinstance(record["payload"], dict) or not all(
        isinstance(record[k], str) for k in ("signature", "key_id", "public_key")
    ):
        raise ValueError("the signature record has a payload that is not an object or fields that are not text")
    return Signature(
        payload=record["payload"],
        signature=record["signature"],
        key_id=record["key_id"],
        public_key=record["public_key"],
        algorithm=record.get("algorithm", ALGORITHM),
    )


def problem(signature: Signature, trusted: set[str]) -> str | None:
    """Why the signature does not hold, or None. Offline: the public key, the payload, the signature bytes.

    ``trusted``: fingerprints of the keys accepted (KMS GetPublicKey or key files). A key recorded beside a
    signature proves nothing by itself: anyone can sign with a key of their own.
    """
    if not trusted:
        return "no trusted signing key to check against"
    if signature.algorithm != ALGORITHM:
        return f"algorithm {signature.algorithm} is not {ALGORITHM}"
    missing = [f for f in PAYLOAD_FIELDS if f not in signature.payload]
    if missing:
        return f"the signed payload lacks {', '.join(missing)}"
    try:
        key = serialization.load_der_public_key(base64.b64decode(signature.public_key))
        raw = base64.b64decode(signature.signature, validate=True)
    except (ValueError, TypeError) as exc:
        return f"unreadable key or signature ({exc})"
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return "the public key is not an elliptic-curve key"
    if signature.fingerprint not in trusted:
        return f"signed with key {signature.key_id} (fingerprint {signature.fingerprint[:16]}), not a trusted key"
    try:
        key.verify(raw, canonical(signature.payload), ec.ECDSA(hashes.SHA256()))
    except EntryError as exc:
        return f"the signed payload is not canonical JSON ({exc})"
    except InvalidSignature:
        return "the signature does not match the signed payload"
    return None
