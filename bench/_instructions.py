"""Instructions per request of a WSGI app called in-process, under callgrind (bench/list
--instructions; not run directly). argv: <module:application> <path> <bearer token> <warm-up>
<requests> <marks library>. Runs the warm-up requests uninstrumented, then the measured ones with
callgrind's counters zeroed before and dumped after (valgrind's client requests, through the small
library `_harness.callgrind_marks` compiles), so Python's start and the app's first requests are
left out. Every response must be a 200."""

import ctypes
import importlib
import io
import sys

app_spec, path, token, warmup, requests, marks = sys.argv[1:7]
module, _, name = app_spec.partition(":")
application = getattr(importlib.import_module(module), name)
marks = ctypes.CDLL(marks)
route, _, query = path.partition("?")


def call():
    environ = {
        "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": route, "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000", "HTTP_AUTHORIZATION": f"Bearer {token}", "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http", "wsgi.version": (1, 0),
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
    }
    statuses = []
    body = application(environ, lambda status, headers, exc_info=None: statuses.append(status))
    try:
        b"".join(body)
    finally:
        if hasattr(body, "close"):
            body.close()
    if not statuses[0].startswith("200"):
        raise SystemExit(f"{app_spec}: {statuses[0]}")


for _ in range(int(warmup)):
    call()
marks.start()
for _ in range(int(requests)):
    call()
marks.stop()
