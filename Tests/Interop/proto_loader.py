"""Generates the Python protobuf classes for the repository's .proto files and loads them.

Shared by the pytest suite (conftest.py) and the corpus builder (make_corpus.py). The generated code is
never committed: it is written to a temporary directory on every run, so it cannot drift from proto/.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

REPO = Path(__file__).resolve().parents[2]
PROTO_DIR = REPO / "proto"
# Only these trees: proto/generator/ holds checkouts (swift-protobuf's own test protos) that are not ours.
PROTO_ROOTS = ("clientanalyze", "grpc")


def proto_files() -> list[str]:
    """The project's .proto files, relative to proto/ (what `find clientanalyze grpc -name '*.proto'` gives)."""
    files = sorted(str(p.relative_to(PROTO_DIR)) for root in PROTO_ROOTS for p in (PROTO_DIR / root).rglob("*.proto"))
    if not files:
        raise RuntimeError(f"no .proto files under {PROTO_DIR}/{{{','.join(PROTO_ROOTS)}}}")
    return files


def generate(out_dir: Path) -> list[str]:
    """Runs protoc (from grpcio-tools) with --python_out into out_dir; returns the generated module names."""
    files = proto_files()
    cmd = [sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_DIR}", f"--python_out={out_dir}", *files]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"protoc failed ({done.returncode}):\n{' '.join(cmd)}\n{done.stdout}{done.stderr}")
    return [f[: -len(".proto")].replace("/", ".") + "_pb2" for f in files]


@dataclass
class Protos:
    """The loaded classes: every message type of our .proto files, by full proto name."""

    modules: list  # the imported *_pb2 modules, in proto_files() order
    descriptors: dict[str, Descriptor] = field(default_factory=dict)  # full name -> descriptor, map entries excluded
    _proto3_optional: dict[str, frozenset[str]] = field(default_factory=dict)

    def message_class(self, full_name: str) -> type[Message]:
        return message_factory.GetMessageClass(self.descriptors[full_name])

    def enum_number(self, enum_full_name: str, value_name: str) -> int:
        """The number of an enum value, e.g. enum_number("grpc.health.v1.HealthCheckResponse.ServingStatus", "SERVING")."""
        return descriptor_pool.Default().FindEnumTypeByName(enum_full_name).values_by_name[value_name].number

    def is_proto3_optional(self, fd: FieldDescriptor) -> bool:
        """True for `optional` fields of proto3 (their oneof is synthetic, not a real oneof).

        The upb descriptors do not expose `is_synthetic`, so this reads the flag from the DescriptorProto.
        """
        owner = fd.containing_type.full_name
        if owner not in self._proto3_optional:
            proto = descriptor_pb2.DescriptorProto()
            fd.containing_type.CopyToProto(proto)
            self._proto3_optional[owner] = frozenset(f.name for f in proto.field if f.proto3_optional)
        return fd.name in self._proto3_optional[owner]


def is_map_entry(desc: Descriptor | None) -> bool:
    return desc is not None and desc.GetOptions().map_entry


def load(out_dir: Path) -> Protos:
    """Generates the classes into out_dir, imports them (which registers every file in the default descriptor
    pool) and indexes every message type, nested ones included, by full name."""
    # The generated grpc/health/v1, grpc/testing, ... would live in a package called `grpc`, but grpcio (which
    # grpcio-tools needs) is the installed `grpc` package and even aliases `grpc.reflection`/`grpc.health` to
    # its own modules, so the generated ones could not be imported. This process never uses grpcio, so the
    # generated tree is made a regular package and put first on sys.path, where it takes precedence.
    loaded = sys.modules.get("grpc")
    if loaded is not None and not str(getattr(loaded, "__file__", "")).startswith(str(out_dir)):
        raise RuntimeError(f"grpcio's `grpc` package ({loaded.__file__}) is already imported; the generated "
                           "grpc.* proto modules cannot be loaded in this process")
    names = generate(out_dir)
    (out_dir / "grpc" / "__init__.py").touch()
    sys.path.insert(0, str(out_dir))
    modules = [importlib.import_module(name) for name in names]

    protos = Protos(modules)

    def index(desc: Descriptor) -> None:
        if not is_map_entry(desc):
            protos.descriptors[desc.full_name] = desc
        for nested in desc.nested_types:
            index(nested)

    for module in modules:
        for desc in module.DESCRIPTOR.message_types_by_name.values():
            index(desc)
    return protos
