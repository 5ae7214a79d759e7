"""What every stand-in server shares: an HTTP server on a free loopback port, in a thread."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Optional

from tests.servers import free_port


class LoopbackServer:
    """Mix into a stand-in and implement ``handle(request, method)``; use it as a context manager."""

    _server: Optional[ThreadingHTTPServer] = None

    def handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        raise NotImplementedError

    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        return self._server.server_port

    def start(self):
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                stand_in.handle(self, "POST")

            def do_GET(self) -> None:  # noqa: N802
                stand_in.handle(self, "GET")

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()

    @staticmethod
    def reply_json(
        request: BaseHTTPRequestHandler, status: int, body: Dict[str, Any], headers: Optional[Dict[str, str]] = None
    ) -> None:
        data = json.dumps(body).encode("utf-8")
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)
