"""What the abuse suite's attacks share: a server under test, a sampler of its memory and
threads, a victim session that must keep being served, a raw-socket HTTP client that can send
what no well-behaved library would, and the one-line-per-check report.

Everything here is bounded: every socket read or write has a timeout, every loop a deadline,
and the sampler kills a server whose memory runs away, so that a failing class fails the suite
instead of taking the (shared) machine down.
"""

import http.client
import itertools
import json
import os
import selectors
import signal
import socket
import subprocess
import threading
import time

# ---------------------------------------------------------------------------------------------
# Bounds. Each attack class is judged by these; they are deliberately generous where the
# machine's speed matters (a loaded 2-core CI runner) and strict where the server's design does.

# Peak RSS a class may add to the server's idle level. The bound: the attacks below
# would each pin hundreds of MiB to gigabytes on an unprotected server.
RSS_BOUND_MIB = 256
# Past idle + this the sampler SIGKILLs the server: the class has failed anyway, and the
# machine is shared. Must stay above RSS_BOUND_MIB so a failure is reported as such.
SAFETY_KILL_MIB = 768
# How often the sampler reads /proc/PID/status (VmHWM is kept too, as a cross-check).
SAMPLE_PERIOD_S = 0.02
# Every call of the victim session must be answered within this, throughout every attack.
VICTIM_DEADLINE_S = 5.0
# Pause between two victim calls.
VICTIM_PERIOD_S = 0.1
# Any single exchange of an attack that expects a prompt answer (a refusal, a result).
IO_TIMEOUT_S = 10.0

LATEST = "2025-11-25"
BATCH_VERSION = "2025-03-26"  # the last revision with JSON-RPC batches on Streamable HTTP
LEGACY_VERSION = "2024-11-05"
ACCEPT_BOTH = "application/json, text/event-stream"
MIB = 1024 * 1024


# ---------------------------------------------------------------------------------------------
# Report: one `ok - ...` or `not ok - ...` line per check, counted.

class Report:
    def __init__(self):
        self.passed = 0
        self.failed = []
        self.lock = threading.Lock()

    def check(self, cls, condition, text, reason=""):
        with self.lock:
            if condition:
                self.passed += 1
                print(f"ok - {cls}: {text}", flush=True)
            else:
                self.failed.append(f"{cls}: {text}")
                print(f"not ok - {cls}: {text}" + (f" -- {reason}" if reason else ""), flush=True)
        return condition

    def note(self, cls, text):
        print(f"# {cls}: {text}", flush=True)


# ---------------------------------------------------------------------------------------------
# The server under test.

def proc_status(pid):
    """VmRSS, VmHWM (KiB) and Threads of PID, or None once it is gone."""
    values = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM", "Threads"):
                    values[key] = int(rest.split()[0])
    except (OSError, ValueError):
        return None
    return values if len(values) == 3 else None


class Server:
    """One mcpgate on 127.0.0.1 with a free port, its own data folder and log. Every server
    started is in Server.running until stopped, so that an interrupted suite stops them all."""

    running = []

    def __init__(self, binary, workdir, name, args, token=None):
        self.name = name
        self.token = token
        self.log_path = os.path.join(workdir, f"{name}.log")
        data = os.path.join(workdir, f"{name}-data")
        port_file = os.path.join(workdir, f"{name}.port")
        command = [binary, "--host", "127.0.0.1", "--port", "0", "--port-file", port_file,
                   "--data", data, "--log-level", "info"] + list(args)
        if token:
            command += ["--auth-token", token]
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        self.pid = self.proc.pid
        Server.running.append(self)
        self.port = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with open(port_file) as f:
                    text = f.read().strip()
                if text.isdigit() and int(text) > 0:
                    self.port = int(text)
                    break
            except OSError:
                pass
            time.sleep(0.05)
        if self.port is None:
            self.stop()
            raise RuntimeError(f"the server did not start; log:\n{self.log_tail()}")

    def alive(self):
        return self.proc.poll() is None

    def status(self):
        return proc_status(self.pid)

    def auth(self):
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
        if self in Server.running:
            Server.running.remove(self)

    def log_tail(self, lines=20):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read()[-20000:].decode("utf-8", "replace")
            return "\n".join("  | " + l for l in text.splitlines()[-lines:])
        except OSError:
            return "  | (no log)"


class Sampler(threading.Thread):
    """Samples VmRSS and Threads every SAMPLE_PERIOD_S; kills the server past the safety line."""

    def __init__(self, server, idle_kib):
        super().__init__(daemon=True)
        self.server = server
        self.idle_kib = idle_kib
        self.peak_kib = idle_kib
        self.peak_threads = 0
        self.hwm_kib = 0
        self.killed = False
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            self.sample()
            self.stopping.wait(SAMPLE_PERIOD_S)
        self.sample()

    def sample(self):
        s = self.server.status()
        if not s:
            return
        self.peak_kib = max(self.peak_kib, s["VmRSS"])
        self.hwm_kib = max(self.hwm_kib, s["VmHWM"])
        self.peak_threads = max(self.peak_threads, s["Threads"])
        if s["VmRSS"] > self.idle_kib + SAFETY_KILL_MIB * 1024 and not self.killed:
            self.killed = True
            os.kill(self.server.pid, signal.SIGKILL)

    def stop(self):
        self.stopping.set()
        self.join(5)


# ---------------------------------------------------------------------------------------------
# MCP over http.client, for well-formed traffic (the victim, set-up steps).

def sse_messages(text):
    """JSON messages in the complete `data:` events of an SSE text."""
    out = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        data = [l[5:].lstrip(" ") if l.startswith("data:") else None for l in block.split("\n")]
        data = [d for d in data if d is not None]
        if data and data != [""]:
            try:
                out.append(json.loads("\n".join(data)))
            except ValueError:
                pass
    return out


def body_messages(content_type, body):
    text = body.decode("utf-8", "replace")
    if content_type.startswith("text/event-stream"):
        return sse_messages(text)
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return value if isinstance(value, list) else [value]


def mcp_post(server, message, session=None, version=LATEST, timeout=IO_TIMEOUT_S,
             headers=None):
    """POST /mcp; returns (status, headers dict, messages). Raises on transport errors."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        h = {"Content-Type": "application/json", "Accept": ACCEPT_BOTH, **server.auth()}
        if session:
            h["Mcp-Session-Id"] = session
            h["MCP-Protocol-Version"] = version
        h.update(headers or {})
        body = message if isinstance(message, bytes) else json.dumps(message).encode()
        conn.request("POST", "/mcp", body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        return resp.status, hdrs, body_messages(hdrs.get("content-type", ""), data), data
    finally:
        conn.close()


def initialize_message(version=LATEST, client_info=None, capabilities=None, id_=1):
    return {"jsonrpc": "2.0", "id": id_, "method": "initialize",
            "params": {"protocolVersion": version, "capabilities": capabilities or {},
                       "clientInfo": client_info or {"name": "abuse", "version": "0"}}}


def open_session(server, version=LATEST):
    """A Streamable HTTP session, initialized; returns its id (raises on failure)."""
    status, hdrs, msgs, raw = mcp_post(server, initialize_message(version))
    session = hdrs.get("mcp-session-id")
    if status != 200 or not session:
        raise RuntimeError(f"initialize answered HTTP {status}: {raw[:300]!r}")
    status, _, _, raw = mcp_post(server, {"jsonrpc": "2.0", "method": "notifications/initialized"},
                                 session, version)
    if status != 202:
        raise RuntimeError(f"notifications/initialized answered HTTP {status}: {raw[:300]!r}")
    return session


def tool_call(name, arguments=None, id_=1):
    return {"jsonrpc": "2.0", "id": id_, "method": "tools/call",
            "params": {"name": name, "arguments": arguments or {}}}


def delete_session(server, session, version=LATEST):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=IO_TIMEOUT_S)
    try:
        conn.request("DELETE", "/mcp", headers={"Mcp-Session-Id": session,
                                                "MCP-Protocol-Version": version, **server.auth()})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


class Victim(threading.Thread):
    """A client with its own session calling session_info (each call on a new connection, so
    accepting connections is tested too) until stopped. Every call must succeed in time."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server = server
        self.calls = 0
        self.failures = []
        self.slowest = 0.0
        self.session = None
        self.ready = threading.Event()
        self.stopping = threading.Event()

    def run(self):
        try:
            self.session = open_session(self.server)
        except Exception as e:  # noqa: BLE001 - reported as the victim's failure
            self.failures.append(f"could not open its session: {e}")
            self.ready.set()
            return
        self.ready.set()
        n = 100
        while not self.stopping.is_set():
            n += 1
            began = time.monotonic()
            try:
                status, _, msgs, raw = mcp_post(self.server, tool_call("session_info", id_=n),
                                                self.session, timeout=VICTIM_DEADLINE_S)
                answer = next((m for m in msgs if m.get("id") == n), None)
                if status != 200 or not answer or "result" not in answer \
                        or answer["result"].get("isError"):
                    self.failures.append(f"call {n}: HTTP {status} {raw[:200]!r}")
            except Exception as e:  # noqa: BLE001
                self.failures.append(f"call {n}: {type(e).__name__}: {e}")
            elapsed = time.monotonic() - began
            self.slowest = max(self.slowest, elapsed)
            if elapsed > VICTIM_DEADLINE_S:
                self.failures.append(f"call {n} took {elapsed:.1f} s")
            self.calls += 1
            self.stopping.wait(VICTIM_PERIOD_S)

    def stop(self):
        self.stopping.set()
        self.join(VICTIM_DEADLINE_S + 5)


# ---------------------------------------------------------------------------------------------
# Raw HTTP: bytes exactly as given, answers parsed leniently.

class Response:
    def __init__(self, status, headers, body, complete):
        self.status = status
        self.headers = headers  # lower-case name -> list of values
        self.body = body
        self.complete = complete

    def header(self, name):
        values = self.headers.get(name.lower())
        return values[0] if values else ""

    def __repr__(self):
        return f"HTTP {self.status} {self.body[:160]!r}"


def parse_responses(buf, eof):
    """Every HTTP response in BUF, in order (1xx interim ones included)."""
    out = []
    pos = 0
    while True:
        end = buf.find(b"\r\n\r\n", pos)
        if end < 0:
            return out
        lines = buf[pos:end].decode("latin-1").split("\r\n")
        try:
            status = int(lines[0].split()[1])
        except (IndexError, ValueError):
            return out
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        pos = end + 4
        if 100 <= status < 200:
            out.append(Response(status, headers, b"", True))
            continue
        te = ",".join(headers.get("transfer-encoding", [])).lower()
        if "chunked" in te:
            body = bytearray()
            while True:
                line_end = buf.find(b"\r\n", pos)
                if line_end < 0:
                    out.append(Response(status, headers, bytes(body), False))
                    return out
                try:
                    size = int(buf[pos:line_end].split(b";")[0], 16)
                except ValueError:
                    out.append(Response(status, headers, bytes(body), False))
                    return out
                if size == 0:
                    trailer_end = buf.find(b"\r\n\r\n", line_end)
                    # Nothing but the final CRLF normally follows the last chunk.
                    pos = trailer_end + 4 if trailer_end >= 0 else len(buf)
                    out.append(Response(status, headers, bytes(body), trailer_end >= 0))
                    break
                body += buf[line_end + 2:line_end + 2 + size]
                if line_end + 2 + size + 2 > len(buf):
                    out.append(Response(status, headers, bytes(body), False))
                    return out
                pos = line_end + 2 + size + 2
        elif "content-length" in headers:
            try:
                length = int(headers["content-length"][0])
            except ValueError:
                length = 0
            body = buf[pos:pos + length]
            out.append(Response(status, headers, body, len(body) == length))
            pos += length
            if len(body) < length:
                return out
        else:
            out.append(Response(status, headers, buf[pos:], eof))
            return out


class Exchange:
    """What one raw connection saw: responses, whether the server closed it, what we sent."""

    def __init__(self):
        self.responses = []
        self.eof = False
        self.reset = False
        self.sent = 0
        self.send_error = None
        self.received = 0
        self.first_answer_after = None  # bytes we had sent when the first answer arrived

    def final(self):
        """The non-interim responses."""
        return [r for r in self.responses if r.status >= 200]

    def statuses(self):
        return [r.status for r in self.responses]

    def describe(self):
        return (f"responses {self.statuses() or 'none'}, "
                f"{'closed by the server' if self.eof or self.reset else 'left open'}, "
                f"{self.sent} bytes sent" + (f" ({self.send_error})" if self.send_error else ""))


def exchange(port, head, body_chunks=None, deadline_s=IO_TIMEOUT_S, linger_s=1.5,
             keep_cap=1 << 20):
    """Sends HEAD then BODY_CHUNKS (any iterable of bytes, consumed lazily so an attack of
    hundreds of MiB never sits in memory) while reading. Reads until the server closes, or
    LINGER_S after the first final response (long enough to see a close or a second response),
    or DEADLINE_S. Keeps at most KEEP_CAP bytes of what it read."""
    result = Exchange()
    sock = socket.create_connection(("127.0.0.1", port), timeout=deadline_s)
    sock.settimeout(0.05)
    stop = threading.Event()

    def send_all():
        try:
            for chunk in itertools.chain([head], body_chunks or []):
                view = memoryview(chunk)
                while view and not stop.is_set():
                    try:
                        n = sock.send(view)
                    except socket.timeout:
                        continue
                    result.sent += n
                    view = view[n:]
                if stop.is_set():
                    return
        except OSError as e:
            result.send_error = type(e).__name__

    sender = threading.Thread(target=send_all, daemon=True)
    sender.start()
    buf = bytearray()
    began = time.monotonic()
    answered_at = None
    while time.monotonic() - began < deadline_s:
        if answered_at is not None and time.monotonic() - answered_at > linger_s:
            break
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            result.reset = True
            break
        except OSError:
            break
        if not data:
            result.eof = True
            break
        result.received += len(data)
        if len(buf) < keep_cap:
            buf += data[:keep_cap - len(buf)]
        if answered_at is None and any(r.status >= 200 for r in parse_responses(bytes(buf), False)):
            answered_at = time.monotonic()
            result.first_answer_after = result.sent
    stop.set()
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sender.join(5)
    sock.close()
    result.responses = parse_responses(bytes(buf), result.eof)
    return result


def request_head(method, path, headers, port=None, version="HTTP/1.1"):
    """A request line and header block. HEADERS is a list of (name, value) pairs, sent as is
    (repeats and odd values included); a Host header is added first unless one is given."""
    lines = [f"{method} {path} {version}"]
    if port is not None and not any(n.lower() == "host" for n, _ in headers):
        lines.append(f"Host: 127.0.0.1:{port}")
    lines += [f"{n}: {v}" for n, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def repeat_bytes(unit, total, chunk=256 * 1024):
    """TOTAL bytes made of UNIT repeated, yielded CHUNK at a time (never held whole)."""
    block = (unit * (chunk // len(unit) + 1))[:chunk]
    left = total
    while left > 0:
        n = min(left, len(block))
        yield block[:n]
        left -= n


def hold_many(port, requests, wait_s, rcvbuf=None):
    """Opens one connection per request, sends each, then reads from all of them for WAIT_S
    without ever closing one; returns (what each received, the open sockets). The caller closes
    the sockets (close_all) when the attack no longer needs them."""
    socks, bufs = [], []
    sel = selectors.DefaultSelector()
    for i, req in enumerate(requests):
        s = socket.socket()
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(IO_TIMEOUT_S)
        s.connect(("127.0.0.1", port))
        s.sendall(req)
        s.setblocking(False)
        socks.append(s)
        bufs.append(bytearray())
        sel.register(s, selectors.EVENT_READ, i)
    end = time.monotonic() + wait_s
    while time.monotonic() < end:
        for key, _ in sel.select(0.1):
            try:
                data = key.fileobj.recv(65536)
            except OSError:
                data = b""
            if not data:
                sel.unregister(key.fileobj)
            elif len(bufs[key.data]) < 1 << 20:
                bufs[key.data] += data
    sel.close()
    return bufs, socks


def close_all(socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass
