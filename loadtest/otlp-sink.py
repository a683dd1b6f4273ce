#!/usr/bin/env python3
"""An OTLP/HTTP sink for bench.sh --observability on: answers every POST with 200 and, at exit
(SIGTERM), prints how many export requests and bytes it took. It decodes nothing; the decoding
receiver that checks spans is in crates/server/tests/api/telemetry.rs."""
import http.server
import signal
import sys

requests = 0
received = 0


class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global requests, received
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        requests += 1
        received += len(body)
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def report(*_):
    print(f"otlp-sink: {requests} export requests, {received} bytes", flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, report)
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink)
server.serve_forever()
