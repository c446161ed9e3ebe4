"""A small JSON Schema validator for the answers LLMs send back.

The schemas of AI actions describe small JSON objects (a summary, a list of flags), so
this module covers the part of JSON Schema (draft 2020-12) those need, rather than adding
a dependency with a compiled core:

- ``type`` (one or a list), ``enum``, ``const``
- objects: ``properties``, ``required``, ``additionalProperties`` (bool or schema)
- arrays: ``items``, ``minItems``, ``maxItems``
- strings: ``minLength``, ``maxLength``, ``pattern``
- numbers: ``minimum``, ``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum``
- ``anyOf``, ``oneOf``, ``allOf``

Annotations (``title``, ``description``, ``default``, ``examples``, ``format``,
``$schema``, ``$id``, ``$comment``) are accepted and not checked. Any other keyword makes
:func:`check_schema` fail, so a schema never silently validates less than it says.
"""

from __future__ import annotations

import math
import re
from typing import Any

from toolkit.exceptions import ToolkitConfigurationError

__all__ = ["check_schema", "is_strict", "validate"]

_VALIDATING = {
    "type",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "anyOf",
    "oneOf",
    "allOf",
}
_ANNOTATIONS = {
    "title",
    "description",
    "default",
    "examples",
    "format",
    "$schema",
    "$id",
    "$comment",
}
_TYPES = {"object", "array", "string", "integer", "number", "boolean", "null"}


def check_schema(schema: Any, path: str = "#") -> None:
    """Raise ``ToolkitConfigurationError`` if ``schema`` uses what :func:`validate` lacks."""
    if not isinstance(schema, dict):
        raise ToolkitConfigurationError(f"JSON schema at {path} must be a dict, not {schema!r}.")
    unknown = sorted(set(schema) - _VALIDATING - _ANNOTATIONS)
    if unknown:
        raise ToolkitConfigurationError(
            f"JSON schema at {path} uses {', '.join(unknown)}, which toolkit.ai.schema does "
            f"not validate. Use only: {', '.join(sorted(_VALIDATING))}."
        )
    types = schema.get("type")
    for name in [types] if isinstance(types, str) else types or []:
        if name not in _TYPES:
            raise ToolkitConfigurationError(f"JSON schema at {path} has unknown type {name!r}.")
    for key, sub in (schema.get("properties") or {}).items():
        check_schema(sub, f"{path}/properties/{key}")
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            check_schema(schema[key], f"{path}/{key}")
    for key in ("anyOf", "oneOf", "allOf"):
        for index, sub in enumerate(schema.get(key) or []):
            check_schema(sub, f"{path}/{key}/{index}")


def is_strict(schema: dict[str, Any]) -> bool:
    """True if OpenAI's strict structured outputs accept ``schema``.

    Strict mode wants every object closed (``additionalProperties: false``) with all of
    its properties required; the client asks for it only then.
    """
    if schema.get("type") == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        if schema.get("additionalProperties") is not False:
            return False
        if set(schema.get("required") or []) != set(properties):
            return False
        if not all(is_strict(sub) for sub in properties.values()):
            return False
    if isinstance(schema.get("items"), dict) and not is_strict(schema["items"]):
        return False
    return all(is_strict(sub) for key in ("anyOf", "allOf") for sub in schema.get(key) or [])


def validate(instance: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """Check ``instance`` against ``schema``; return one readable line per problem."""
    errors: list[str] = []
    types = schema.get("type")
    if types is not None:
        allowed = [types] if isinstance(types, str) else list(types)
        if not any(_is_type(instance, name) for name in allowed):
            return [f"{path}: expected {' or '.join(allowed)}, got {_type_name(instance)}"]
    if "enum" in schema and not any(_equal(instance, v) for v in schema["enum"]):
        errors.append(f"{path}: {_short(instance)} is not one of {schema['enum']!r}")
    if "const" in schema and not _equal(instance, schema["const"]):
        errors.append(f"{path}: expected {schema['const']!r}")

    if isinstance(instance, dict):
        errors += _validate_object(instance, schema, path)
    elif isinstance(instance, list):
        errors += _validate_array(instance, schema, path)
    elif isinstance(instance, str):
        errors += _validate_string(instance, schema, path)
    elif _is_type(instance, "number"):
        errors += _validate_number(instance, schema, path)

    for sub in schema.get("allOf") or []:
        errors += validate(instance, sub, path)
    if "anyOf" in schema and all(validate(instance, sub, path) for sub in schema["anyOf"]):
        errors.append(f"{path}: matches none of the anyOf alternatives")
    if "oneOf" in schema:
        matches = sum(not validate(instance, sub, path) for sub in schema["oneOf"])
        if matches != 1:
            errors.append(f"{path}: matches {matches} of the oneOf alternatives, not exactly 1")
    return errors


def _validate_object(instance: dict[str, Any], schema: dict[str, Any], path: str) -> list[str]:
    errors = [
        f"{path}: missing required property {key!r}"
        for key in schema.get("required") or []
        if key not in instance
    ]
    properties = schema.get("properties") or {}
    additional = schema.get("additionalProperties", True)
    for key, value in instance.items():
        if key in properties:
            errors += validate(value, properties[key], f"{path}.{key}")
        elif additional is False:
            errors.append(f"{path}: unexpected property {key!r}")
        elif isinstance(additional, dict):
            errors += validate(value, additional, f"{path}.{key}")
    return errors


def _validate_array(instance: list[Any], schema: dict[str, Any], path: str) -> list[str]:
    errors: list[str] = []
    if "minItems" in schema and len(instance) < schema["minItems"]:
        errors.append(f"{path}: has {len(instance)} items, fewer than {schema['minItems']}")
    if "maxItems" in schema and len(instance) > schema["maxItems"]:
        errors.append(f"{path}: has {len(instance)} items, more than {schema['maxItems']}")
    if isinstance(schema.get("items"), dict):
        for index, item in enumerate(instance):
            errors += validate(item, schema["items"], f"{path}[{index}]")
    return errors


def _validate_string(instance: str, schema: dict[str, Any], path: str) -> list[str]:
    errors: list[str] = []
    if "minLength" in schema and len(instance) < schema["minLength"]:
        errors.append(f"{path}: shorter than {schema['minLength']} characters")
    if "maxLength" in schema and len(instance) > schema["maxLength"]:
        errors.append(f"{path}: longer than {schema['maxLength']} characters")
    if "pattern" in schema and not re.search(schema["pattern"], instance):
        errors.append(f"{path}: {_short(instance)} does not match {schema['pattern']!r}")
    return errors


def _validate_number(instance: float, schema: dict[str, Any], path: str) -> list[str]:
    errors: list[str] = []
    if "minimum" in schema and instance < schema["minimum"]:
        errors.append(f"{path}: {instance} is less than {schema['minimum']}")
    if "maximum" in schema and instance > schema["maximum"]:
        errors.append(f"{path}: {instance} is more than {schema['maximum']}")
    if "exclusiveMinimum" in schema and instance <= schema["exclusiveMinimum"]:
        errors.append(f"{path}: {instance} is not more than {schema['exclusiveMinimum']}")
    if "exclusiveMaximum" in schema and instance >= schema["exclusiveMaximum"]:
        errors.append(f"{path}: {instance} is not less than {schema['exclusiveMaximum']}")
    return errors


def _is_type(value: Any, name: str) -> bool:
    if name == "null":
        return value is None
    if name == "boolean":
        return isinstance(value, bool)
    if name == "string":
        return isinstance(value, str)
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if name == "integer":
        # JSON Schema counts 1.0 as an integer; NaN and infinities are no numbers at all.
        return isinstance(value, int) or (math.isfinite(value) and value.is_integer())
    return name == "number" and math.isfinite(value)


def _type_name(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is_type(value, name):
            return name
    return type(value).__name__


def _equal(a: Any, b: Any) -> bool:
    # JSON has no bool/int confusion: true is not 1.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
