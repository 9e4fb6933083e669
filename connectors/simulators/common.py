"""What every back-office simulator shares.

* ``Knobs``: latency, error rate, downtime, malformed answers and lost responses, settable at start
  and at run time through ``GET/POST /_admin/knobs`` (reliability tests and the demo use them).
* ``Simulator``: the shared state (seeded RNG, knobs, action counters, idempotency store) wired
  into a Flask app by ``make_app``; ``/_admin/stats`` shows how often each action really ran
  (``DELETE /_admin/stats`` starts the count again).
* ``idempotent``: replays the stored answer for a repeated ``Idempotency-Key`` (same method and
  path) and refuses the key with a different payload (HTTP 422), as the IETF draft
  "The Idempotency-Key HTTP Header Field" describes.
* ``serve_in_thread`` / ``main``: run a simulator on 127.0.0.1:0 in a thread, or on its own.
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import json
import random
import threading
from dataclasses import asdict, dataclass, field, fields
from functools import wraps
from typing import Any, Callable, Mapping

from flask import Flask, Response, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

ADMIN = "/_admin"


@dataclass
class Knobs:
    latency: float = 0.0              # seconds to wait before answering an API request
    error_rate: float = 0.0           # share of API requests answered with HTTP 500 (nothing done)
    down: bool = False                # answer every API request with HTTP 503
    malformed: str = ""               # "", "html" (not JSON) or "json" (JSON of the wrong shape)
    lost_response_rate: float = 0.0   # share of API requests done but answered with HTTP 502

    def update(self, values: Mapping[str, Any]) -> None:
        known = [f.name for f in fields(self)]
        for key, value in values.items():
            if key not in known:
                raise ValueError(f"unknown knob {key!r} (known: {', '.join(known)})")
            current = getattr(self, key)
            if isinstance(current, bool) and isinstance(value, str):
                value = value.lower() in ("1", "true", "yes", "on")
            setattr(self, key, type(current)(value))
        if self.malformed not in ("", "html", "json"):
            raise ValueError("malformed must be '', 'html' or 'json'")


@dataclass
class Simulator:
    name: str
    seed: int = 1
    knobs: Knobs = field(default_factory=Knobs)
    token: str | None = None                      # required bearer token for API calls, if set
    exempt: tuple[str, ...] = ()                  # path prefixes outside the API (pages for people)
    lock: threading.RLock = field(default_factory=threading.RLock)
    stopping: threading.Event = field(default_factory=threading.Event)
    actions: dict[str, int] = field(default_factory=dict)
    _idem: dict[tuple[str, str, str], tuple[str, int, bytes, list[tuple[str, str]]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def count(self, action: str) -> None:
        with self.lock:
            self.actions[action] = self.actions.get(action, 0) + 1


def problem(status: int, title: str, detail: str = "", code: str | None = None) -> Response:
    """An RFC 9457 problem answer; ``code`` is the business error code the client maps."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if code:
        body["code"] = code
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    content_type="application/problem+json; charset=utf-8")


def as_json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status=status,
                    content_type="application/json; charset=utf-8")


def sim() -> Simulator:
    from flask import current_app

    return current_app.extensions["simulator"]  # type: ignore[no-any-return]


def _is_api(path: str, state: Simulator) -> bool:
    return not path.startswith(ADMIN) and not any(path.startswith(p) for p in state.exempt)


def make_app(state: Simulator) -> Flask:
    app = Flask(f"simulator.{state.name}")
    app.extensions["simulator"] = state

    @app.before_request
    def _faults() -> Response | None:
        if not _is_api(request.path, state):
            return None
        if state.knobs.down:
            return problem(503, "Dienst vorübergehend nicht verfügbar", "Wartungsfenster")
        if state.knobs.latency > 0:
            state.stopping.wait(state.knobs.latency)
        with state.lock:
            fail = state.rng.random() < state.knobs.error_rate
        if fail:
            return problem(500, "Interner Fehler", "Simulierter Fehler im Fachverfahren")
        if state.token is not None and request.headers.get("Authorization") != f"Bearer {state.token}":
            return problem(401, "Nicht angemeldet", "Gültiges Zugriffstoken erforderlich")
        return None

    @app.after_request
    def _mangle(resp: Response) -> Response:
        if not _is_api(request.path, state) or resp.status_code >= 400:
            return resp
        with state.lock:
            lost = state.rng.random() < state.knobs.lost_response_rate
        if lost:
            return problem(502, "Bad Gateway", "Antwort ging auf dem Rückweg verloren")
        if state.knobs.malformed == "html":
            return Response("<html><body>Wartungsarbeiten</body></html>", status=200,
                            content_type="text/html; charset=utf-8")
        if state.knobs.malformed == "json":
            return as_json({"unerwartet": True, "version": "0.9-beta"})
        return resp

    @app.get(f"{ADMIN}/knobs")
    def _get_knobs() -> Response:
        return as_json(asdict(state.knobs))

    @app.post(f"{ADMIN}/knobs")
    def _set_knobs() -> Response:
        try:
            state.knobs.update(request.get_json(force=True) or {})
        except (ValueError, TypeError) as exc:
            return problem(400, "Ungültige Einstellung", str(exc))
        return as_json(asdict(state.knobs))

    @app.get(f"{ADMIN}/stats")
    def _stats() -> Response:
        with state.lock:
            return as_json({"actions": dict(state.actions), "idempotency_keys": len(state._idem)})

    @app.delete(f"{ADMIN}/stats")
    def _reset_stats() -> Response:
        """Start counting from zero (tests that share one simulator reset it per test)."""
        with state.lock:
            state.actions.clear()
            return as_json({"actions": {}})

    return app


def idempotent(fingerprint: Callable[[], str] | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Deduplicate a mutating view by its ``Idempotency-Key`` header."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = request.headers.get("Idempotency-Key")
            if not key:
                return view(*args, **kwargs)
            state = sim()
            print_ = fingerprint() if fingerprint else hashlib.sha256(request.get_data()).hexdigest()
            slot = (key, request.method, request.path)
            with state.lock:                      # one request per key at a time
                seen = state._idem.get(slot)
                if seen is not None:
                    if seen[0] != print_:
                        return problem(422, "Idempotency-Key wiederverwendet",
                                       "Derselbe Schlüssel wurde mit anderem Inhalt verwendet")
                    resp = Response(seen[2], status=seen[1], headers=seen[3])
                    resp.headers["Idempotent-Replayed"] = "true"
                    return resp
                resp = app_response(view(*args, **kwargs))
                if resp.status_code < 500:
                    kept = [(k, v) for k, v in resp.headers.items() if k.lower() not in ("content-length", "date")]
                    state._idem[slot] = (print_, resp.status_code, resp.get_data(), kept)
                return resp

        return wrapper

    return decorate


def app_response(value: Any) -> Response:
    from flask import current_app

    return current_app.make_response(value)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class RunningServer:
    url: str
    server: BaseWSGIServer
    thread: threading.Thread
    state: Simulator | None = None

    def stop(self) -> None:
        if self.state is not None:
            self.state.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_in_thread(app: Flask, host: str = "127.0.0.1", port: int = 0, poll_interval: float = 0.02) -> RunningServer:
    """Raises OSError when ``port`` is taken (werkzeug itself would exit the process)."""
    try:
        server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
    except SystemExit:
        raise OSError(errno.EADDRINUSE, f"port {port} is in use") from None
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": poll_interval},
                              name=f"{app.name}-http", daemon=True)
    thread.start()
    state = app.extensions.get("simulator")
    return RunningServer(f"http://{host}:{server.server_port}", server, thread, state)


def cli_args(description: str, extra: Callable[[argparse.ArgumentParser], Any] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--token", default=None, help="require this bearer token on API calls")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--error-rate", type=float, default=0.0)
    parser.add_argument("--down", action="store_true")
    if extra:
        extra(parser)
    return parser.parse_args()


def knobs_from(args: argparse.Namespace) -> Knobs:
    return Knobs(latency=args.latency, error_rate=args.error_rate, down=args.down)


def run_forever(app: Flask, args: argparse.Namespace) -> None:
    server = make_server(args.host, args.port, app, threaded=True)
    print(f"{app.name} listening on http://{args.host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
