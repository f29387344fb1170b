#!/usr/bin/env python3
"""Side-by-side deploy benchmark: windflow vs docker-compose vs the Engine-API floor.

Called by bench/deploy.sh, which ensures the engine, the test image and the binaries.
Runs alternate between tools (windflow, docker-compose, floor, windflow, ...) so that drift
in machine load hits every tool alike. Each cold run starts from nothing; teardown between
runs is untimed. Timing is time.perf_counter() around the subprocess.

Scenarios:
  cold N       `up` of N flat services from nothing (windflow, docker-compose, engine-floor)
  unchanged N  the same `up` again on the running stack (windflow, docker-compose)
  chain        3-level depends_on chain gated by healthchecks: whole `up`, and the gating
               latency (engine-reported healthy → dependent started), summed over the edges
"""
import argparse
import datetime
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep bench/ free of __pycache__

_spec = importlib.util.spec_from_file_location("gen_stack", os.path.join(HERE, "gen-stack.py"))
gen_stack = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_stack)

TOOLS = ["windflow", "compose", "floor"]
TOOL_TITLES = {"windflow": "windflow", "compose": "docker-compose", "floor": "engine floor"}
PROJECT_PREFIX = {"windflow": "wfbench-wf", "compose": "wfbench-dc", "floor": "wfbench-fl"}
LABEL = "com.docker.compose.project"


def log(message):
    print("bench: " + message, file=sys.stderr, flush=True)


def run(argv, timeout, check=False, env=None):
    """Runs argv with no stdin; returns (seconds, returncode, combined output)."""
    started = time.perf_counter()
    try:
        completed = subprocess.run(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            text=True,
        )
        elapsed = time.perf_counter() - started
        code, output = completed.returncode, completed.stdout
    except subprocess.TimeoutExpired as expired:
        elapsed = time.perf_counter() - started
        code = 124
        output = (expired.stdout or b"").decode(errors="replace") if isinstance(
            expired.stdout, bytes) else (expired.stdout or "")
        output += "\n(timed out after %ss)" % timeout
    except FileNotFoundError as missing:
        return 0.0, 127, str(missing)
    if check and code != 0:
        raise RuntimeError("%s failed (%d):\n%s" % (" ".join(argv), code, output[-2000:]))
    return elapsed, code, output


def docker_lines(argv):
    _, code, output = run(["docker"] + argv, timeout=120)
    return output.split() if code == 0 else []


def purge_project(project):
    """Untimed safety net: removes anything still labelled with the project."""
    flt = "label=%s=%s" % (LABEL, project)
    containers = docker_lines(["ps", "-aq", "--filter", flt])
    if containers:
        run(["docker", "rm", "-fv"] + containers, timeout=300)
    networks = docker_lines(["network", "ls", "-q", "--filter", flt])
    networks += docker_lines(["network", "ls", "-q", "--filter", "name=^%s_default$" % project])
    for network in sorted(set(networks)):
        run(["docker", "network", "rm", network], timeout=120)
    volumes = docker_lines(["volume", "ls", "-q", "--filter", flt])
    if volumes:
        run(["docker", "volume", "rm", "-f"] + volumes, timeout=120)


class Runner:
    def __init__(self, args):
        self.args = args
        self.samples = {}  # (scenario, tool) -> [seconds]
        self.failures = []  # (scenario, tool, message)

    def record(self, scenario, tool, seconds):
        self.samples.setdefault((scenario, tool), []).append(seconds)

    def fail(self, scenario, tool, output):
        lines = output.strip().splitlines()
        if len(lines) > 24:  # the cause is usually at the top, the last step at the bottom
            lines = lines[:12] + ["..."] + lines[-12:]
        tail = "\n".join(lines)
        log("%s / %s FAILED:\n%s" % (scenario, TOOL_TITLES[tool], tail))
        self.failures.append((scenario, tool, tail))

    # --- the three tools -------------------------------------------------------------

    def up(self, tool, compose_file, project, count):
        a = self.args
        if tool == "windflow":
            argv = [a.windflow, "-f", compose_file, "-p", project, "up"]
        elif tool == "compose":
            argv = [a.compose, "-f", compose_file, "-p", project, "up", "-d"]
        else:
            argv = [a.floor, str(count), a.image, "--project", project]
        return run(argv, timeout=a.timeout, env=compose_env(count) if tool == "compose" else None)

    def down(self, tool, compose_file, project):
        a = self.args
        if tool == "windflow":
            run([a.windflow, "-p", project, "down", "-v"], timeout=a.timeout)
        elif tool == "compose":
            run([a.compose, "-f", compose_file, "-p", project, "down", "-v", "--remove-orphans"],
                timeout=a.timeout, env=compose_env(1000))
        purge_project(project)
        if self.args.settle > 0:
            time.sleep(self.args.settle)

    # --- scenarios ---------------------------------------------------------------------

    def flat(self, count, runs):
        compose_file = gen_stack_file(self.args.workdir, "flat-%d" % count,
                                      gen_stack.flat(count))
        tools = [t for t in TOOLS if t in self.args.only]
        for index in range(runs):
            for tool in tools:
                # A fresh name per run: a run that fails half-way cannot poison the next.
                project = "%s-%d-r%d" % (PROJECT_PREFIX[tool], count, index + 1)
                self.down(tool, compose_file, project)
                seconds, code, output = self.up(tool, compose_file, project, count)
                cold = "cold %d" % count
                if code == 0 and tool == "floor":
                    # engine-floor times itself: its process also removes what it created,
                    # and that cleanup must not count.
                    try:
                        seconds = json.loads(output.strip().splitlines()[-1])["ms"] / 1000.0
                    except (ValueError, KeyError, IndexError):
                        code, output = 1, "unreadable engine-floor output:\n" + output
                if code != 0:
                    self.fail(cold, tool, output)
                    self.down(tool, compose_file, project)
                    continue
                self.record(cold, tool, seconds)
                note = "cold %.0f ms" % (seconds * 1000)
                if tool != "floor":
                    unchanged = "unchanged %d" % count
                    seconds, code, output = self.up(tool, compose_file, project, count)
                    if code != 0:
                        self.fail(unchanged, tool, output)
                    else:
                        self.record(unchanged, tool, seconds)
                        note += ", unchanged %.0f ms" % (seconds * 1000)
                log("%d services, run %d/%d, %s: %s" % (count, index + 1, runs,
                                                         TOOL_TITLES[tool], note))
                self.down(tool, compose_file, project)

    def chain(self, runs):
        compose_file = gen_stack_file(self.args.workdir, "chain", gen_stack.chain())
        tools = [t for t in ["windflow", "compose"] if t in self.args.only]
        for index in range(runs):
            for tool in tools:
                project = "%s-chain-r%d" % (PROJECT_PREFIX[tool], index + 1)
                self.down(tool, compose_file, project)
                seconds, code, output = self.up(tool, compose_file, project, 3)
                if code != 0:
                    self.fail("chain", tool, output)
                else:
                    self.record("chain", tool, seconds)
                    gating = chain_gating_ms(project)
                    if gating is not None:
                        self.record("chain-gating", tool, gating / 1000.0)
                    log("chain, run %d/%d, %s: %.0f ms (gating latency %s ms)" % (
                        index + 1, runs, TOOL_TITLES[tool], seconds * 1000,
                        "?" if gating is None else "%.0f" % gating))
                self.down(tool, compose_file, project)


def docker_time(text):
    """Docker's RFC 3339 timestamps with nanoseconds, as seconds since the epoch."""
    import datetime
    text = text.rstrip("Z")
    whole, _, fraction = text.partition(".")
    moment = datetime.datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc)
    return moment.timestamp() + (float("0." + fraction) if fraction else 0.0)


def chain_gating_ms(project):
    """How long the tool took to react to health, summed over the chain: for each dependency
    edge, from the end of the dependency's first passing healthcheck (the moment the engine
    reported it healthy) to the dependent's start. The engine's own timestamps, so the
    healthcheck's interval, which no tool can shorten, is not counted."""
    ids = subprocess.run(["docker", "ps", "-aq", "--filter",
                          "label=com.docker.compose.project=%s" % project],
                         capture_output=True, text=True).stdout.split()
    if not ids:
        return None
    inspected = json.loads(subprocess.run(["docker", "inspect"] + ids,
                                          capture_output=True, text=True).stdout or "[]")
    by_service = {c["Config"]["Labels"].get("com.docker.compose.service"): c for c in inspected}
    total = 0.0
    for dependency, dependent in zip(gen_stack.CHAIN, gen_stack.CHAIN[1:]):
        dep, nxt = by_service.get(dependency), by_service.get(dependent)
        if not dep or not nxt:
            return None
        log_entries = ((dep["State"].get("Health") or {}).get("Log")) or []
        passed = [docker_time(e["End"]) for e in log_entries if e.get("ExitCode") == 0]
        if not passed:
            return None
        total += docker_time(nxt["State"]["StartedAt"]) - min(passed)
    return total * 1000.0


def compose_parallel_limit(count):
    """docker-compose 1.x deadlocks when a stack has more services than
    COMPOSE_PARALLEL_LIMIT (default 64): each service task holds a slot while waiting for
    its container tasks to get one (docker/compose#5864, #6705, #8226). Its documented
    workaround is a limit above the service count; that is also its fastest setting."""
    if os.environ.get("COMPOSE_PARALLEL_LIMIT"):
        return int(os.environ["COMPOSE_PARALLEL_LIMIT"])
    return max(64, 2 * count + 8)


def compose_env(count):
    env = dict(os.environ)
    env["COMPOSE_PARALLEL_LIMIT"] = str(compose_parallel_limit(count))
    return env


def gen_stack_file(workdir, name, text):
    directory = os.path.join(workdir, name)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "compose.yaml")
    with open(path, "w") as handle:
        handle.write(text)
    return path


# --- report ----------------------------------------------------------------------------

def med(samples):
    return statistics.median(samples) if samples else None


def cell(samples):
    if not samples:
        return "—"
    return "%.0f / %.0f" % (med(samples) * 1000, min(samples) * 1000)


def ratio(numerator, denominator):
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def fmt_ratio(value):
    return "—" if value is None else "%.2f×" % value


def verdict(checks):
    """checks: list of (value or None, limit). Met only if every value is known and within."""
    if not checks or any(value is None for value, _ in checks):
        return "n/a"
    return "yes" if all(value <= limit for value, limit in checks) else "**no**"


def report(runner, meta):
    s = runner.samples
    rows = []
    for count in meta["sizes"]:
        cold = "cold %d" % count
        wf, dc, fl = (med(s.get((cold, t))) for t in TOOLS)
        wf_fl, wf_dc = ratio(wf, fl), ratio(wf, dc)
        rows.append([
            "cold deploy, %d services" % count, cell(s.get((cold, "windflow"))),
            cell(s.get((cold, "compose"))), cell(s.get((cold, "floor"))),
            fmt_ratio(wf_fl), fmt_ratio(wf_dc), fmt_ratio(ratio(dc, fl)),
            "≤ 1.10× floor, ≤ 0.95× compose",
            verdict([(wf_fl, 1.10), (wf_dc, 0.95)]),
        ])
        unchanged = "unchanged %d" % count
        wf, dc = (med(s.get((unchanged, t))) for t in ["windflow", "compose"])
        wf_dc = ratio(wf, dc)
        target, checks = "≤ 0.15× compose", [(wf_dc, 0.15)]
        if count >= 100:
            target += ", < 300 ms"
            checks.append((None if wf is None else wf * 1000, 300 - 1e-9))
        rows.append([
            "unchanged redeploy, %d services" % count, cell(s.get((unchanged, "windflow"))),
            cell(s.get((unchanged, "compose"))), "—", "—", fmt_ratio(wf_dc), "—", target,
            verdict(checks),
        ])
    if meta["chain_runs"] > 0:
        wf, dc = (med(s.get(("chain", t))) for t in ["windflow", "compose"])
        rows.append([
            "healthcheck chain (3 levels), whole `up`", cell(s.get(("chain", "windflow"))),
            cell(s.get(("chain", "compose"))), "—", "—", fmt_ratio(ratio(wf, dc)), "—",
            "see gating latency", "n/a",
        ])
        edges = len(gen_stack.CHAIN) - 1
        wf_gate, dc_gate = (med(s.get(("chain-gating", t))) for t in ["windflow", "compose"])
        rows.append([
            "health gating latency, sum of %d edges" % edges, cell(s.get(("chain-gating", "windflow"))),
            cell(s.get(("chain-gating", "compose"))), "—", "—", fmt_ratio(ratio(wf_gate, dc_gate)),
            "—", "< %d ms (%d ms per edge, create + start included)" % (500 * edges, 500),
            verdict([(None if wf_gate is None else wf_gate * 1000, 500 * edges)]),
        ])

    header = ["Scenario", "windflow ms (median / min)", "docker-compose ms (median / min)",
              "floor ms (median / min)", "windflow ÷ floor", "windflow ÷ compose",
              "compose ÷ floor", "Target", "Met"]
    lines = [
        "# Deploy benchmark: windflow vs docker-compose vs the Engine-API floor",
        "",
        "- Date: %s" % meta["date"],
        "- Host: %s, %s CPUs, load average %s at start, %s at end" % (
            meta["host"], meta["cpus"], meta["load_start"], meta["load_end"]),
        "- Engine: %s; %s" % (meta["engine"], meta["compose_version"]),
        "- windflow: %s" % meta["windflow_version"],
        "- Runs per tool: %s (alternating windflow, docker-compose, floor); tools: %s" % (
            meta["runs_text"], ", ".join(TOOL_TITLES[t] for t in TOOLS if t in meta["only"])),
        "- Image: `%s`; each service runs a long-running `sh` that exits on SIGTERM" % meta[
            "image"],
        "- Commands: `windflow -f FILE -p NAME up`, `docker-compose -f FILE -p NAME up -d`, "
        "`engine-floor N IMAGE` (network + N parallel create+start through the Engine API)",
        "- docker-compose runs with COMPOSE_PARALLEL_LIMIT=%s (above the service count: "
        "1.x deadlocks at its default of 64 with 100 services, docker/compose#8226)" % ", ".join(
            "%d for %d services" % (compose_parallel_limit(n), n) for n in meta["sizes"]),
        "- Chain: bottom → middle → top; each touches /tmp/ready %d s after start and is checked "
        "with `test -f /tmp/ready` every 1 s, so the engine reports it healthy at the first check "
        "after that (2–3 s after start; no tool can shorten this). docker-compose 1.29's `up -d` "
        "waits for `service_healthy` dependencies but not for the last service's health, so its "
        "whole `up` skips one level. The gating latency is measured from the engine's own "
        "timestamps: for each edge, from the end of the dependency's first passing healthcheck to "
        "the dependent's start (it includes creating and starting the dependent)." % (
            gen_stack.READY_DELAY,),
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] + ["---:"] * 6 + ["---", "---"]) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    if runner.failures:
        lines += ["", "## Failures", ""]
        for scenario, tool, message in runner.failures:
            lines += ["- %s / %s:" % (scenario, TOOL_TITLES[tool]), "",
                      "  ```", *["  " + m for m in message.splitlines()], "  ```"]
    lines += ["", "## Samples (ms)", ""]
    for (scenario, tool), samples in sorted(runner.samples.items()):
        lines.append("- %s / %s: %s" % (scenario, TOOL_TITLES[tool],
                                        ", ".join("%.0f" % (x * 1000) for x in samples)))
    return "\n".join(lines) + "\n"


def first_line(argv):
    _, code, output = run(argv, timeout=30)
    return output.strip().splitlines()[0] if code == 0 and output.strip() else "n/a"


def loadavg():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "n/a"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--windflow", default=os.environ.get("WINDFLOW_BIN", ""))
    parser.add_argument("--floor", default=os.environ.get("ENGINE_FLOOR_BIN", ""))
    parser.add_argument("--compose", default="docker-compose")
    parser.add_argument("--image", default=gen_stack.IMAGE)
    parser.add_argument("--only", default="windflow,compose,floor",
                        help="comma-separated subset of windflow,compose,floor")
    parser.add_argument("--sizes", default="20,100")
    parser.add_argument("--runs-20", type=int, default=5, help="runs per tool for <100 services")
    parser.add_argument("--runs-100", type=int, default=3, help="runs per tool for >=100 services")
    parser.add_argument("--runs-chain", type=int, default=3)
    parser.add_argument("--no-chain", action="store_true")
    parser.add_argument("--quick", action="store_true", help="one run of everything")
    parser.add_argument("--settle", type=float, default=1.0,
                        help="seconds to let the engine settle after each teardown")
    parser.add_argument("--timeout", type=int, default=300, help="per-command timeout (s)")
    parser.add_argument("--workdir", default="/tmp/windflow-bench")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "latest.md"))
    args = parser.parse_args()

    args.only = [t.strip() for t in args.only.split(",") if t.strip()]
    unknown = set(args.only) - set(TOOLS)
    if unknown or not args.only:
        parser.error("--only takes a subset of %s" % ",".join(TOOLS))
    if "windflow" in args.only and not args.windflow:
        parser.error("--windflow (or $WINDFLOW_BIN) is required unless --only excludes it")
    if "floor" in args.only and not args.floor:
        parser.error("--floor (or $ENGINE_FLOOR_BIN) is required unless --only excludes it")
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    if args.quick:
        args.runs_20 = args.runs_100 = args.runs_chain = 1
    chain_runs = 0 if args.no_chain else args.runs_chain

    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "load_start": loadavg(),
        "engine": first_line(["docker", "version", "--format",
                              "Docker Engine {{.Server.Version}} (API {{.Server.APIVersion}})"]),
        "compose_version": "docker-compose " + first_line([args.compose, "version", "--short"]),
        "windflow_version": first_line([args.windflow, "--version"])
        if "windflow" in args.only else "not measured",
        "image": args.image,
        "only": args.only,
        "sizes": sizes,
        "chain_runs": chain_runs,
        "runs_text": ", ".join(
            ["%d for %d services" % (args.runs_100 if n >= 100 else args.runs_20, n)
             for n in sizes] + (["%d for the chain" % chain_runs] if chain_runs else [])),
    }

    runner = Runner(args)
    try:
        for count in sizes:
            runner.flat(count, args.runs_100 if count >= 100 else args.runs_20)
        if chain_runs:
            runner.chain(chain_runs)
    except KeyboardInterrupt:
        log("interrupted; reporting what was measured")
    meta["load_end"] = loadavg()

    text = report(runner, meta)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as handle:
        handle.write(text)
    raw = os.path.splitext(args.out)[0] + ".json"
    with open(raw, "w") as handle:
        json.dump({"meta": meta,
                   "samples_ms": {"%s / %s" % key: [round(x * 1000) for x in value]
                                  for key, value in sorted(runner.samples.items())},
                   "failures": [list(f) for f in runner.failures]}, handle, indent=2)
    print(text)
    log("wrote %s and %s" % (args.out, raw))
    return 1 if runner.failures else 0


if __name__ == "__main__":
    sys.exit(main())
