"""A generic Fachverfahren with a plain REST/JSON API, the counterpart of the ``http`` connector.

    GET  /api/v1/status                 -> {"status": "ok"}
    POST /api/v1/antraege               (Idempotency-Key) any JSON object -> 201 {id, eingang, daten}
    GET  /api/v1/antraege/<id>          -> the stored application (404 problem)

Run on its own: ``python -m connectors.simulators.rest --port 8106 --token T``.
"""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask, Response, request

from connectors.simulators.common import (Knobs, Simulator, as_json, cli_args, idempotent, knobs_from, make_app,
                                          problem, run_forever)


def create_app(seed: int = 1, knobs: Knobs | None = None, token: str | None = None) -> Flask:
    state = Simulator("rest", seed=seed, knobs=knobs or Knobs(), token=token)
    app = make_app(state)
    records: dict[str, dict[str, object]] = {}

    @app.get("/api/v1/status")
    def status() -> Response:
        return as_json({"status": "ok"})

    @app.post("/api/v1/antraege")
    @idempotent()
    def create_record() -> Response:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return problem(400, "Ungültiger Inhalt", "Ein JSON-Objekt wird erwartet")
        with state.lock:
            record_id = f"FV-{len(records) + 1:06d}"
            records[record_id] = {"id": record_id, "daten": data,
                                  "eingang": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            state.count("antrag")
            return as_json(records[record_id], 201)

    @app.get("/api/v1/antraege/<record_id>")
    def get_record(record_id: str) -> Response:
        with state.lock:
            found = records.get(record_id)
            return as_json(found) if found else problem(404, "Nicht gefunden", f"Kein Antrag {record_id}")

    return app


def main() -> None:
    args = cli_args("Generic Fachverfahren REST simulator")
    run_forever(create_app(args.seed, knobs_from(args), args.token), args)


if __name__ == "__main__":
    main()
