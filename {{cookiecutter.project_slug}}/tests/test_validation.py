"""validation.py's schema checker agrees with the jsonschema library, and holds no template syntax.

The template's pre-generation hook loads validation.py and project.schema.json straight from the template
tree, unrendered, in whatever Python runs cookiecutter: both must be plain files and the module must use
the standard library only.
"""

import ast
import copy
import json

import jsonschema
import pytest
import yaml

from {{ cookiecutter.package_name }} import settings, validation

SCHEMA = validation.load_schema()


def shipped() -> dict:
    return yaml.safe_load(settings.project_file().read_text(encoding="utf-8"))


def test_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_schema_uses_only_the_keywords_the_checker_knows():
    def walk(node):
        if isinstance(node, dict):
            assert set(node) - {"properties", "$defs"} <= validation.SUPPORTED | {"$schema"}, set(node)
            for key, value in node.items():
                if key in {"properties", "$defs"}:
                    for child in value.values():
                        walk(child)
                elif key not in {"enum", "examples", "required"}:
                    walk(value)

    walk(SCHEMA)


def _set(data: dict, dotted: str, value) -> dict:
    data = copy.deepcopy(data)
    node = data
    *parents, leaf = dotted.split(".")
    for part in parents:
        node = node[part]
    if value is _DELETE:
        del node[leaf]
    else:
        node[leaf] = value
    return data


_DELETE = object()
CORPUS = [
    ("project.slug", "Bad Slug"),
    ("project.slug", "ab"),
    ("project.slug", "a" * 33),
    ("project.name", 'say "hi"'),
    ("project.name", "   "),
    ("project.owner.email", "jane@"),
    ("aws.region", "mars-1"),
    ("aws.accounts.dev", "123"),
    ("aws.accounts.dev", 123456789012),
    ("aws.ssm_foundation_prefix", "mlops"),
    ("gitlab.host", "https://gitlab.com"),
    ("model.framework", "pytorch"),
    ("model.primary_metric.threshold", "high"),
    ("model.primary_metric.threshold", True),
    ("training.tuning.enabled", "yes"),
    ("training.tuning.max_jobs", 0),
    ("training.tuning.max_jobs", 501),
    ("training.tuning.max_jobs", 2.5),
    ("training.tuning.max_jobs", True),
    ("deployment.instance_type", "m5.large"),
    ("deployment.instance_count", 101),
    ("governance.cost_center", "x" * 257),
    ("governance.extra", "x"),
    ("deployment.strategy", _DELETE),
    ("naming", {}),
    ("naming.state_key", "has space"),
    ("model.primary_metric.threshold", 0),
    ("training.tuning.max_parallel_jobs", 100),
]


@pytest.mark.parametrize(("key", "value"), CORPUS, ids=[f"{k}={v!r}"[:60] for k, v in CORPUS])
def test_checker_agrees_with_jsonschema(key, value):
    document = _set(shipped(), key, value)
    ours = {p.path for p in validation.check(document, SCHEMA, "", SCHEMA)}
    reference = jsonschema.Draft202012Validator(SCHEMA).iter_errors(document)
    theirs = {".".join(map(str, e.absolute_path)) or "" for e in reference}
    # jsonschema names a missing or unknown key at its parent; ours names the key itself.
    assert bool(ours) == bool(theirs), (ours, theirs)
    assert all(any(o == t or o.startswith(f"{t}.") or not t for t in theirs) for o in ours), (ours, theirs)


def test_shipped_file_is_valid_for_both():
    assert validation.problems(shipped()) == []
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(shipped())) == []


def test_validation_module_is_plain_standard_library_python():
    source = (validation.SCHEMA_FILE.parent / "validation.py").read_text(encoding="utf-8")
    text = source + validation.SCHEMA_FILE.read_text(encoding="utf-8")
    assert "{{ '{{' }}" not in text and "{{ '{%' }}" not in text
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module.split(".")[0] in __import__("sys").stdlib_module_names
        elif isinstance(node, ast.Import):
            assert all(a.name.split(".")[0] in __import__("sys").stdlib_module_names for a in node.names)


def test_metric_facts_cover_the_schema_enum():
    assert set(validation.leaf(SCHEMA, "model.primary_metric.name")["enum"]) == set(validation.METRICS)
    assert set(validation.leaf(SCHEMA, "model.dataset")["enum"]) == set(validation.DATASETS)


def test_schema_file_is_json():
    json.loads(validation.SCHEMA_FILE.read_text(encoding="utf-8"))
