"""A TCP forwarder in front of a real server (PostgreSQL, Redis) that a test can cut and restore:
the server itself keeps running for everything else on the machine, while the product under test
sees it go away (connections dropped, new ones refused) and come back on the same address."""

from __future__ import annotations

import socket
import threading
from typing import List, Optional, Tuple


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener: Optional[socket.socket] = None
        self._open: List[socket.socket] = []
        self._lock = threading.Lock()
        self._up = threading.Event()
        self._up.set()
        self._closing = False

    @property
    def port(self) -> int:
        assert self._listener is not None
        return self._listener.getsockname()[1]

    def __enter__(self) -> "TcpProxy":
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self._closing = True
        self.cut()
        if self._listener is not None:
            self._listener.close()

    def cut(self) -> None:
        """The server is gone: every open connection is reset, new ones are closed at once."""
        self._up.clear()
        with self._lock:
            connections, self._open = self._open, []
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()

    def restore(self) -> None:
        self._up.set()

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._up.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, upstream]
            for pair in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=pair, daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def address(url: str) -> Tuple[str, int]:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.host or "127.0.0.1", int(parsed.port or 5432)
