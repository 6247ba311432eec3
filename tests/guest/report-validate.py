#!/usr/bin/env python3
"""Validates a vmemu --report-format=json file against docs/report-schema.json.

Usage: report-validate.py SCHEMA REPORT
Uses the jsonschema module when it is installed; otherwise checks the
subset of JSON Schema the report schema uses: $ref to #/$defs, type (one or
a list), const, enum, required, properties, additionalProperties: false,
items, minimum and maximum. Exits 0 when valid, 1 with the errors if not."""
import json
import sys

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
KNOWN = {"$schema", "$id", "$ref", "$defs", "title", "description", "type", "const",
         "enum", "required", "properties", "additionalProperties", "items",
         "minimum", "maximum"}


def resolve(root, ref):
    if not ref.startswith("#/"):
        raise SystemExit("unsupported $ref %s" % ref)
    node = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def check(root, schema, value, path, errors):
    unknown = set(schema) - KNOWN
    if unknown:
        raise SystemExit("validator does not know keywords %s" % sorted(unknown))
    if "$ref" in schema:
        check(root, resolve(root, schema["$ref"]), value, path, errors)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[t](value) for t in types):
            errors.append("%s: %r is not of type %s" % (path, value, "/".join(types)))
            return
    if "const" in schema and value != schema["const"]:
        errors.append("%s: %r is not %r" % (path, value, schema["const"]))
    if "enum" in schema and value not in schema["enum"]:
        errors.append("%s: %r is not one of %r" % (path, value, schema["enum"]))
    if TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append("%s: %r is below %r" % (path, value, schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            errors.append("%s: %r is above %r" % (path, value, schema["maximum"]))
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                errors.append("%s: missing required key %r" % (path, key))
        props = schema.get("properties", {})
        for key, sub in value.items():
            if key in props:
                check(root, props[key], sub, "%s.%s" % (path, key), errors)
            elif schema.get("additionalProperties", True) is False:
                errors.append("%s: unexpected key %r" % (path, key))
    if isinstance(value, list) and "items" in schema:
        for i, sub in enumerate(value):
            check(root, schema["items"], sub, "%s[%d]" % (path, i), errors)


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    with open(sys.argv[2]) as f:
        report = json.load(f)
    errors = []
    try:
        import jsonschema
    except ImportError:
        jsonschema = None
    if jsonschema is not None:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        errors = [e.message for e in cls(schema).iter_errors(report)]
    check(schema, schema, report, "$", errors)
    for e in errors:
        print("invalid report:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
