"""Attacks that make the server hold things over time: outgoing queues of clients that stop
reading, answers that must not silently vanish, requests in flight per session, sessions nobody
uses, and huge backend answers. Each function takes the running class's Context and reports
its own checks; memory and the victim are judged by the caller around it."""

import http.client
import json
import re
import socket
import threading
import time

from harness import (ACCEPT_BOTH, BATCH_VERSION, IO_TIMEOUT_S, MIB, close_all,
                     delete_session, hold_many, initialize_message, mcp_post, open_session,
                     request_head, tool_call)

# Answers piled on streams nobody reads, in nominal bytes (tools/list answers of about 24 KiB
# each): more than RSS_BOUND_MIB, so a server that keeps them all fails the memory bound.
PILE_BYTES = 384 * MIB
TOOLS_LIST_BYTES = 24 * 1024
# A slow client reads this many bytes every 100 ms (40 KiB/s): its writes never stall long
# enough for the server's write timeout, so only a budget can end its stream.
SLOW_READ_BYTES = 4096
# A drain stops after this long without a byte: the stream was left open.
DRAIN_IDLE_S = 3.0
DRAIN_MAX_S = 30.0
# The in-flight cap the issue proposes is 64; any cap up to this passes.
IN_FLIGHT_MAX = 128
HELD_CALLS = 200
QUICK_POSTS = 2000
# Threads the quick POSTs may add on top of those running before them.
THREADS_EXTRA = 256
# A session's calls must be cancelled, and their backend connections closed, within this.
CANCEL_S = 3.0
MAX_SESSIONS = 200
SESSION_FLOOD = 2 * MAX_SESSIONS
BACKEND_ANSWER_BYTES = 60 * MIB
BACKEND_CALLS = 4

# The end of a chunked response: a stream that ends this way has ended even if its
# connection stays open for the next request.
LAST_CHUNK = b"\r\n0\r\n\r\n"
ANSWER_ID = re.compile(rb'data: \{"id":(\d+),')


# ---------------------------------------------------------------------------------------------
# Legacy HTTP+SSE by hand: the stream is a raw socket so that the attack decides when (if
# ever) it is read.

class LegacyStream:
    def __init__(self, server, rcvbuf=None):
        self.server = server
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(IO_TIMEOUT_S)
        self.sock.connect(("127.0.0.1", server.port))
        self.sock.sendall(request_head("GET", "/sse", [("Accept", "text/event-stream")] +
                                       list(server.auth().items()), server.port))
        buf = b""
        deadline = time.monotonic() + IO_TIMEOUT_S
        match = None
        while time.monotonic() < deadline and not match:
            data = self.sock.recv(4096)
            if not data:
                break
            buf += data
            match = re.search(rb"event: endpoint\r?\ndata: ([^\r\n]+)", buf)
        if not match:
            raise RuntimeError(f"no endpoint event on GET /sse: {buf[:300]!r}")
        self.path = "/" + match.group(1).decode().lstrip("./")
        self.pending = buf[match.end():]
        self.ids = set()
        self.eof = False
        self.received = 0

    def post(self, message):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=IO_TIMEOUT_S)
        try:
            body = message if isinstance(message, bytes) else json.dumps(message).encode()
            conn.request("POST", self.path, body=body,
                         headers={"Content-Type": "application/json", **self.server.auth()})
            resp = conn.getresponse()
            resp.read()
            return resp.status
        finally:
            conn.close()

    def initialize(self, version=BATCH_VERSION):
        self.version = version
        for message in (initialize_message(self.version),
                        {"jsonrpc": "2.0", "method": "notifications/initialized"}):
            status = self.post(message)
            if status != 202:
                raise RuntimeError(f"legacy {message['method']} answered HTTP {status}")

    def read_slowly(self):
        """Reads SLOW_READ_BYTES every 100 ms in the background until drain() is called."""
        self.slow_stop = threading.Event()

        def run():
            self.sock.settimeout(0.1)
            tail = self.pending
            while not self.slow_stop.wait(0.1):
                try:
                    data = self.sock.recv(SLOW_READ_BYTES)
                except socket.timeout:
                    continue
                except OSError:
                    data = b""
                if not data:
                    self.eof = True
                    break
                self.received += len(data)
                tail = tail[-64:] + data
                self.count(tail)
                if tail.endswith(LAST_CHUNK):
                    self.eof = True
                    break
            self.pending = tail[-64:]

        self.slow = threading.Thread(target=run, daemon=True)
        self.slow.start()

    def drain(self, want=None, idle_s=DRAIN_IDLE_S, max_s=DRAIN_MAX_S):
        """Reads until the server ends the stream, WANT answers arrived, or IDLE_S of silence;
        counts the ids of the answers seen."""
        if getattr(self, "slow", None):
            self.slow_stop.set()
            self.slow.join(5)
            self.slow = None
        if self.eof:
            return
        self.sock.settimeout(0.25)
        tail = self.pending
        last = began = time.monotonic()
        while time.monotonic() - began < max_s and time.monotonic() - last < idle_s:
            self.count(tail)
            tail = tail[-64:]
            if want is not None and len(self.ids) >= want:
                return
            try:
                data = self.sock.recv(1 << 20)
            except socket.timeout:
                continue
            except OSError:
                data = b""
            if not data:
                self.eof = True
                return
            self.received += len(data)
            last = time.monotonic()
            tail += data
            if tail.endswith(LAST_CHUNK):
                self.eof = True
                break
        self.count(tail)

    def count(self, data):
        self.ids.update(int(m) for m in ANSWER_ID.findall(data))

    def close(self):
        self.sock.close()


def batch(method, first_id, count):
    return json.dumps([{"jsonrpc": "2.0", "id": first_id + i, "method": method}
                       for i in range(count)]).encode()


# ---------------------------------------------------------------------------------------------
# 5. Outgoing queues: a client that stops reading holds at most its budget.

def queues(ctx):
    server = ctx.server
    per_post = 1000
    posts = PILE_BYTES // (per_post * TOOLS_LIST_BYTES)

    stream = LegacyStream(server, rcvbuf=4096)
    stream.initialize()
    stream.read_slowly()
    accepted, refusal = 0, None
    for i in range(posts):
        status = stream.post(batch("tools/list", 10 + i * per_post, per_post))
        if status != 202:
            refusal = status  # the request was told (or the session ended): stop piling
            break
        accepted += 1
    time.sleep(2)
    total = accepted * per_post
    stream.drain(want=total + 1)
    stream.close()
    answered = len([i for i in stream.ids if i >= 10])
    ctx.check(stream.eof or answered == total,
              f"a legacy stream read at 40 KiB/s while {posts * per_post} tools/list answers "
              f"(~{posts * per_post * TOOLS_LIST_BYTES // MIB} MiB) were asked for is ended at "
              "its budget, or every accepted request is answered and the rest refused",
              f"{accepted} of {posts} POSTs accepted"
              + (f" (then HTTP {refusal})" if refusal else "")
              + f", {answered} of their {total} answers arrived, then "
              + ("the end" if stream.eof else "silence with the stream open")
              + f"; {stream.received // MIB} MiB read")
    ctx.note(f"legacy pile: {accepted}/{posts} POSTs accepted, {answered}/{total} answers, "
             f"stream {'ended' if stream.eof else 'open'}")

    session = open_session(server, BATCH_VERSION)
    streams = posts // 2
    body = batch("tools/list", 10, per_post)
    head = request_head("POST", "/mcp", [("Content-Type", "application/json"),
                                         ("Accept", ACCEPT_BOTH), ("Mcp-Session-Id", session),
                                         ("MCP-Protocol-Version", BATCH_VERSION),
                                         ("Content-Length", str(len(body)))]
                        + list(server.auth().items()), server.port)
    socks, tails, ids, received, ended = [], [], [], [], []
    for _ in range(streams):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(IO_TIMEOUT_S)
        s.connect(("127.0.0.1", server.port))
        s.sendall(head + body)
        s.settimeout(0.01)
        socks.append(s)
        tails.append(b"")
        ids.append(set())
        received.append(0)
        ended.append(False)

    def read(i, size):
        try:
            data = socks[i].recv(size)
        except socket.timeout:
            return False
        except OSError:
            data = b""
        if not data:
            ended[i] = True
            return False
        received[i] += len(data)
        tails[i] = tails[i][-64:] + data
        ids[i].update(ANSWER_ID.findall(tails[i]))
        if tails[i].endswith(LAST_CHUNK):
            ended[i] = True  # the response is complete; the connection may stay open
            return False
        return True

    # Slowly (SLOW_READ_BYTES per stream every 100 ms) for 6 s, then as fast as they come.
    slow_until = time.monotonic() + 6
    while time.monotonic() < slow_until:
        for i in range(streams):
            if not ended[i]:
                read(i, SLOW_READ_BYTES)
        time.sleep(0.1)
    for i in range(streams):
        last = time.monotonic()
        while not ended[i] and time.monotonic() - last < DRAIN_IDLE_S:
            if read(i, 1 << 20):
                last = time.monotonic()
    got = [f"{len(ids[i])} answers/{received[i] // MIB} MiB" for i in range(streams)]
    ended = sum(ended)
    close_all(socks)
    ctx.check(ended == streams,
              f"{streams} Streamable HTTP POST streams of {per_post} tools/list answers each, "
              "read at 40 KiB/s, each ended (complete or cut at the budget), none left hanging",
              f"{streams - ended} left open; per stream: {', '.join(got)}")
    delete_session(server, session, BATCH_VERSION)


# ---------------------------------------------------------------------------------------------
# 6. No answer is silently lost.

def answers(ctx):
    server = ctx.server
    n = 1000
    session = open_session(server, BATCH_VERSION)
    status, _, msgs, raw = mcp_post(server, batch("ping", 1, n), session, BATCH_VERSION,
                                    timeout=30)
    ids = {m.get("id") for m in msgs if "result" in m}
    told = any("error" in m for m in msgs) or status >= 400
    ctx.check(len(ids) == n or told,
              f"a Streamable HTTP batch of {n} pings gets {n} answers (or an error saying why)",
              f"HTTP {status}, {len(ids)} answers, no error")

    stream = LegacyStream(server)
    stream.initialize()
    stream.post(batch("ping", 1, n))
    stream.drain(want=n)
    ctx.check(len(stream.ids) == n or stream.eof,
              f"a legacy batch of {n} pings gets {n} answers on the stream (or the stream ends)",
              f"{len(stream.ids)} answers, stream still open")
    stream.close()

    slow = LegacyStream(server, rcvbuf=4096)
    slow.initialize()
    slow.read_slowly()
    total = 8 * n
    for i in range(8):
        slow.post(batch("ping", 1 + i * n, n))
    time.sleep(2)
    slow.drain(want=total)
    ctx.check(len(slow.ids) == total or slow.eof,
              f"a slow legacy client (40 KiB/s) gets all {total} ping answers (or its stream ends)",
              f"{len(slow.ids)} answers, stream still open")
    slow.close()


# ---------------------------------------------------------------------------------------------
# 7. Requests in flight per session: capped; a session's calls end with it.

def in_flight(ctx):
    server, backend = ctx.server, ctx.backend
    session = open_session(server)
    body = json.dumps(tool_call("rag_get_available_sources", id_=7)).encode()
    head = request_head("POST", "/mcp", [("Content-Type", "application/json"),
                                         ("Accept", ACCEPT_BOTH), ("Mcp-Session-Id", session),
                                         ("MCP-Protocol-Version", "2025-11-25"),
                                         ("Content-Length", str(len(body)))]
                        + list(server.auth().items()), server.port)
    bufs, socks = hold_many(server.port, [head + body] * HELD_CALLS, wait_s=6)
    refused = sum(1 for b in bufs if b'"error"' in b)
    ctx.check(refused >= HELD_CALLS - IN_FLIGHT_MAX,
              f"{HELD_CALLS} concurrent calls of a stalled backend tool on one session: all but "
              f"at most {IN_FLIGHT_MAX} get a JSON-RPC error at once",
              f"{refused} refused; the backend holds {backend.held_count()} requests")
    close_all(socks)
    time.sleep(1)

    before = server.status()["Threads"]
    ctx.sampler.peak_threads = before
    sent = [0]
    lock = threading.Lock()

    def quick():
        for _ in range(QUICK_POSTS // 4):
            try:
                with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
                    s.sendall(head + body)
                with lock:
                    sent[0] += 1
            except OSError:
                pass

    workers = [threading.Thread(target=quick) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    time.sleep(1)
    peak = ctx.sampler.peak_threads
    ctx.check(peak <= before + THREADS_EXTRA,
              f"{sent[0]} quick POSTs of that call (sent, then the connection closed) add at "
              f"most {THREADS_EXTRA} threads",
              f"threads {before} -> peak {peak}; the backend holds {backend.held_count()} "
              f"requests of {backend.requests} seen")

    status = delete_session(server, session)
    deadline = time.monotonic() + CANCEL_S
    while time.monotonic() < deadline and backend.held_count() > 0:
        time.sleep(0.1)
    ctx.check(backend.held_count() == 0,
              f"once the session is deleted (HTTP {status}), its calls' backend connections "
              f"are closed within {CANCEL_S:.0f} s",
              f"{backend.held_count()} still open; server threads now "
              f"{server.status()['Threads']}")


# ---------------------------------------------------------------------------------------------
# 8. Sessions nobody uses must not lock real clients out.

def sessions(ctx):
    server = ctx.server
    statuses = {}
    lock = threading.Lock()
    body = json.dumps(initialize_message(client_info={"name": "flood", "version": "0"})).encode()

    def flood(count):
        for _ in range(count):
            try:
                status = mcp_post(server, body)[0]
            except OSError as e:
                status = type(e).__name__
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

    workers = [threading.Thread(target=flood, args=(SESSION_FLOOD // 2,)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    ctx.note(f"{SESSION_FLOOD} unused initializes against --max-sessions {MAX_SESSIONS}: "
             f"statuses {statuses}")
    try:
        session = open_session(server)
        status, _, msgs, raw = mcp_post(server, tool_call("session_info", id_=5), session)
        ok = status == 200 and any(m.get("id") == 5 and "result" in m for m in msgs)
        why = f"tools/call answered HTTP {status} {raw[:200]!r}"
    except Exception as e:  # noqa: BLE001
        ok, why = False, str(e)
    ctx.check(ok, f"after {SESSION_FLOOD} unused sessions (cap {MAX_SESSIONS}) a new client "
                  "still initializes and calls a tool", why)


# ---------------------------------------------------------------------------------------------
# 9. Backend answers: parsing one is bounded in memory.

def backend_answers(ctx):
    server = ctx.server
    results = [None] * BACKEND_CALLS

    def call(i):
        try:
            session = open_session(server)
            status, _, msgs, raw = mcp_post(server, tool_call("rag_get_available_sources", id_=9),
                                            session, timeout=90)
            answer = next((m for m in msgs if m.get("id") == 9), {})
            result = answer.get("result", {})
            # Archon's tools report a failed backend call inside their text (an "error" field,
            # as Archon's own server did), some as isError: either is a clear tool error, as
            # long as it says what was wrong with the answer.
            text = " ".join(c.get("text", "") for c in result.get("content", []))
            error = ("error" in answer or result.get("isError") is True or
                     ('"error"' in text and ("over the size" in text or "limit" in text)))
            results[i] = (status == 200 and error, f"HTTP {status} {raw[:200]!r}")
        except Exception as e:  # noqa: BLE001
            results[i] = (False, f"{type(e).__name__}: {e}")

    workers = [threading.Thread(target=call, args=(i,)) for i in range(BACKEND_CALLS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    for i, result in enumerate(results):
        ok, why = result or (False, "no answer within 120 s")
        ctx.check(ok, f"call {i + 1} of {BACKEND_CALLS} concurrent ones answered "
                      f"{BACKEND_ANSWER_BYTES // MIB} MB of JSON by the backend gets a clear "
                      "tool error", why)
