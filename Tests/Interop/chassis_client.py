"""grpcio client for the chassis system tests (test_chassis.py), run as a child process because the pytest
process must not import grpcio (see grpc_interop_support.py). Messages are built from what the server's own
reflection service returns, so these calls also prove reflection works for a real client.

  python chassis_client.py ADDRESS COMMAND [ARGS]

Commands print JSON on stdout (one document; `watch` prints one line per status as it arrives):
  check [SERVICE]          health Check → {"status": "SERVING"}
  reflect                  {"services": [...], "get_metrics_input": "clientanalyze.ops.v1.GetMetricsRequest"}
  info                     Ops.GetInfo as JSON
  metrics PREFIX           Ops.GetMetrics as JSON
  unary KEY=VALUE...       TestService.UnaryCall with that metadata → {"code": "OK"}
  slow N SECONDS           N StreamingOutputCall calls at once, each answering after SECONDS
                           → {"codes": {"OK": N}} once all have ended
  watch                    health Watch: a line per status, then {"end": CODE}
  call METHOD JSON [K=V…]  any unary method (/pkg.Service/Method) with a JSON request (and metadata K=V)
                           → the JSON response, or {"error": CODE, "message": …, "trailers": {…}}
  stream METHOD JSON [K=V…]
                           a server-streaming method → a line per response, then {"end": CODE}
  download METHOD JSON OUT [K=V…]
                           a server-streaming method answering chunks with `data` (gateway downloads): the
                           data written to OUT → {"chunks": n, "bytes": n, "first": {other fields of chunk 1}}
  render REQUEST OUT [FORMAT]
                           Renderer.Render with the serialized RenderRequest in the file REQUEST (its format
                           replaced by FORMAT, e.g. FORMAT_HTML, if given); writes the document to OUT →
                           {"chunks": n, "content_type": …, "file_name": …, "page_count": …, "total_size": …,
                            "bytes": n, "content_type_in": [chunk indexes], "total_size_in": [chunk indexes]},
                           or {"error": CODE, "message": …}
  ack-writes PREFIX N      N Cache.Set calls (keys PREFIX0…), a line with each key once acknowledged;
                           stops at the first failure

TLS instead of h2c when CLA_TEST_TLS_CA names the PEM CAs to trust; CLA_TEST_TLS_CERT and CLA_TEST_TLS_KEY
add a client certificate (mutual TLS).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

import grpc
from google.protobuf import json_format
from google.protobuf.descriptor_pool import DescriptorPool
from google.protobuf.message_factory import GetMessageClass
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase


def message_class(pool: DescriptorPool, name: str):
    return GetMessageClass(pool.FindMessageTypeByName(name))


def unary(channel, pool, method: str, request, metadata=(), timeout=10):
    service, name = method.rsplit("/", 1)
    descriptor = pool.FindServiceByName(service.lstrip("/")).methods_by_name[name]
    response_class = GetMessageClass(descriptor.output_type)
    call = channel.unary_unary(method, request_serializer=lambda m: m.SerializeToString(),
                               response_deserializer=response_class.FromString)
    return call(request, metadata=metadata, timeout=timeout)


def render(channel, pool, request_file: Path, out_file: Path, format_name: str | None) -> dict:
    """Renderer.Render: the chunks' data concatenated into out_file, and what the chunks said about it."""
    descriptor = pool.FindServiceByName("clientanalyze.render.v1.Renderer").methods_by_name["Render"]
    request = GetMessageClass(descriptor.input_type).FromString(request_file.read_bytes())
    if format_name:
        request.format = descriptor.input_type.fields_by_name["format"].enum_type.values_by_name[format_name].number
    call = channel.unary_stream("/clientanalyze.render.v1.Renderer/Render",
                                request_serializer=lambda m: m.SerializeToString(),
                                response_deserializer=GetMessageClass(descriptor.output_type).FromString)
    try:
        chunks = list(call(request, timeout=120))
    except grpc.RpcError as error:
        return {"error": error.code().name, "message": error.details()}
    if not chunks:
        return {"chunks": 0}
    data = b"".join(chunk.data for chunk in chunks)
    out_file.write_bytes(data)
    return {"chunks": len(chunks), "content_type": chunks[0].content_type, "file_name": chunks[0].file_name,
            "page_count": chunks[-1].page_count, "total_size": chunks[-1].total_size, "bytes": len(data),
            # Which chunks carry the metadata: the first should carry the name and type, the last the sizes.
            "content_type_in": [i for i, chunk in enumerate(chunks) if chunk.content_type or chunk.file_name],
            "total_size_in": [i for i, chunk in enumerate(chunks) if chunk.total_size or chunk.page_count]}


def open_channel(address: str):
    """h2c, or TLS as the CLA_TEST_TLS_* variables say."""
    ca = os.environ.get("CLA_TEST_TLS_CA")
    if not ca:
        return grpc.insecure_channel(address)
    read = lambda name: Path(os.environ[name]).read_bytes() if os.environ.get(name) else None
    credentials = grpc.ssl_channel_credentials(
        root_certificates=Path(ca).read_bytes(), private_key=read("CLA_TEST_TLS_KEY"),
        certificate_chain=read("CLA_TEST_TLS_CERT"))
    return grpc.secure_channel(address, credentials)


def main(address: str, command: str, args: list[str]) -> None:
    channel = open_channel(address)
    pool = DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
    out = {}
    if command == "check":
        response = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=args[0] if args else ""), timeout=10)
        out = {"status": health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)}
    elif command == "reflect":
        database = ProtoReflectionDescriptorDatabase(channel)
        services = list(database.get_services())
        method = pool.FindServiceByName("clientanalyze.ops.v1.Ops").methods_by_name["GetMetrics"]
        out = {"services": services, "get_metrics_input": method.input_type.full_name}
    elif command == "info":
        request = message_class(pool, "clientanalyze.ops.v1.GetInfoRequest")()
        out = json_format.MessageToDict(unary(channel, pool, "/clientanalyze.ops.v1.Ops/GetInfo", request))
    elif command == "metrics":
        request = message_class(pool, "clientanalyze.ops.v1.GetMetricsRequest")(name_prefix=args[0])
        out = json_format.MessageToDict(unary(channel, pool, "/clientanalyze.ops.v1.Ops/GetMetrics", request))
    elif command == "unary":
        metadata = [tuple(arg.split("=", 1)) for arg in args]
        request = message_class(pool, "grpc.testing.SimpleRequest")(response_size=1)
        unary(channel, pool, "/grpc.testing.TestService/UnaryCall", request, metadata=metadata)
        out = {"code": "OK"}
    elif command == "slow":
        count, seconds = int(args[0]), float(args[1])
        request_class = message_class(pool, "grpc.testing.StreamingOutputCallRequest")
        parameters_class = message_class(pool, "grpc.testing.ResponseParameters")
        response_class = message_class(pool, "grpc.testing.StreamingOutputCallResponse")
        call = channel.unary_stream("/grpc.testing.TestService/StreamingOutputCall",
                                    request_serializer=lambda m: m.SerializeToString(),
                                    response_deserializer=response_class.FromString)
        request = request_class(response_parameters=[parameters_class(size=8, interval_us=int(seconds * 1e6))])
        codes: dict[str, int] = {}
        lock = threading.Lock()

        def one():
            try:
                responses = list(call(request, timeout=seconds + 60))
                code = "OK" if len(responses) == 1 else f"OK with {len(responses)} responses"
            except grpc.RpcError as error:
                code = error.code().name
            with lock:
                codes[code] = codes.get(code, 0) + 1

        threads = [threading.Thread(target=one) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        out = {"codes": codes}
    elif command == "watch":
        try:
            for response in health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(), timeout=60):
                print(json.dumps({"status": health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)}),
                      flush=True)
            out = {"end": "OK"}
        except grpc.RpcError as error:
            out = {"end": error.code().name}
    elif command == "call":
        method, body = args[0], args[1]
        service, name = method.rsplit("/", 1)
        descriptor = pool.FindServiceByName(service.lstrip("/")).methods_by_name[name]
        request = json_format.Parse(body, GetMessageClass(descriptor.input_type)())
        metadata = [tuple(arg.split("=", 1)) for arg in args[2:]]
        try:
            response = unary(channel, pool, method, request, metadata=metadata)
            out = json_format.MessageToDict(response, preserving_proto_field_name=True)
        except grpc.RpcError as error:
            out = {"error": error.code().name, "message": error.details()}
            if error.trailing_metadata():
                out["trailers"] = dict(error.trailing_metadata())
    elif command == "stream":
        method, body = args[0], args[1]
        service, name = method.rsplit("/", 1)
        descriptor = pool.FindServiceByName(service.lstrip("/")).methods_by_name[name]
        request = json_format.Parse(body, GetMessageClass(descriptor.input_type)())
        call = channel.unary_stream(method, request_serializer=lambda m: m.SerializeToString(),
                                    response_deserializer=GetMessageClass(descriptor.output_type).FromString)
        metadata = [tuple(arg.split("=", 1)) for arg in args[2:]]
        try:
            for response in call(request, timeout=30, metadata=metadata):
                print(json.dumps(json_format.MessageToDict(response, preserving_proto_field_name=True)), flush=True)
            out = {"end": "OK"}
        except grpc.RpcError as error:
            out = {"end": error.code().name, "message": error.details()}
    elif command == "download":
        method, body, target = args[0], args[1], Path(args[2])
        service, name = method.rsplit("/", 1)
        descriptor = pool.FindServiceByName(service.lstrip("/")).methods_by_name[name]
        request = json_format.Parse(body, GetMessageClass(descriptor.input_type)())
        call = channel.unary_stream(method, request_serializer=lambda m: m.SerializeToString(),
                                    response_deserializer=GetMessageClass(descriptor.output_type).FromString)
        metadata = [tuple(arg.split("=", 1)) for arg in args[3:]]
        chunks, first = 0, {}
        try:
            with target.open("wb") as file:
                for response in call(request, timeout=60, metadata=metadata):
                    file.write(response.data)
                    if chunks == 0:
                        first = json_format.MessageToDict(response, preserving_proto_field_name=True)
                        first.pop("data", None)
                    chunks += 1
            out = {"chunks": chunks, "bytes": target.stat().st_size, "first": first}
        except grpc.RpcError as error:
            out = {"error": error.code().name, "message": error.details()}
    elif command == "render":
        out = render(channel, pool, Path(args[0]), Path(args[1]), args[2] if len(args) > 2 else None)
    elif command == "ack-writes":
        prefix, count = args[0], int(args[1])
        request_class = message_class(pool, "clientanalyze.storage.v1.CacheSetRequest")
        for i in range(count):
            key = f"{prefix}{i}"
            try:
                unary(channel, pool, "/clientanalyze.storage.v1.Cache/Set",
                      request_class(key=key, value=str(i).encode(), ttl_ms=3_600_000, source=1), timeout=5)
            except grpc.RpcError as error:
                out = {"error": error.code().name}
                break
            print(json.dumps({"acked": key}), flush=True)
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
