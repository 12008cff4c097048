"""A forward HTTP proxy on loopback for tests: relays every request unchanged (so signed URLs
stay valid), records each request's line and Range header, and can cut the connection in the
middle of a response body, as a failing network would."""

from __future__ import annotations

import socket
import socketserver
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class ProxyLog:
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, url, range
    cut_after: int | None = None  # cut the next response body larger than this after this many bytes
    cuts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(socketserver.StreamRequestHandler):
    log: ProxyLog

    def handle(self) -> None:
        while True:
            line = self.rfile.readline(65536)
            if not line or not line.strip():
                return
            method, target, version = line.decode("latin-1").split()
            headers: list[tuple[str, str]] = []
            while True:
                header = self.rfile.readline(65536).decode("latin-1")
                if header in ("\r\n", "\n", ""):
                    break
                name, _, value = header.partition(":")
                headers.append((name.strip(), value.strip()))
            lookup = {name.lower(): value for name, value in headers}
            body = self.rfile.read(int(lookup.get("content-length", "0") or 0))
            with self.log.lock:
                self.log.requests.append((method, target, lookup.get("range")))
            parts = urlsplit(target)
            upstream = socket.create_connection((parts.hostname, parts.port or 80))
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            forwarded = [f"{method} {path} {version}"] + [
                f"{n}: {v}" for n, v in headers if n.lower() not in ("proxy-connection", "connection")
            ] + ["Connection: close"]
            upstream.sendall(("\r\n".join(forwarded) + "\r\n\r\n").encode("latin-1") + body)
            self._relay(upstream)
            return  # one request per client connection: requests opens a new one

    def _relay(self, upstream: socket.socket) -> None:
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = upstream.recv(65536)
            if not chunk:
                break
            received += chunk
        head, _, rest = received.partition(b"\r\n\r\n")
        length = 0
        for header in head.split(b"\r\n")[1:]:
            name, _, value = header.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        cut = self.log.cut_after
        head = head.replace(b"Connection: keep-alive", b"Connection: close")
        self.wfile.write(head + b"\r\n\r\n")
        sent = 0
        pending = rest
        while True:
            if pending:
                if cut is not None and length > cut and sent + len(pending) > cut:
                    self.wfile.write(pending[: cut - sent])
                    self.wfile.flush()
                    with self.log.lock:
                        self.log.cut_after = None
                        self.log.cuts += 1
                    upstream.close()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(pending)
                sent += len(pending)
            pending = upstream.recv(1 << 20)
            if not pending:
                break
        upstream.close()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class Proxy:
    def __init__(self) -> None:
        self.log = ProxyLog()
        handler = type("Handler", (_Handler,), {"log": self.log})
        self._server = _Server(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
