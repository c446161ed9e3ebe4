"""The small JSON Schema validator that checks model answers."""

from __future__ import annotations

import pytest

from toolkit.ai.schema import check_schema, is_strict, validate
from toolkit.exceptions import ToolkitConfigurationError

FLAG = {
    "type": "object",
    "properties": {
        "field": {"type": "string", "minLength": 1, "maxLength": 10, "pattern": "^[a-z_]+$"},
        "severity": {"enum": ["info", "warning", "critical"]},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
    },
    "required": ["field", "severity"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    "value, schema",
    [
        ("x", {"type": "string"}),
        (3, {"type": "integer"}),
        (3.0, {"type": "integer"}),
        (3.5, {"type": "number"}),
        (None, {"type": ["string", "null"]}),
        (True, {"type": "boolean"}),
        ([1, 2], {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}),
        ({"field": "stock", "severity": "critical", "score": 1}, FLAG),
        (
            {"a": 1, "b": "x"},
            {"type": "object", "additionalProperties": {"type": ["integer", "string"]}},
        ),
        (5, {"exclusiveMinimum": 4, "exclusiveMaximum": 6}),
        ("a", {"const": "a"}),
        (2, {"anyOf": [{"type": "string"}, {"type": "integer"}]}),
        (2, {"oneOf": [{"type": "string"}, {"type": "integer"}]}),
        (2, {"allOf": [{"type": "integer"}, {"minimum": 1}]}),
        ({"anything": 1}, {"title": "T", "description": "d", "default": {}, "$comment": "c"}),
    ],
)
def test_valid_values_pass(value, schema):
    check_schema(schema)
    assert validate(value, schema) == []


@pytest.mark.parametrize(
    "value, schema, error",
    [
        (1, {"type": "string"}, "$: expected string, got integer"),
        (True, {"type": "integer"}, "$: expected integer, got boolean"),
        (float("nan"), {"type": "number"}, "$: expected number, got float"),
        ("x", {"type": "null"}, "$: expected null, got string"),
        ({"severity": "info"}, FLAG, "$: missing required property 'field'"),
        ({"field": "a", "severity": "info", "x": 1}, FLAG, "$: unexpected property 'x'"),
        ({"field": "a", "severity": "fatal"}, FLAG, "$.severity: 'fatal' is not one of"),
        ({"field": "", "severity": "info"}, FLAG, "$.field: shorter than 1 characters"),
        ({"field": "a" * 11, "severity": "info"}, FLAG, "$.field: longer than 10 characters"),
        ({"field": "Stock!", "severity": "info"}, FLAG, "$.field: 'Stock!' does not match"),
        ({"field": "a", "severity": "info", "score": 2}, FLAG, "$.score: 2 is more than 1"),
        ({"field": "a", "severity": "info", "score": -1}, FLAG, "$.score: -1 is less than 0"),
        ([1, "x"], {"items": {"type": "integer"}}, "$[1]: expected integer, got string"),
        ([], {"type": "array", "minItems": 1}, "$: has 0 items, fewer than 1"),
        ([1, 2], {"type": "array", "maxItems": 1}, "$: has 2 items, more than 1"),
        (4, {"exclusiveMinimum": 4}, "$: 4 is not more than 4"),
        (6, {"exclusiveMaximum": 6}, "$: 6 is not less than 6"),
        (1, {"enum": [True]}, "$: 1 is not one of [True]"),
        ("b", {"const": "a"}, "$: expected 'a'"),
        (
            None,
            {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            "$: matches none of the anyOf",
        ),
        (2, {"oneOf": [{"type": "integer"}, {"minimum": 1}]}, "$: matches 2 of the oneOf"),
        (0, {"allOf": [{"type": "integer"}, {"minimum": 1}]}, "$: 0 is less than 1"),
    ],
)
def test_invalid_values_say_where_and_why(value, schema, error):
    errors = validate(value, schema)
    assert any(e.startswith(error) for e in errors), errors


def test_nested_paths_are_reported():
    schema = {"type": "object", "properties": {"flags": {"type": "array", "items": FLAG}}}
    errors = validate({"flags": [{"field": "a", "severity": "info"}, {"field": 1}]}, schema)
    assert errors == [
        "$.flags[1]: missing required property 'severity'",
        "$.flags[1].field: expected string, got integer",
    ]


@pytest.mark.parametrize(
    "schema, keyword",
    [
        ({"$ref": "#/x"}, "$ref"),
        ({"type": "object", "properties": {"a": {"if": {}}}}, "if"),
        ({"items": {"patternProperties": {}}}, "patternProperties"),
        ({"anyOf": [{"not": {}}]}, "not"),
        ({"type": "date"}, "unknown type 'date'"),
        ("string", "must be a dict"),
    ],
)
def test_unsupported_schemas_are_refused_rather_than_half_checked(schema, keyword):
    with pytest.raises(ToolkitConfigurationError, match=keyword.replace("$", r"\$")):
        check_schema(schema)


def test_strict_needs_closed_objects_with_every_property_required():
    assert is_strict({**FLAG, "required": ["field", "severity", "score"]})
    assert not is_strict(FLAG)  # score is optional
    assert not is_strict({**FLAG, "additionalProperties": True})
    nested = {
        "type": "object",
        "properties": {"flags": {"type": "array", "items": FLAG}},
        "required": ["flags"],
        "additionalProperties": False,
    }
    assert not is_strict(nested)
    assert is_strict({"type": "string"})
