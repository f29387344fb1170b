#!/usr/bin/env python3
"""Remote targets and agents: what idle agents cost the control plane, and what a deploy
through SSH or through an agent costs over the same deploy on the local socket.

Called by bench/agents.sh and bench/targets.sh, which build the binaries and ensure Docker,
the test image and sshd.

  agents    a release `windflow serve` (SQLite, TLS listener with a certificate from a CA
            made here with the openssl CLI, default agent heartbeat of 10 s, no Docker) and
            simulated agents (crates/agent/examples/simulate.rs, a separate process: real
            enrollment, real WebSocket + TLS links, the real agent link code over a stub
            executor). The server's CPU (utime + stime from /proc/<pid>/stat over a window of
            --window seconds) and VmRSS with 0, then 100, then 500 agents connected.
  targets   a release `windflow serve` with three targets on the same local engine: `local`
            (the Unix socket), `ssh` (Debian's sshd on a loopback port, run here, fronting the
            engine's socket) and `agent` (a real `windflow agent` process on this host, over
            wss). The same 10-service stack (bench/gen-stack.py) deployed onto each, runs
            alternating between the kinds: `recreate` (the stack's environment changes, so all
            10 containers are replaced) and `cold` (after a remove deployment, not timed).

Writes bench/results/agents.{md,json} or bench/results/targets.{md,json}.
"""
import argparse
import base64
import datetime
import hashlib
import http.client
import importlib.util
import json
import os
import platform
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results")
PASSWORD = "bench-Password-2026!"
TARGETS = {"cpu_per_100": 1.0, "rss_500_mb": 100.0, "overhead": 0.10}
KINDS = ("local", "ssh", "agent")


def log(message):
    print("remote-bench: " + message, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(argv, **kwargs):
    return subprocess.run(argv, check=True, stdin=subprocess.DEVNULL, **kwargs)


def certificates(directory):
    """A CA (ca.pem) and a server certificate for 127.0.0.1 (cert.pem, key.pem)."""
    p = lambda name: os.path.join(directory, name)  # noqa: E731
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run(["openssl", "req", "-x509", *ec, "-keyout", p("ca.key"), "-out", p("ca.pem"),
         "-days", "30", "-subj", "/CN=windflow bench CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"], **quiet)
    run(["openssl", "req", *ec, "-keyout", p("key.pem"), "-out", p("server.csr"),
         "-subj", "/CN=windflow bench"], **quiet)
    with open(p("server.ext"), "w") as ext:
        ext.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                  "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n")
    run(["openssl", "x509", "-req", "-in", p("server.csr"), "-CA", p("ca.pem"),
         "-CAkey", p("ca.key"), "-CAcreateserial", "-out", p("cert.pem"), "-days", "30",
         "-extfile", p("server.ext")], **quiet)


def cpu_seconds(pid):
    """User + system CPU time of a process so far, in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"no VmRSS for {pid}")


def threads(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0


class Server:
    """A release `windflow serve`: plain HTTP on one loopback port, HTTPS on another."""

    def __init__(self, binary, directory, local_docker):
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.tls_port = free_port()
        self.local_docker = local_docker
        self.proc = None
        self.log_path = os.path.join(directory, "server.log")

    def start(self):
        data = os.path.join(self.directory, "data")
        os.makedirs(data, exist_ok=True)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("WINDFLOW_") and k != "DATABASE_URL"}
        env.update(
            WINDFLOW_LISTEN=f"127.0.0.1:{self.port}",
            WINDFLOW_DATA=data,
            WINDFLOW_ADMIN_PASSWORD=PASSWORD,
            WINDFLOW_LOG="warn",
            WINDFLOW_TLS_CERT=os.path.join(self.directory, "cert.pem"),
            WINDFLOW_TLS_KEY=os.path.join(self.directory, "key.pem"),
            WINDFLOW_TLS_LISTEN=f"127.0.0.1:{self.tls_port}",
        )
        if not self.local_docker:
            env["WINDFLOW_LOCAL_DOCKER"] = "none"
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen([self.binary, "serve"], env=env, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"windflow serve exited with {self.proc.returncode}; "
                                   f"see {self.log_path}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/health/ready")
                ok = conn.getresponse().status == 200
                conn.close()
                if ok:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("windflow serve was not ready within 60 s")

    def https_url(self):
        return f"https://127.0.0.1:{self.tls_port}"

    def stop(self):
        stop_process(self.proc, 20)
        self.proc = None


def stop_process(proc, timeout=10):
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Api:
    """JSON API client on the plain HTTP listener, with an admin's API token."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {}

    def call(self, method, path, body=None, headers=None, ok=(200, 201, 202, 204)):
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = dict(self.headers)
        if payload is not None:
            all_headers["content-type"] = "application/json"
        all_headers.update(headers or {})
        for attempt in range(2):
            try:
                self.conn.request(method, "/api/v1" + path, body=payload, headers=all_headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                if attempt:
                    raise
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        if response.status not in ok:
            raise RuntimeError(f"{method} {path}: HTTP {response.status}: {data[:500]!r}")
        return response, (json.loads(data) if data else None)

    def login(self):
        response, session = self.call(
            "POST", "/auth/login", {"username": "admin", "password": PASSWORD})
        cookies = [v.split(";", 1)[0] for k, v in response.getheaders()
                   if k.lower() == "set-cookie"]
        headers = {"cookie": "; ".join(cookies), "x-csrf-token": session["csrf_token"]}
        _, created = self.call("POST", "/auth/tokens", {"name": "bench"}, headers)
        self.token = created["secret"]
        self.headers = {"authorization": f"Bearer {self.token}"}
        return self.token


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def wait_until(what, timeout, check, every=1.0):
    deadline = time.time() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.time() > deadline:
            raise RuntimeError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


# ---------------------------------------------------------------------------------------
# agents


def connected_agents(api):
    _, agents = api.call("GET", "/orgs/default/agents")
    return sum(1 for a in agents if a.get("connected"))


def measure_window(pid, seconds, others=()):
    """CPU % of one core and RSS samples of `pid` over `seconds` (plus CPU of `others`)."""
    load_before = loadavg()
    started = time.monotonic()
    cpu_before = cpu_seconds(pid)
    others_before = [cpu_seconds(o) for o in others]
    samples = []
    while time.monotonic() - started < seconds:
        samples.append(round(rss_mib(pid), 1))
        time.sleep(min(5.0, max(0.0, seconds - (time.monotonic() - started))))
    wall = time.monotonic() - started
    cpu = cpu_seconds(pid) - cpu_before
    others_cpu = sum(cpu_seconds(o) - b for o, b in zip(others, others_before))
    return {
        "window_s": round(wall, 1),
        "cpu_s": round(cpu, 3),
        "cpu_pct": round(100.0 * cpu / wall, 3),
        "rss_mib_samples": samples,
        "rss_mib": round(rss_mib(pid), 1),
        "rss_mib_max": max(samples),
        "threads": threads(pid),
        "simulator_cpu_pct": round(100.0 * others_cpu / wall, 2) if others else None,
        "loadavg_before": load_before,
        "loadavg_after": loadavg(),
    }


def start_simulator(args, server, token, count, first, directory):
    log_path = os.path.join(directory, f"simulate-{first}.log")
    env = dict(os.environ, WINDFLOW_SIMULATE_API_TOKEN=token)
    with open(log_path, "ab") as err:
        proc = subprocess.Popen(
            [args.simulator, "--server", server.https_url(),
             "--ca-cert", os.path.join(directory, "ca.pem"),
             "--agents", str(count), "--first", str(first), "--prefix", "sim"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("ready"):
        proc.wait()
        raise RuntimeError(f"the simulator exited ({proc.returncode}); see {log_path}")
    return proc


def bench_agents(args, directory):
    certificates(directory)
    server = Server(args.windflow, directory, local_docker=False)
    server.start()
    sims = []
    phases = []
    try:
        api = Api(server.port)
        token = api.login()
        pid = server.proc.pid
        log(f"server pid {pid}; settling {args.settle} s with no agents")
        time.sleep(args.settle)
        log(f"measuring 0 agents for {args.window} s (load {loadavg()})")
        phases.append(dict(agents=0, **measure_window(pid, args.window)))
        log(f"  cpu {phases[-1]['cpu_pct']} %, rss {phases[-1]['rss_mib']} MiB")
        total = 0
        for count in args.steps:
            add = count - total
            started = time.monotonic()
            log(f"starting {add} simulated agents ({count} in all)")
            sims.append(start_simulator(args, server, token, add, total, directory))
            total = count
            wait_until(f"{count} connected agents", 300,
                       lambda: connected_agents(api) >= count, every=2.0)
            connect_s = time.monotonic() - started
            log(f"{count} agents connected ({connect_s:.1f} s after the simulator started, "
                f"enrollment included); settling {args.settle} s")
            time.sleep(args.settle)
            log(f"measuring {count} agents for {args.window} s (load {loadavg()})")
            phase = dict(agents=count, enroll_and_connect_s=round(connect_s, 1),
                         **measure_window(pid, args.window, [s.pid for s in sims]))
            phase["connected_after"] = connected_agents(api)
            phases.append(phase)
            log(f"  cpu {phase['cpu_pct']} %, rss {phase['rss_mib']} MiB, "
                f"simulator cpu {phase['simulator_cpu_pct']} %, "
                f"still connected {phase['connected_after']}")
    finally:
        for sim in sims:
            stop_process(sim)
        server.stop()
    return phases


def report_agents(args, phases):
    by = {p["agents"]: p for p in phases}
    base = by[0]
    rows = []
    per_100 = {}
    for count, phase in sorted(by.items()):
        if count:
            per_100[count] = (phase["cpu_pct"] - base["cpu_pct"]) * 100.0 / count
    top = max(by)
    worst = max(per_100.values()) if per_100 else None
    lines = [
        "# Idle agents: the control plane's CPU and memory",
        "",
        f"{datetime.datetime.now().isoformat(timespec='seconds')}, {platform.node()}, "
        f"{os.cpu_count()} cores; agent heartbeat 10 s (the default); "
        f"{args.window} s windows after {args.settle} s settling",
        "",
        "| Agents connected | server CPU, % of one core | RSS, MiB (max in window) | threads | "
        "simulator CPU, % | load average (1/5/15 min) before |",
        "|---:|---:|---:|---:|---:|---|",
    ]
    for count, phase in sorted(by.items()):
        lines.append(
            f"| {count} | {phase['cpu_pct']:.2f} | {phase['rss_mib']:.1f} "
            f"({phase['rss_mib_max']:.1f}) | {phase['threads']} | "
            f"{phase['simulator_cpu_pct'] if phase['simulator_cpu_pct'] is not None else '—'} | "
            f"{phase['loadavg_before']} |")
    lines += ["", "| Measure | Result | Target | Met |", "|---|---:|---|---|"]
    for count, value in sorted(per_100.items()):
        lines.append(f"| CPU per 100 idle agents, at {count} (over the 0-agent baseline) | "
                     f"{value:.3f} % of a core | < {TARGETS['cpu_per_100']} % | "
                     f"{'yes' if value < TARGETS['cpu_per_100'] else 'NO'} |")
    lines.append(f"| RSS at {top} agents | {by[top]['rss_mib']:.1f} MiB | "
                 f"< {TARGETS['rss_500_mb']:.0f} MB | "
                 f"{'yes' if by[top]['rss_mib'] * 1.048576 < TARGETS['rss_500_mb'] else 'NO'} |")
    lines.append(f"| RSS with no agents | {base['rss_mib']:.1f} MiB | — | — |")
    rows = "\n".join(lines) + "\n"
    result = {"kind": "agents", "phases": phases, "cpu_per_100_agents_pct": per_100,
              "worst_cpu_per_100_pct": worst, "window_s": args.window, "settle_s": args.settle}
    return rows, result


# ---------------------------------------------------------------------------------------
# targets


class Sshd:
    """Debian's sshd on a loopback port with fresh keys, letting this user forward the
    engine's socket (the same configuration as crates/testkit/src/sshd.rs)."""

    def __init__(self, directory):
        self.dir = os.path.join(directory, "sshd")
        os.makedirs(self.dir, exist_ok=True)
        os.makedirs("/run/sshd", exist_ok=True)
        self.port = free_port()
        self.user = subprocess.run(["id", "-un"], check=True, capture_output=True,
                                   text=True).stdout.strip()
        host_key = os.path.join(self.dir, "host_ed25519")
        self.client_key = os.path.join(self.dir, "client_ed25519")
        for key in (host_key, self.client_key):
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "windflow-bench", "-f", key])
        shutil.copy(self.client_key + ".pub", os.path.join(self.dir, "authorized_keys"))
        config = os.path.join(self.dir, "sshd_config")
        with open(config, "w") as f:
            f.write(f"""ListenAddress 127.0.0.1
Port {self.port}
HostKey {host_key}
PidFile {self.dir}/sshd.pid
AuthorizedKeysFile {self.dir}/authorized_keys
AllowUsers {self.user}
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AllowStreamLocalForwarding yes
AllowTcpForwarding local
X11Forwarding no
PermitTTY no
StrictModes no
UsePAM no
MaxStartups 100
MaxSessions 100
LogLevel ERROR
""")
        with open(host_key + ".pub") as f:
            blob = f.read().split()[1]
        digest = hashlib.sha256(base64.b64decode(blob)).digest()
        self.fingerprint = "SHA256:" + base64.b64encode(digest).decode().rstrip("=")
        self.proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", config],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        wait_until("sshd to listen", 10, self.listening, every=0.05)

    def listening(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def url(self):
        return f"ssh://{self.user}@127.0.0.1:{self.port}"

    def stop(self):
        stop_process(self.proc)


def stack_content(services, run_number):
    """bench/gen-stack.py's flat stack, with BENCH_RUN in every service's environment (a
    new number changes every service's definition, so every container is replaced)."""
    spec = importlib.util.spec_from_file_location("gen_stack", os.path.join(HERE, "gen-stack.py"))
    gen_stack = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen_stack)
    return gen_stack.flat(services).replace(
        "      SERVICE_INDEX:", f"      BENCH_RUN: \"{run_number}\"\n      SERVICE_INDEX:")


def remove_project_containers(project):
    ids = subprocess.run(["docker", "ps", "-aq", "--filter",
                          f"label=com.docker.compose.project={project}"],
                         capture_output=True, text=True).stdout.split()
    if ids:
        subprocess.run(["docker", "rm", "-f", *ids], capture_output=True)
    subprocess.run(["docker", "network", "rm", f"{project}_default"], capture_output=True)


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def deploy(api, stack, target, kind=None, timeout=300):
    """POST a deployment and poll it to its end: (record, wall ms POST → terminal seen)."""
    body = {"stack": stack, "target": target}
    if kind:
        body["kind"] = kind
    started = time.perf_counter()
    _, created = api.call("POST", "/orgs/default/deployments", body)
    deadline = time.time() + timeout
    while True:
        _, record = api.call("GET", f"/orgs/default/deployments/{created['id']}")
        if record["state"] not in ("queued", "running"):
            wall = (time.perf_counter() - started) * 1000.0
            break
        if time.time() > deadline:
            raise RuntimeError(f"deployment {created['id']} of {stack} onto {target} "
                               f"still {record['state']} after {timeout} s")
        time.sleep(0.02)
    if record["state"] != "succeeded":
        raise RuntimeError(f"deployment of {stack} onto {target} ended {record['state']}: "
                           f"{record.get('error')}")
    server_ms = (parse_time(record["finished_at"]) - parse_time(record["started_at"])) * 1000.0
    return record, round(wall, 1), round(server_ms, 1)


def bench_targets(args, directory):
    certificates(directory)
    sshd = Sshd(directory)
    server = Server(args.windflow, directory, local_docker=True)
    server.start()
    agent = None
    stacks = {kind: f"wfbench-{kind}" for kind in KINDS}
    for project in stacks.values():
        remove_project_containers(project)
    samples = {scenario: {kind: [] for kind in KINDS} for scenario in args.scenarios}
    try:
        api = Api(server.port)
        api.login()
        with open(sshd.client_key) as f:
            private_key = f.read()
        api.call("POST", "/orgs/default/targets",
                 {"name": "ssh", "kind": "ssh", "endpoint": sshd.url(),
                  "ssh": {"private_key": private_key}})
        _, trusted = api.call("POST", "/orgs/default/targets/ssh/trust",
                              {"fingerprint": sshd.fingerprint})
        if not trusted.get("ok"):
            raise RuntimeError(f"the ssh target does not answer: {trusted}")
        _, enrollment = api.call("POST", "/orgs/default/agents/enrollments", {"target": "agent"})
        agent_log = open(os.path.join(directory, "agent.log"), "ab")
        agent_env = {k: v for k, v in os.environ.items() if not k.startswith("WINDFLOW_")}
        agent = subprocess.Popen(
            [args.windflow, "agent", "--server", server.https_url(),
             "--ca-cert", os.path.join(directory, "ca.pem"),
             "--state-dir", os.path.join(directory, "agent-state"),
             "--token", enrollment["token"]],
            env=agent_env, stdin=subprocess.DEVNULL, stdout=agent_log, stderr=agent_log)
        agent_log.close()
        wait_until("the agent to connect", 60, lambda: connected_agents(api) == 1, every=0.2)
        wait_until("the agent target to be up", 60, lambda: api.call(
            "GET", "/orgs/default/targets/agent")[1]["status"] == "up", every=0.2)
        for stack in stacks.values():
            api.call("POST", "/orgs/default/stacks",
                     {"name": stack, "content": stack_content(args.services, 0)})
        log(f"warm-up: a cold deploy of {args.services} services onto each target")
        for kind in KINDS:
            _, wall, server_ms = deploy(api, stacks[kind], kind)
            log(f"  {kind}: {server_ms:.0f} ms")
        run_number = 0
        for round_index in range(args.runs):
            # Rotate the order each round, so no kind always goes first.
            order = KINDS[round_index % 3:] + KINDS[:round_index % 3]
            for scenario in args.scenarios:
                for kind in order:
                    stack = stacks[kind]
                    if scenario == "recreate":
                        run_number += 1
                        api.call("PUT", f"/orgs/default/stacks/{stack}",
                                 {"content": stack_content(args.services, run_number)})
                    else:
                        deploy(api, stack, kind, kind="remove")
                    time.sleep(args.pause)
                    load = loadavg()
                    record, wall, server_ms = deploy(api, stack, kind)
                    plan = record.get("plan") or []
                    samples[scenario][kind].append(
                        {"server_ms": server_ms, "wall_ms": wall, "plan_steps": len(plan),
                         "loadavg": load, "id": record["id"]})
                    log(f"round {round_index + 1} {scenario:8} {kind:5}: {server_ms:7.0f} ms "
                        f"(wall {wall:.0f} ms, {len(plan)} plan lines, load {load})")
        for kind in KINDS:
            deploy(api, stacks[kind], kind, kind="remove")
    finally:
        stop_process(agent)
        server.stop()
        sshd.stop()
        for project in stacks.values():
            remove_project_containers(project)
    return samples


def report_targets(args, samples):
    lines = [
        "# Deploys through SSH and an agent vs the local socket",
        "",
        f"{datetime.datetime.now().isoformat(timespec='seconds')}, {platform.node()}, "
        f"{os.cpu_count()} cores; {args.services} services; {args.runs} runs per kind and "
        f"scenario, alternating; load average at the start {samples.get('_load', '')}",
        "",
        "| Scenario | Target | server-side ms (median / min / max) | wall ms POST → terminal "
        "(median) | ÷ local (server-side) | Target | Met |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    summary = {}
    for scenario in args.scenarios:
        local = statistics.median(s["server_ms"] for s in samples[scenario]["local"])
        for kind in KINDS:
            values = [s["server_ms"] for s in samples[scenario][kind]]
            walls = [s["wall_ms"] for s in samples[scenario][kind]]
            median = statistics.median(values)
            ratio = median / local
            summary[f"{scenario}/{kind}"] = {"median_ms": median, "ratio": round(ratio, 3),
                                             "wall_median_ms": statistics.median(walls)}
            met = "—" if kind == "local" else ("yes" if ratio < 1 + TARGETS["overhead"] else "NO")
            target = "—" if kind == "local" else "< 1.10×"
            lines.append(f"| {scenario} | {kind} | {median:.0f} / {min(values):.0f} / "
                         f"{max(values):.0f} | {statistics.median(walls):.0f} | {ratio:.2f}× | "
                         f"{target} | {met} |")
    lines += ["", "Samples (server-side ms, in run order):", ""]
    for scenario in args.scenarios:
        for kind in KINDS:
            lines.append(f"- {scenario} {kind}: " + ", ".join(
                f"{s['server_ms']:.0f}" for s in samples[scenario][kind]))
    return "\n".join(lines) + "\n", {"kind": "targets", "samples": samples,
                                     "summary": summary}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    agents = sub.add_parser("agents")
    agents.add_argument("--steps", type=lambda s: [int(x) for x in s.split(",")],
                        default=[100, 500], help="agent counts to measure at (ascending)")
    agents.add_argument("--window", type=int, default=60, help="measuring window, s")
    agents.add_argument("--settle", type=int, default=20, help="settling time, s")
    targets = sub.add_parser("targets")
    targets.add_argument("--runs", type=int, default=5)
    targets.add_argument("--services", type=int, default=10)
    targets.add_argument("--pause", type=float, default=1.0,
                         help="seconds between the untimed preparation and a timed deploy")
    targets.add_argument("--scenarios", type=lambda s: s.split(","),
                         default=["recreate", "cold"])
    parser.add_argument("--output", help="results file name without extension")
    args = parser.parse_args()
    args.windflow = os.environ["WINDFLOW_BIN"]
    args.simulator = os.environ.get("WINDFLOW_SIMULATOR", "")
    os.makedirs(RESULTS, exist_ok=True)
    directory = tempfile.mkdtemp(prefix=f"windflow-bench-{args.command}-")
    log(f"scratch directory {directory}; load average {loadavg()}")
    started_load = loadavg()
    if args.command == "agents":
        phases = bench_agents(args, directory)
        text, result = report_agents(args, phases)
    else:
        samples = bench_targets(args, directory)
        samples["_load"] = started_load
        text, result = report_targets(args, samples)
    result.update(loadavg_start=started_load, loadavg_end=loadavg(),
                  date=datetime.datetime.now().isoformat(timespec="seconds"))
    name = args.output or args.command
    with open(os.path.join(RESULTS, name + ".md"), "w") as f:
        f.write(text)
    with open(os.path.join(RESULTS, name + ".json"), "w") as f:
        json.dump(result, f, indent=2)
    print(text)
    shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
