"""A grpc.testing.TestService server in Python grpcio, the reference implementation, for running this
project's interop-client against it (test_grpc_interop_client.py).

Run as: python python_test_server.py --stubs DIR
It binds 127.0.0.1 on a free port, prints `python-test-server listening on 127.0.0.1:<port>` and serves until
killed. DIR holds the stubs made by grpc_interop_support.generate_stubs (grafted onto grpcio's `grpc` package,
as in the client processes of test_grpc_interop.py).
"""

import argparse
import sys
import time
from concurrent import futures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stubs", required=True)
    args = parser.parse_args()

    import grpc
    grpc.__path__.append(f"{args.stubs}/grpc")
    from grpc.testing import empty_pb2, messages_pb2, test_pb2_grpc

    def echo_metadata(context):
        metadata = dict(context.invocation_metadata())
        if "x-grpc-test-echo-initial" in metadata:
            context.send_initial_metadata((("x-grpc-test-echo-initial", metadata["x-grpc-test-echo-initial"]),))
        if "x-grpc-test-echo-trailing-bin" in metadata:
            context.set_trailing_metadata((("x-grpc-test-echo-trailing-bin", metadata["x-grpc-test-echo-trailing-bin"]),))

    def payload(size):
        return messages_pb2.Payload(body=b"\0" * size)

    def abort_if_asked(request, context):
        if request.HasField("response_status") and request.response_status.code != 0:
            context.abort(grpc.StatusCode(_code(request.response_status.code)), request.response_status.message)

    def _code(number):
        return next(code for code in grpc.StatusCode if code.value[0] == number).value

    class TestService(test_pb2_grpc.TestServiceServicer):
        def EmptyCall(self, request, context):
            return empty_pb2.Empty()

        def UnaryCall(self, request, context):
            echo_metadata(context)
            abort_if_asked(request, context)
            return messages_pb2.SimpleResponse(payload=payload(request.response_size))

        def StreamingOutputCall(self, request, context):
            for parameters in request.response_parameters:
                if parameters.interval_us:
                    time.sleep(parameters.interval_us / 1e6)
                yield messages_pb2.StreamingOutputCallResponse(payload=payload(parameters.size))

        def StreamingInputCall(self, request_iterator, context):
            total = sum(len(request.payload.body) for request in request_iterator)
            return messages_pb2.StreamingInputCallResponse(aggregated_payload_size=total)

        def FullDuplexCall(self, request_iterator, context):
            echo_metadata(context)
            for request in request_iterator:
                abort_if_asked(request, context)
                for parameters in request.response_parameters:
                    if parameters.interval_us:
                        time.sleep(parameters.interval_us / 1e6)
                    yield messages_pb2.StreamingOutputCallResponse(payload=payload(parameters.size))

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    test_pb2_grpc.add_TestServiceServicer_to_server(TestService(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"python-test-server listening on 127.0.0.1:{port}", flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    sys.exit(main())
