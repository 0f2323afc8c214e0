"""A loopback HTTP endpoint for the workflow tests: records every request (method, path, headers,
body) and answers from a queue of replies (status, JSON body, delay), 200 {"ok": true} by default."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: object = field(default_factory=lambda: {"ok": True})
    delay: float = 0.0
    raw: bytes | None = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a request left hanging (a killed worker's) does not hold up the test's end


class Endpoint:
    def __init__(self):
        self.requests: list[dict] = []
        self.replies: list[Reply] = []
        self.lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with endpoint.lock:
                    endpoint.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body})
                    reply = endpoint.replies.pop(0) if endpoint.replies else Reply()
                time.sleep(reply.delay)
                data = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

            def log_message(self, *args):
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
