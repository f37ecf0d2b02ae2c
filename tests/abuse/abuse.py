#!/usr/bin/env python3
"""The abuse suite (issue 13): attacks a running mcpgate with each attack class, on loopback,
in loops bounded in count, time and memory, and checks for every class that

  (a) the server's peak RSS stays within RSS_BOUND_MIB of its idle level (sampled every 20 ms
      from /proc/PID/status; each class gets a fresh server, so VmHWM is that class's too),
  (b) a victim client with its own session is served throughout: every one of its calls,
      made every 100 ms on a new connection, succeeds within VICTIM_DEADLINE_S,
  (c) the attack gets the refusal the issue asks for (the class's own checks).

    abuse.py --binary PATH [--only CLASS[,CLASS...]] [--list]

Prints one `ok - ...` / `not ok - ...` line per check, `#` lines for measurements, and last
`abuse: N passed, M failed`; exits 1 on any failure. Python 3 standard library only.
"""

import argparse
import os
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback

# Its modules sit next to it; no __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import attacks_input  # noqa: E402
import attacks_load  # noqa: E402
from backend import Backend  # noqa: E402
from harness import (MIB, RSS_BOUND_MIB, SAFETY_KILL_MIB, VICTIM_DEADLINE_S, Report,  # noqa: E402
                     Sampler, Server, Victim)


class AttackClass:
    def __init__(self, name, title, attack, args=(), token=None, backend=None):
        self.name = name
        self.title = title
        self.attack = attack
        self.args = list(args)
        self.token = token
        self.backend = backend  # None, "stall" or "huge"


MAX_BODY_ARGS = ["--max-body", str(attacks_input.MAX_BODY)]

CLASSES = [
    AttackClass("host", "Host/Origin names that only look like loopback", attacks_input.host),
    AttackClass("bodies", "bodies over --max-body in every framing, a gzip bomb",
                attacks_input.bodies, MAX_BODY_ARGS),
    # With a token: the line and header budgets must hold before authentication.
    AttackClass("headers", "huge request lines and headers", attacks_input.headers,
                token="abuse-token"),
    AttackClass("session-data", "initialize with huge capabilities/clientInfo",
                attacks_input.session_data, MAX_BODY_ARGS),
    AttackClass("queues", "streams that stop reading while answers pile up", attacks_load.queues),
    AttackClass("answers", "no answer silently lost", attacks_load.answers),
    AttackClass("in-flight", "thousands of calls of a stalled backend tool on one session",
                attacks_load.in_flight, backend="stall"),
    AttackClass("sessions", "a flood of unused sessions past --max-sessions",
                attacks_load.sessions, ["--max-sessions", str(attacks_load.MAX_SESSIONS)]),
    AttackClass("backend", "huge backend answers to concurrent calls",
                attacks_load.backend_answers, backend="huge"),
    AttackClass("framing", "conflicting or smuggling HTTP framing, Expect, percent-escapes",
                attacks_input.framing, token="abuse-token"),
]


class Context:
    """What an attack gets: the server, the class's sampler and backend, and check()."""

    def __init__(self, cls, server, sampler, backend, report, binary, workdir):
        self.binary = binary
        self.workdir = workdir
        self.cls = cls
        self.server = server
        self.sampler = sampler
        self.backend = backend
        self.report = report

    def check(self, condition, text, reason=""):
        return self.report.check(self.cls.name, condition, text, reason)

    def note(self, text):
        self.report.note(self.cls.name, text)

    def extra_server(self, name, args, token=None):
        """A second server for a check that needs other flags; the caller stops it."""
        return Server(self.binary, self.workdir, name, ["--conformance-fixtures"] + args, token)


def run_class(cls, binary, workdir, report):
    failed_before = len(report.failed)
    backend = None
    if cls.backend:
        backend = Backend(cls.backend, attacks_load.BACKEND_ANSWER_BYTES)
        backend.start()
    args = ["--conformance-fixtures"] + cls.args + (["--backend", backend.url] if backend else [])
    began = time.monotonic()
    try:
        server = Server(binary, workdir, cls.name, args, cls.token)
    except RuntimeError as e:
        report.check(cls.name, False, "the server starts", str(e))
        if backend:
            backend.stop()
        return None
    victim = Victim(server)
    victim.start()
    victim.ready.wait(15)
    time.sleep(0.3)
    idle = server.status()
    sampler = Sampler(server, idle["VmRSS"])
    sampler.start()
    report.note(cls.name, f"{cls.title}: server pid {server.pid} on port {server.port}, idle RSS "
                f"{idle['VmRSS'] / 1024:.1f} MiB, {idle['Threads']} threads")
    try:
        cls.attack(Context(cls, server, sampler, backend, report, binary, workdir))
    except Exception as e:  # noqa: BLE001 - an attack that breaks is a failure, not a crash
        report.check(cls.name, False, "the attack runs to its end",
                     f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=3)}")
    victim.stop()
    sampler.stop()
    final = server.status()

    extra = (sampler.peak_kib - idle["VmRSS"]) / 1024
    report.check(cls.name, not sampler.killed and extra <= RSS_BOUND_MIB,
                 f"peak RSS {sampler.peak_kib / 1024:.0f} MiB, {extra:+.0f} MiB over idle "
                 f"(bound +{RSS_BOUND_MIB} MiB)",
                 f"killed by the suite past idle + {SAFETY_KILL_MIB} MiB" if sampler.killed
                 else "over the bound")
    report.check(cls.name, victim.calls > 0 and not victim.failures,
                 f"the victim session was served throughout: {victim.calls} calls, slowest "
                 f"{victim.slowest:.2f} s (each must finish within {VICTIM_DEADLINE_S:.0f} s)",
                 f"{len(victim.failures)} failed, first: {victim.failures[:2]}")
    report.check(cls.name, server.alive(), "the server is still running",
                 f"exit status {server.proc.poll()}")
    elapsed = time.monotonic() - began
    row = (cls.name, idle["VmRSS"] / 1024, sampler.peak_kib / 1024, extra,
           max(sampler.hwm_kib, final["VmHWM"] if final else 0) / 1024, idle["Threads"],
           sampler.peak_threads, elapsed, len(report.failed) - failed_before)
    server.stop()
    if backend:
        backend.stop()
    if row[-1]:
        report.note(cls.name, f"server log (last lines):\n{server.log_tail()}")
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--only", default="", help="comma-separated class names")
    parser.add_argument("--list", action="store_true", help="list the classes and exit")
    options = parser.parse_args()
    if options.list:
        for cls in CLASSES:
            print(f"{cls.name:14} {cls.title}")
        return 0
    wanted = [n for n in options.only.split(",") if n]
    unknown = [n for n in wanted if n not in {c.name for c in CLASSES}]
    if unknown:
        print(f"abuse: unknown class {', '.join(unknown)}; see --list", file=sys.stderr)
        return 2
    # Thousands of connections at once, on both sides.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    report = Report()
    rows = []
    workdir = tempfile.mkdtemp(prefix="mcpgate-abuse.")
    # SIGTERM (a suite timeout) unwinds like Ctrl-C, through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        for cls in CLASSES:
            if not wanted or cls.name in wanted:
                row = run_class(cls, options.binary, workdir, report)
                if row:
                    rows.append(row)
    finally:
        for server in list(Server.running):
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print("# class          idle MiB  peak MiB  +MiB   VmHWM MiB  threads idle/peak  seconds  failed")
    for name, idle, peak, extra, hwm, t0, t1, secs, failed in rows:
        print(f"# {name:14} {idle:8.1f}  {peak:8.1f}  {extra:+5.0f}  {hwm:9.1f}  {t0:7}/{t1:<5}"
              f"     {secs:6.1f}  {failed}")
    print(f"abuse: {report.passed} passed, {len(report.failed)} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
