#!/usr/bin/env python3
"""Control-plane benchmark: `windflow serve` throughput, latency, memory and start-up.

Called by bench/server.sh, which ensures wrk, PostgreSQL and the release binary.
For each backend (SQLite in a fresh data directory, PostgreSQL in a fresh database):

  start     first run on an empty store (argon2id hash of the admin password included),
            then --starts restarts on the existing store: spawn → first 200 on /health/ready
  memory    VmRSS of the server process idle after the first start, and idle again after
            the load runs (plus VmHWM, the peak)
  load      logs in, makes an API token, seeds --stacks stacks in org `default`, then runs
            `wrk --latency` on GET /api/v1/orgs/default/stacks (default page of 50) and on
            ?limit=500, with the token in an Authorization header

Every server runs with WINDFLOW_LOCAL_DOCKER=none, so no engine is contacted, and
WINDFLOW_LOG=warn. wrk and the server share the machine's cores.
Writes bench/results/server.json (every sample) and bench/results/server.md (the table).
"""
import argparse
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
PASSWORD = "bench-Password-2026!"
COMPOSE = """services:
  web:
    image: nginx:1.27-alpine
    ports:
      - "8080:80"
    environment:
      STACK: {name}
"""
# The list as measured, the biggest page, and a floor: the cheapest route (no auth, no store),
# which shows what wrk and the HTTP stack alone reach on this machine.
PATHS = (
    "/api/v1/orgs/default/stacks",
    "/api/v1/orgs/default/stacks?limit=500",
    "/health/live",
)
TARGETS = {"rps": 15000.0, "p99_ms": 20.0, "idle_rss_mb": 40.0, "ready_ms": 300.0}


def log(message):
    print("server-bench: " + message, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss(pid):
    """(VmRSS, VmHWM) in MiB from /proc/<pid>/status."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024.0
    return fields["VmRSS"], fields["VmHWM"]


class Server:
    """One `windflow serve` process; `start()` returns spawn → ready in ms."""

    def __init__(self, binary, data_dir, database_url=None):
        self.binary = binary
        self.data_dir = data_dir
        self.database_url = database_url
        self.port = free_port()
        self.proc = None

    def start(self, timeout=30.0):
        env = dict(os.environ)
        env.update(
            WINDFLOW_LISTEN=f"127.0.0.1:{self.port}",
            WINDFLOW_DATA=self.data_dir,
            WINDFLOW_ADMIN_PASSWORD=PASSWORD,
            WINDFLOW_LOG="warn",
            WINDFLOW_LOCAL_DOCKER="none",
        )
        env.pop("DATABASE_URL", None)
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        log_file = open(os.path.join(self.data_dir, "..", f"server-{self.port}.log"), "ab")
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [self.binary, "serve"], env=env, stdin=subprocess.DEVNULL,
            stdout=log_file, stderr=subprocess.STDOUT,
        )
        log_file.close()
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"windflow serve exited with {self.proc.returncode}; "
                                   f"see {self.data_dir}/../server-{self.port}.log")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/health/ready")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return (time.perf_counter() - started) * 1000.0
            except OSError:
                pass
            time.sleep(0.001)
        raise RuntimeError("windflow serve was not ready in time")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Client:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method, path, body=None, headers=None):
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = {"content-type": "application/json"} if payload is not None else {}
        all_headers.update(headers or {})
        self.conn.request(method, path, body=payload, headers=all_headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return response, (json.loads(data) if data else None)


def api_token(port):
    client = Client(port)
    response, session = client.call(
        "POST", "/api/v1/auth/login", {"username": "admin", "password": PASSWORD})
    cookies = [v.split(";", 1)[0] for k, v in response.getheaders() if k.lower() == "set-cookie"]
    headers = {"cookie": "; ".join(cookies), "x-csrf-token": session["csrf_token"]}
    _, created = client.call("POST", "/api/v1/auth/tokens", {"name": "bench"}, headers)
    return created["secret"]


def seed(port, token, count):
    client = Client(port)
    headers = {"authorization": f"Bearer {token}"}
    started = time.perf_counter()
    for i in range(count):
        name = f"bench-{i:04d}"
        client.call("POST", "/api/v1/orgs/default/stacks",
                    {"name": name, "content": COMPOSE.format(name=name)}, headers)
    return time.perf_counter() - started


def to_ms(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def cpu_seconds(pid):
    """User + system CPU time of a process so far, in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(pid, port, token, path, args):
    url = f"http://127.0.0.1:{port}{path}"
    argv = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
            "--latency", "-H", f"Authorization: Bearer {token}", url]
    load_before = os.getloadavg()[0]
    cpu_before = cpu_seconds(pid)
    output = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    cpu = cpu_seconds(pid) - cpu_before
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    percentiles = {p: to_ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", output, re.M)}
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    transfer = re.search(r"Transfer/sec:\s+(\S+)", output)
    result = {
        "path": path, "rps": rps, "p50_ms": percentiles["50"], "p90_ms": percentiles["90"],
        "p99_ms": percentiles["99"], "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(1) if errors else None,
        "transfer_per_sec": transfer.group(1) if transfer else None, "wrk": argv[:-3] + [url],
        "requests": requests, "server_cpu_seconds": cpu,
        "server_cpu_us_per_request": cpu * 1e6 / max(requests, 1),
        "loadavg_1m_before": load_before, "loadavg_1m_after": os.getloadavg()[0],
        "output": output,
    }
    if result["non_2xx"]:
        raise RuntimeError(f"wrk saw {result['non_2xx']} non-2xx responses on {path}")
    return result


def response_size(port, token, path):
    client = Client(port)
    client.conn.request("GET", path, headers={"authorization": f"Bearer {token}"})
    return len(client.conn.getresponse().read())


def psql(admin_url, sql):
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", admin_url, "-c", sql],
                   check=True, stdout=subprocess.DEVNULL)


def database_url(admin_url, name):
    parts = urllib.parse.urlsplit(admin_url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def bench_backend(backend, args, workdir):
    data_dir = os.path.join(workdir, backend, "data")
    os.makedirs(data_dir)
    url = None
    db_name = None
    if backend == "postgres":
        db_name = f"windflow_bench_{os.getpid()}"
        psql(args.postgres, f"DROP DATABASE IF EXISTS {db_name}")
        psql(args.postgres, f"CREATE DATABASE {db_name}")
        url = database_url(args.postgres, db_name)
    result = {"backend": backend}
    server = Server(args.bin, data_dir, url)
    try:
        result["first_start_ms"] = server.start()
        log(f"{backend}: first start (argon2id hash included) {result['first_start_ms']:.0f} ms")
        time.sleep(args.settle)
        result["idle_rss_mb_start"], _ = rss(server.proc.pid)
        log(f"{backend}: idle RSS after start {result['idle_rss_mb_start']:.1f} MiB")

        token = api_token(server.port)
        result["seed_seconds"] = seed(server.port, token, args.stacks)
        result["stacks"] = args.stacks
        log(f"{backend}: seeded {args.stacks} stacks in {result['seed_seconds']:.1f} s")
        result["load"] = []
        for path in PATHS:
            run_wrk(server.proc.pid, server.port, token, path, argparse.Namespace(
                threads=args.threads, connections=args.connections, duration=2))  # warm-up
            run = run_wrk(server.proc.pid, server.port, token, path, args)
            run["response_bytes"] = response_size(server.port, token, path)
            log(f"{backend}: {path}: {run['rps']:.0f} req/s, p50 {run['p50_ms']:.2f} ms, "
                f"p99 {run['p99_ms']:.2f} ms ({run['response_bytes']} B per response); server CPU "
                f"{run['server_cpu_us_per_request']:.0f} µs per request; load average "
                f"{run['loadavg_1m_before']:.1f} before")
            result["load"].append(run)
        # Idle means at rest: long enough for the server's periodic upkeep (every 30 s it
        # hands freed heap back to the system) to have run once.
        time.sleep(args.rest_after_load)
        result["idle_rss_mb_after_load"], result["peak_rss_mb"] = rss(server.proc.pid)
        log(f"{backend}: idle RSS after load {result['idle_rss_mb_after_load']:.1f} MiB "
            f"(peak {result['peak_rss_mb']:.1f} MiB)")
        server.stop()

        starts = []
        for _ in range(args.starts):
            server = Server(args.bin, data_dir, url)
            starts.append(server.start())
            server.stop()
        result["start_ms_samples"] = starts
        result["start_ms_median"] = statistics.median(starts)
        log(f"{backend}: start to ready, median of {len(starts)}: "
            f"{result['start_ms_median']:.0f} ms (min {min(starts):.0f}, max {max(starts):.0f})")
    finally:
        server.stop()
        if db_name:
            psql(args.postgres, f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
    return result


def verdict(ok):
    return "yes" if ok else "**no**"


def table(results):
    lines = [
        "| Backend | Measure | Result | Target | Met |",
        "|---|---|---:|---|---|",
    ]
    for r in results:
        b = r["backend"]
        page, big, floor = r["load"]
        lines += [
            f"| {b} | GET stacks (page of 50, {r['stacks']} stacks): requests/s | "
            f"{page['rps']:,.0f} | ≥ 15,000 | {verdict(page['rps'] >= TARGETS['rps'])} |",
            f"| {b} | GET stacks (page of 50): p50 / p99 latency | "
            f"{page['p50_ms']:.2f} / {page['p99_ms']:.2f} ms | p99 < 20 ms | "
            f"{verdict(page['p99_ms'] < TARGETS['p99_ms'])} |",
            f"| {b} | GET stacks?limit=500: requests/s, p50 / p99 | "
            f"{big['rps']:,.0f}, {big['p50_ms']:.2f} / {big['p99_ms']:.2f} ms | — | — |",
            f"| {b} | server CPU per request: page of 50 / 500 / floor | "
            f"{page['server_cpu_us_per_request']:.0f} / {big['server_cpu_us_per_request']:.0f} / "
            f"{floor['server_cpu_us_per_request']:.0f} µs | — | — |",
            f"| {b} | floor: GET /health/live requests/s, p99 | "
            f"{floor['rps']:,.0f}, {floor['p99_ms']:.2f} ms | — | — |",
            f"| {b} | idle RSS after start / after load (peak) | "
            f"{r['idle_rss_mb_start']:.1f} / {r['idle_rss_mb_after_load']:.1f} MiB "
            f"({r['peak_rss_mb']:.1f}) | < 40 MB | "
            f"{verdict(max(r['idle_rss_mb_start'], r['idle_rss_mb_after_load']) < TARGETS['idle_rss_mb'])} |",
            f"| {b} | start to ready, existing store (median of {len(r['start_ms_samples'])}) | "
            f"{r['start_ms_median']:.0f} ms | < 300 ms | "
            f"{verdict(r['start_ms_median'] < TARGETS['ready_ms'])} |",
            f"| {b} | start to ready, first run (argon2id included) | "
            f"{r['first_start_ms']:.0f} ms | — | — |",
        ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=os.environ.get("WINDFLOW_BIN"), required=False)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--postgres", default=os.environ.get("WINDFLOW_BENCH_POSTGRES_URL"),
                        help="admin-capable URL (bench/server.sh passes scripts/ensure-postgres.sh's)")
    parser.add_argument("--stacks", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--settle", type=float, default=3.0, help="idle seconds before RSS")
    parser.add_argument("--rest-after-load", type=float, default=35.0,
                        help="seconds at rest after the load runs before measuring RSS")
    parser.add_argument("--quick", action="store_true", help="5 s wrk runs, 3 restarts")
    parser.add_argument("--out", default="server")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.starts = 5, 3
    if not args.bin:
        parser.error("--bin or $WINDFLOW_BIN is required")
    backends = [b for b in args.backends.split(",") if b]
    if "postgres" in backends and not args.postgres:
        parser.error("postgres needs --postgres or $WINDFLOW_BENCH_POSTGRES_URL")

    workdir = tempfile.mkdtemp(prefix="windflow-server-bench-")
    try:
        results = [bench_backend(b, args, workdir) for b in backends]
    except Exception:
        log(f"failed; server logs kept in {workdir}")
        raise
    shutil.rmtree(workdir, ignore_errors=True)

    load = os.getloadavg()
    machine = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(), "kernel": platform.release(),
        "wrk": f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency",
        "loadavg_after": load,
    }
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, args.out + ".json"), "w") as out:
        json.dump({"machine": machine, "results": results}, out, indent=2)
    text = (f"# windflow serve benchmark ({machine['date']})\n\n"
            f"{machine['cpus']} CPUs shared by wrk and the server; {machine['wrk']}; "
            f"load average after: {load[0]:.2f}\n\n{table(results)}\n")
    with open(os.path.join(RESULTS, args.out + ".md"), "w") as out:
        out.write(text)
    print(text)


if __name__ == "__main__":
    main()
