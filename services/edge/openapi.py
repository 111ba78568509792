"""Builds the OpenAPI 3 document of the REST edge from the descriptor set (never written by hand).

It reads the same `google.api.http` annotations Envoy transcodes, so the document cannot drift from the
edge. JSON names are the proto field names (the edge preserves them); int64 values are strings.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor_pb2

from engage.common.v1 import options_pb2

_F = descriptor_pb2.FieldDescriptorProto
_SCALARS = {
    _F.TYPE_STRING: {"type": "string"},
    _F.TYPE_BOOL: {"type": "boolean"},
    _F.TYPE_INT32: {"type": "integer", "format": "int32"},
    _F.TYPE_UINT32: {"type": "integer", "format": "int32"},
    _F.TYPE_SINT32: {"type": "integer", "format": "int32"},
    _F.TYPE_INT64: {"type": "string", "format": "int64", "description": "int64, sent as a JSON string"},
    _F.TYPE_UINT64: {"type": "string", "format": "uint64", "description": "uint64, sent as a JSON string"},
    _F.TYPE_SINT64: {"type": "string", "format": "int64"},
    _F.TYPE_DOUBLE: {"type": "number"},
    _F.TYPE_FLOAT: {"type": "number"},
    _F.TYPE_BYTES: {"type": "string", "format": "byte"},
}
_WELL_KNOWN = {
    ".google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    ".google.protobuf.Struct": {"type": "object", "additionalProperties": True},
    ".google.protobuf.Value": {},
    ".google.protobuf.Any": {"type": "object", "additionalProperties": True},
}


class _Index:
    def __init__(self, fds: descriptor_pb2.FileDescriptorSet) -> None:
        self.messages: dict[str, descriptor_pb2.DescriptorProto] = {}
        self.enums: dict[str, descriptor_pb2.EnumDescriptorProto] = {}
        self.comments: dict[tuple[str, tuple[int, ...]], str] = {}
        self.files = list(fds.file)
        for f in fds.file:
            prefix = f".{f.package}" if f.package else ""
            for m in f.message_type:
                self._add_message(prefix, m)
            for e in f.enum_type:
                self.enums[f"{prefix}.{e.name}"] = e

    def _add_message(self, prefix: str, m: descriptor_pb2.DescriptorProto) -> None:
        name = f"{prefix}.{m.name}"
        self.messages[name] = m
        for nested in m.nested_type:
            self._add_message(name, nested)
        for e in m.enum_type:
            self.enums[f"{name}.{e.name}"] = e


def _schema_name(full: str) -> str:
    return full.lstrip(".")


def _field_schema(idx: _Index, f: descriptor_pb2.FieldDescriptorProto, wanted: set[str]) -> dict:
    if f.type == _F.TYPE_MESSAGE:
        if f.type_name in _WELL_KNOWN:
            schema = dict(_WELL_KNOWN[f.type_name])
        else:
            msg = idx.messages[f.type_name]
            if msg.options.map_entry:
                schema = {"type": "object", "additionalProperties": _field_schema(idx, msg.field[1], wanted)}
                return schema
            wanted.add(f.type_name)
            schema = {"$ref": f"#/components/schemas/{_schema_name(f.type_name)}"}
    elif f.type == _F.TYPE_ENUM:
        enum = idx.enums[f.type_name]
        schema = {"type": "string", "enum": [v.name for v in enum.value if v.number != 0]}
    else:
        schema = dict(_SCALARS[f.type])
    rules = f.options.Extensions[options_pb2.field]
    if rules.max_len:
        schema["maxLength"] = rules.max_len
    if rules.min_len:
        schema["minLength"] = rules.min_len
    if rules.HasField("gte"):
        schema["x-minimum"] = rules.gte
    if rules.HasField("lte"):
        schema["x-maximum"] = rules.lte
    if rules.format:
        schema["x-format"] = rules.format
    if f.label == _F.LABEL_REPEATED:
        schema = {"type": "array", "items": schema}
        if rules.max_items:
            schema["maxItems"] = rules.max_items
        if rules.min_items:
            schema["minItems"] = rules.min_items
    return schema


def _message_schema(idx: _Index, full: str, wanted: set[str]) -> dict:
    msg = idx.messages[full]
    props = {f.name: _field_schema(idx, f, wanted) for f in msg.field}
    required = [f.name for f in msg.field if f.options.Extensions[options_pb2.field].required]
    schema: dict = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return schema


def _bindings(rule: http_pb2.HttpRule) -> list[tuple[str, str, str]]:
    out = []
    for r in [rule, *rule.additional_bindings]:
        kind = r.WhichOneof("pattern")
        if kind and kind != "custom":
            out.append((kind, getattr(r, kind), r.body))
    return out


def build_openapi(descriptor_path: Path) -> dict:
    fds = descriptor_pb2.FileDescriptorSet.FromString(descriptor_path.read_bytes())
    idx = _Index(fds)
    paths: dict[str, dict] = {}
    wanted: set[str] = {".google.rpc.Status"}
    for f in idx.files:
        if not f.package.startswith("engage."):
            continue
        for svc in f.service:
            for m in svc.method:
                rule = m.options.Extensions[annotations_pb2.http]
                policy = m.options.Extensions[options_pb2.access]
                roles = [options_pb2.AccessPolicy.Role.Name(r) for r in policy.roles]
                for verb, template, body in _bindings(rule):
                    path = re.sub(r"\{([^}=]+)(=[^}]*)?\}", r"{\1}", template)
                    path_params = re.findall(r"\{([^}=]+)", template)
                    op: dict = {
                        "operationId": f"{svc.name}_{m.name}" + ("" if template == _bindings(rule)[0][1] else f"_{verb}_{len(paths)}"),
                        "tags": [f"{f.package}.{svc.name}"],
                        "summary": m.name,
                        "x-grpc-method": f"/{f.package}.{svc.name}/{m.name}",
                        # The edge requires the admin role on every /admin/ path (see interceptor.py).
                        "x-roles": ["ADMIN"] if path.startswith("/admin/") else roles,
                        "security": [{"bearerAuth": []}],
                        "parameters": [
                            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                            for p in path_params
                        ],
                        "responses": {
                            "200": {
                                "description": "OK",
                                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{_schema_name(m.output_type)}"}}},
                            },
                            "default": {
                                "description": "An error: a google.rpc.Status with ErrorInfo / BadRequest details",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/google.rpc.Status"}}},
                            },
                        },
                    }
                    wanted.add(m.output_type)
                    req = idx.messages[m.input_type]
                    if body == "*":
                        wanted.add(m.input_type)
                        op["requestBody"] = {
                            "required": True,
                            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{_schema_name(m.input_type)}"}}},
                        }
                    elif not body:
                        for fld in req.field:
                            if fld.name in path_params or fld.type == _F.TYPE_MESSAGE:
                                continue
                            op["parameters"].append({"name": fld.name, "in": "query", "schema": _field_schema(idx, fld, wanted)})
                    paths.setdefault(path, {})[verb] = op
    schemas: dict[str, dict] = {}
    while wanted - {f".{k}" for k in schemas}:
        full = sorted(wanted - {f".{k}" for k in schemas})[0]
        schemas[_schema_name(full)] = _message_schema(idx, full, wanted)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Engage REST API",
            "version": "v1",
            "description": "Generated from protos/ by `engage gen`. JSON field names are snake_case; "
            "int64 values are JSON strings (numbers are accepted on input); enum values are their short "
            "names, lower-case accepted on input. Errors are google.rpc.Status bodies.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def write_openapi(descriptor_path: Path, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(build_openapi(descriptor_path), indent=2, sort_keys=False) + "\n")
