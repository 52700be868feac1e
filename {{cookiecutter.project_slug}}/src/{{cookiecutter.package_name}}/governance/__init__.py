"""Governance for 21 CFR Part 11: the hash-chained audit trail, electronic signatures, the validation report.

``chain`` is the trail's format (pure), ``trail`` stores it in S3, ``signatures`` signs and verifies with KMS keys,
``approval`` is the steward's approve / reject, ``report`` the validation report and model card.
"""
