"""A stand-in for Archon's REST API that misbehaves on purpose, on 127.0.0.1.

`GET /api/health` is answered at once (the server probes it); every other request is either
held forever without an answer ("stall": counts the connections the server keeps open to it)
or answered with a huge JSON document ("huge": streamed from a small repeated block, so the
attacker never holds the document itself).
"""

import selectors
import socket
import threading

HEALTH = b'{"status":"healthy","ready":true}'


class Backend(threading.Thread):
    def __init__(self, mode, huge_bytes=0):
        super().__init__(daemon=True)
        assert mode in ("stall", "huge")
        self.mode = mode
        self.huge_bytes = huge_bytes
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.listener, selectors.EVENT_READ, None)
        self.held = {}          # socket -> bytes read so far, for stalled requests
        self.requests = 0       # non-health requests seen
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def held_count(self):
        with self.lock:
            return sum(1 for state in self.held.values() if state == "held")

    def run(self):
        while not self.stopping.is_set():
            for key, _ in self.sel.select(0.1):
                if key.data is None:
                    self.accept()
                else:
                    self.readable(key.fileobj)
        for s in list(self.held):
            s.close()
        self.listener.close()

    def accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except BlockingIOError:
                return
            conn.setblocking(False)
            with self.lock:
                self.held[conn] = b""
            self.sel.register(conn, selectors.EVENT_READ, "conn")

    def readable(self, conn):
        try:
            data = conn.recv(65536)
        except OSError:
            data = b""
        if not data:
            self.forget(conn)
            conn.close()
            return
        with self.lock:
            state = self.held.get(conn)
        if state == "held":
            return  # a stalled request: whatever else it sends is ignored
        buf = state + data
        if b"\r\n\r\n" not in buf:
            with self.lock:
                self.held[conn] = buf[-65536:]
            return
        path = buf.split(b" ", 2)[1] if buf.count(b" ") >= 2 else b"/"
        if path.startswith(b"/api/health"):
            self.forget(conn)
            answer_and_close(conn, HEALTH)
            return
        with self.lock:
            self.requests += 1
        if self.mode == "stall":
            with self.lock:
                self.held[conn] = "held"
            return
        self.forget(conn)
        threading.Thread(target=self.send_huge, args=(conn,), daemon=True).start()

    def forget(self, conn):
        try:
            self.sel.unregister(conn)
        except (KeyError, ValueError):
            pass
        with self.lock:
            self.held.pop(conn, None)

    def send_huge(self, conn):
        """{"sources":[{"a":0},{"a":0},...]}: every 8 bytes a new JSON object to allocate."""
        unit = b'{"a":0},'
        head, tail = b'{"sources":[', b'{"a":0}]}'
        count = max(0, (self.huge_bytes - len(head) - len(tail)) // len(unit))
        length = len(head) + count * len(unit) + len(tail)
        block = unit * 16384
        conn.setblocking(True)
        conn.settimeout(30)
        try:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Connection: close\r\nContent-Length: %d\r\n\r\n" % length + head)
            left = count
            while left > 0:
                n = min(left, 16384)
                conn.sendall(block[:n * len(unit)])
                left -= n
            conn.sendall(tail)
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self):
        self.stopping.set()
        self.join(5)


def answer_and_close(conn, body):
    try:
        conn.setblocking(True)
        conn.settimeout(5)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body)
    except OSError:
        pass
    finally:
        conn.close()
