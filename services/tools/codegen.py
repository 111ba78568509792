"""Regenerates everything derived from `protos/`: Python code, the descriptor set, the OpenAPI document.

`engage gen` writes into `gen/`; `engage gen --check` regenerates into a scratch folder and fails when
the committed files differ (CI runs it).
"""

from __future__ import annotations

import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

import grpc_tools
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parents[2]
PROTOS = ROOT / "protos"
GEN = ROOT / "gen"
THIRD_PARTY = ROOT / ".build" / "third_party"
DESCRIPTOR_NAME = "engage/engage.binpb"
OPENAPI_NAME = "openapi/engage.openapi.json"
# google/api and google/rpc, read from the installed googleapis-common-protos package.
GOOGLEAPIS = [
    "google/api/annotations.proto",
    "google/api/http.proto",
    "google/rpc/status.proto",
    "google/rpc/error_details.proto",
    "google/rpc/code.proto",
]


def _googleapis_root() -> Path:
    import google.api.annotations_pb2 as annotations

    return Path(annotations.__file__).resolve().parents[2]


def copy_third_party() -> Path:
    """Copies the googleapis protos we import into an ignored folder that protoc and buf read."""
    src_root = _googleapis_root()
    for name in GOOGLEAPIS:
        dest = THIRD_PARTY / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src_root / name, dest)
    return THIRD_PARTY


def our_protos() -> list[str]:
    return sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))


def generate(out: Path) -> None:
    third_party = copy_third_party()
    wkt = Path(grpc_tools.__file__).parent / "_proto"
    includes = [f"-I{PROTOS}", f"-I{third_party}", f"-I{wkt}"]
    files = our_protos()
    out.mkdir(parents=True, exist_ok=True)
    args = ["protoc", *includes, f"--python_out={out}", f"--pyi_out={out}", f"--grpc_python_out={out}", *files]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed generating Python code")
    descriptor = out / DESCRIPTOR_NAME
    descriptor.parent.mkdir(parents=True, exist_ok=True)
    # The error-detail types must be in the descriptor set, or Envoy answers REST errors with an
    # empty body and a gRPC content type.
    args = [
        "protoc",
        *includes,
        "--include_imports",
        f"--descriptor_set_out={descriptor}",
        *files,
        "google/rpc/status.proto",
        "google/rpc/error_details.proto",
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed building the descriptor set")
    for pkg_dir in {p.parent for p in out.rglob("*_pb2.py")} | {out / "engage"}:
        d = pkg_dir
        while d != out:
            (d / "__init__.py").touch()
            d = d.parent
    from services.edge.openapi import write_openapi

    write_openapi(descriptor, out / OPENAPI_NAME)


def _diff(a: Path, b: Path) -> list[str]:
    cmp = filecmp.dircmp(a, b, ignore=["__pycache__"])
    out = [f"only in one: {n}" for n in cmp.left_only + cmp.right_only]
    out += [f"differs: {n}" for n in cmp.diff_files]
    for sub in cmp.common_dirs:
        out += [f"{sub}/{line}" for line in _diff(a / sub, b / sub)]
    return out


def main(check: bool = False) -> int:
    if not check:
        if GEN.exists():
            shutil.rmtree(GEN)
        generate(GEN)
        print(f"generated {GEN.relative_to(ROOT)}/ from {len(our_protos())} protos")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "gen"
        generate(fresh)
        problems = _diff(fresh, GEN)
    if problems:
        print("gen/ is stale; run `engage gen`:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    print("gen/ is up to date")
    return 0
