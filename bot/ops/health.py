"""/healthz, /readyz and /metrics on a port of their own (ops.health_listen:ops.health_port).

- /healthz: 200 while the process runs (liveness);
- /readyz: JSON {database, role, mode, last_poll, last_poll_age_s}; 200 only on the active
  instance with the database reachable and, in polling mode, a successful poll in the last
  READY_POLL_S (so a reverse proxy sends webhook traffic to the active one only); 503 otherwise;
- /metrics: Prometheus text format.
Served from a thread, so they answer even while the event loop is busy, and on a standby too.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from core.metrics import STATE, exposition
from db import Database

log = logging.getLogger(__name__)
READY_POLL_S = 90.0


def readiness(database: Database) -> tuple[bool, dict[str, Any]]:
    try:
        database.read(lambda s: s.execute(text("SELECT 1")))
        db_ok = True
    except Exception:
        log.warning("Readiness: database unreachable", exc_info=True)
        db_ok = False
    last = STATE.last_poll
    age = None if last is None else round(time.time() - last, 1)
    body: dict[str, Any] = {
        "database": db_ok, "role": STATE.role, "mode": STATE.mode,
        "last_poll": None if last is None else datetime.fromtimestamp(last, UTC).isoformat(timespec="seconds"),
        "last_poll_age_s": age,
    }
    fresh = STATE.mode == "webhook" or (age is not None and age <= READY_POLL_S)
    return db_ok and STATE.role == "active" and fresh, body


class HealthServer:
    def __init__(self, database: Database, listen: str, port: int) -> None:
        self.database = database
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/healthz":
                    self._answer(200, b"ok\n", "text/plain; charset=utf-8")
                elif path == "/readyz":
                    ready, body = readiness(server.database)
                    self._answer(200 if ready else 503, json.dumps(body).encode(), "application/json")
                elif path == "/metrics":
                    self._answer(200, exposition(), CONTENT_TYPE_LATEST)
                else:
                    self._answer(404, b"not found\n", "text/plain; charset=utf-8")

            def _answer(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:  # scrapes every few seconds would flood the log
                return None

        self.httpd = ThreadingHTTPServer((listen, port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="health", daemon=True)

    def start(self) -> HealthServer:
        self.thread.start()
        host, port = self.httpd.server_address[:2]
        log.info("Health and metrics on http://%s:%s/ (healthz, readyz, metrics)", host, port)
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
