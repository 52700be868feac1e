"""Governance for 21 CFR Part 11: the hash-chained audit trail, electronic signatures, the validation report.

``chain`` is the trail's format (pure), ``trail`` stores it in S3, ``signatures`` signs and verifies with KMS keys,
``approval`` is the steward's approve / reject, ``context`` holds one model's clients and names, ``local`` makes
the governance resources in the local world. ``report`` writes the validation report from ``traceability`` (the
Part 11 matrix), ``report_plots``, ``ci_results`` (JUnit, checkov) and ``model_card``.
"""
