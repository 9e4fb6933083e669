"""Simulator of a FIT-Connect Zustelldienst (Submission API), both sides.

    POST /token                                  OAuth2 client credentials -> bearer token
  sender (online service / portal):
    POST /v1/submissions                         {destinationId, serviceType, announcedAttachments}
    PUT  /v1/submissions/<sid>/attachments/<aid> raw attachment
    PUT  /v1/submissions/<sid>                   {metadata, data (base64)} -> submitted, callback sent
  receiver (amtsflow):
    PUT  /v1/destinations/<did>/callback         {url, secret}
    GET  /v1/destinations/<did>/submissions      waiting submissions
    GET  /v1/submissions/<sid>[/attachments/<aid>]
    POST /v1/cases/<caseId>/events               {submissionId, event: accept|reject, problems} (Idempotency-Key)
    GET  /v1/cases/<caseId>/events               event log

Callbacks: POST {"type": new-submissions, "submissionIds": [...]} with ``callback-timestamp`` and
``callback-authentication`` = hex HMAC-SHA512(secret, "<timestamp>.<body>").
Run on its own: ``python -m connectors.simulators.fitconnect --port 8105``.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import uuid
from typing import Any, Mapping, Sequence

import httpx
from flask import Flask, Response, request

from connectors.base import http_client
from connectors.fitconnect import NEW_SUBMISSIONS, SIGNATURE_HEADER, TIMESTAMP_HEADER, build_metadata
from connectors.signing import sign
from connectors.simulators.common import (Knobs, Simulator, as_json, cli_args, idempotent, knobs_from, make_app,
                                          problem, run_forever)

DEMO_CLIENTS = {"amtsflow-receiver": "receiver-secret", "portal-sender": "sender-secret"}
DEMO_DESTINATION = "0f6c2f6e-4a5d-4b1e-9d2a-6d1f3c9b8a70"


def create_app(seed: int = 1, knobs: Knobs | None = None, clients: Mapping[str, str] | None = None,
               destinations: Mapping[str, Mapping[str, str]] | None = None) -> Flask:
    state = Simulator("fitconnect", seed=seed, knobs=knobs or Knobs())
    app = make_app(state)
    client_secrets = dict(clients or DEMO_CLIENTS)
    tokens: dict[str, float] = {}
    dests: dict[str, dict[str, str]] = {k: dict(v) for k, v in (destinations or {DEMO_DESTINATION: {}}).items()}
    subs: dict[str, dict[str, Any]] = {}
    events: dict[str, list[dict[str, Any]]] = {}
    deliveries: list[dict[str, Any]] = []

    @app.before_request
    def _bearer() -> Response | None:
        if not request.path.startswith("/v1/"):
            return None
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        with state.lock:
            if tokens.get(token, 0) < time.time():
                return problem(401, "Unauthorized", "invalid or expired access token")
        return None

    def notify(sid: str) -> None:
        with state.lock:
            dest = dests.get(subs[sid]["destinationId"], {})
        if not dest.get("url"):
            return
        body = json.dumps({"type": NEW_SUBMISSIONS, "submissionIds": [sid]}).encode()
        for attempt in range(4):
            ts = str(int(time.time()))
            headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: ts,
                       SIGNATURE_HEADER: sign(dest["secret"], ts, body, "sha512")}
            try:
                with http_client(timeout=5) as http:
                    answer: int | str = http.post(dest["url"], content=body, headers=headers).status_code
            except httpx.HTTPError as exc:
                answer = type(exc).__name__
            with state.lock:
                deliveries.append({"submissionId": sid, "attempt": attempt + 1, "answer": answer})
            if isinstance(answer, int) and answer < 300 or state.stopping.wait(0.2 * 2 ** attempt):
                return

    def find(sid: str, status: str | None = None) -> dict[str, Any] | Response:
        sub = subs.get(sid)
        if sub is None or (status and sub["status"] != status):
            return problem(404, "Einreichung unbekannt", f"no submission {sid} waiting", "EINREICHUNG_UNBEKANNT")
        return sub

    @app.post("/token")
    def token() -> Response:
        form = request.form
        secret = form.get("client_secret")
        if form.get("grant_type") != "client_credentials" or not secret \
                or client_secrets.get(form.get("client_id", "")) != secret:
            return problem(401, "invalid_client", "unknown client or wrong secret")
        issued = secrets.token_urlsafe(24)
        with state.lock:
            tokens[issued] = time.time() + 600
        return as_json({"access_token": issued, "token_type": "Bearer", "expires_in": 600, "scope": form.get("scope")})

    @app.put("/v1/destinations/<did>/callback")
    def set_callback(did: str) -> Response:
        body = request.get_json(silent=True) or {}
        if not body.get("url") or len(str(body.get("secret", ""))) < 16:
            return problem(400, "Ungültiger Callback", "url and a secret of at least 16 characters are required")
        with state.lock:
            dests[did] = {"url": str(body["url"]), "secret": str(body["secret"])}
        return as_json({"destinationId": did, "callbackUrl": body["url"]})

    @app.post("/v1/submissions")
    def announce() -> Response:
        body = request.get_json(silent=True) or {}
        if body.get("destinationId") not in dests:
            return problem(404, "Zustellpunkt unbekannt", str(body.get("destinationId")))
        sid, case_id = str(uuid.uuid4()), str(uuid.uuid4())
        with state.lock:
            subs[sid] = {"submissionId": sid, "caseId": case_id, "destinationId": body["destinationId"],
                         "serviceType": body.get("serviceType") or {}, "status": "announced",
                         "attachments": [str(a) for a in body.get("announcedAttachments") or []], "files": {}}
        return as_json({"destinationId": body["destinationId"], "submissionId": sid, "caseId": case_id}, 201)

    @app.put("/v1/submissions/<sid>/attachments/<aid>")
    def upload(sid: str, aid: str) -> Response:
        with state.lock:
            sub = find(sid, "announced")
            if isinstance(sub, Response) or aid not in sub["attachments"]:
                return sub if isinstance(sub, Response) else problem(404, "Anlage nicht angekündigt", aid)
            sub["files"][aid] = request.get_data()
        return Response(status=204)

    @app.put("/v1/submissions/<sid>")
    def submit(sid: str) -> Response:
        body = request.get_json(silent=True) or {}
        with state.lock:
            sub = find(sid, "announced")
            if isinstance(sub, Response):
                return sub
            if set(sub["files"]) != set(sub["attachments"]):
                return problem(422, "Anlagen fehlen", "all announced attachments must be uploaded first")
            sub.update(metadata=body.get("metadata"), data=body.get("data"), status="submitted")
            state.count("submission")
        threading.Thread(target=notify, args=(sid,), daemon=True, name="fitconnect-callback").start()
        return as_json({"submissionId": sid, "status": "submitted"}, 202)

    @app.get("/v1/destinations/<did>/submissions")
    def waiting(did: str) -> Response:
        with state.lock:
            items = [{"destinationId": did, "submissionId": s["submissionId"], "caseId": s["caseId"]}
                     for s in subs.values() if s["destinationId"] == did and s["status"] == "submitted"]
        return as_json({"count": len(items), "offset": 0, "totalCount": len(items), "submissions": items})

    @app.get("/v1/submissions/<sid>")
    def fetch(sid: str) -> Response:
        with state.lock:
            sub = find(sid)
            if isinstance(sub, Response) or sub["status"] == "announced":
                return sub if isinstance(sub, Response) else problem(404, "Einreichung unvollständig", sid,
                                                                     "EINREICHUNG_UNBEKANNT")
            return as_json({k: sub[k] for k in ("submissionId", "caseId", "destinationId", "serviceType", "status",
                                                 "attachments", "metadata", "data")})

    @app.get("/v1/submissions/<sid>/attachments/<aid>")
    def attachment(sid: str, aid: str) -> Response:
        with state.lock:
            sub = find(sid, "submitted")
            if isinstance(sub, Response) or aid not in sub["files"]:
                return sub if isinstance(sub, Response) else problem(404, "Anlage unbekannt", aid)
            return Response(sub["files"][aid], content_type="application/octet-stream")

    @app.post("/v1/cases/<case_id>/events")
    @idempotent()
    def post_event(case_id: str) -> Response:
        body = request.get_json(silent=True) or {}
        event = body.get("event")
        if event not in ("accept", "reject"):
            return problem(400, "Ungültiges Ereignis", "event must be accept or reject")
        with state.lock:
            sub = find(str(body.get("submissionId")))
            if isinstance(sub, Response) or sub["caseId"] != case_id:
                return sub if isinstance(sub, Response) else problem(404, "Vorgang unbekannt", case_id,
                                                                     "EINREICHUNG_UNBEKANNT")
            final = {"accept": "accepted", "reject": "rejected"}[event]
            if sub["status"] != "submitted":
                if sub["status"] == final:
                    return as_json({"submissionId": sub["submissionId"], "status": final})
                return problem(409, "Bereits abgeschlossen", f"submission is {sub['status']}",
                               "EINREICHUNG_BEREITS_ABGESCHLOSSEN")
            sub.update(status=final, data=None, metadata=None, files={})   # the Zustelldienst deletes the content
            events.setdefault(case_id, []).append({"event": event, "submissionId": sub["submissionId"],
                                                   "problems": body.get("problems") or [], "time": int(time.time())})
            state.count(event)
            return as_json({"submissionId": sub["submissionId"], "status": final})

    @app.get("/v1/cases/<case_id>/events")
    def event_log(case_id: str) -> Response:
        with state.lock:
            return as_json({"eventLog": list(events.get(case_id, []))})

    @app.get("/_admin/callbacks")
    def callbacks() -> Response:
        with state.lock:
            return as_json(list(deliveries))

    return app


def send_submission(base_url: str, destination_id: str, leika: str, service_name: str, schema_uri: str,
                    data: Mapping[str, Any], attachments: Sequence[tuple[str, str, bytes]] = (),
                    client_id: str = "portal-sender", client_secret: str = "sender-secret") -> dict[str, str]:
    """Sender side (portal, tests, demo): announce, upload attachments, submit. Returns the ids."""
    with http_client(base_url=base_url, timeout=10) as http:
        tok = http.post("/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                        "client_secret": client_secret, "scope": "send"})
        tok.raise_for_status()
        http.headers["Authorization"] = f"Bearer {tok.json()['access_token']}"
        files = [(str(uuid.uuid4()), name, mime, content) for name, mime, content in attachments]
        created = http.post("/v1/submissions", json={"destinationId": destination_id,
                                                     "serviceType": {"name": service_name, "identifier": leika},
                                                     "announcedAttachments": [f[0] for f in files]})
        created.raise_for_status()
        ids = created.json()
        for aid, _name, _mime, content in files:
            http.put(f"/v1/submissions/{ids['submissionId']}/attachments/{aid}", content=content).raise_for_status()
        raw = json.dumps(dict(data), ensure_ascii=False).encode()
        meta = build_metadata(raw, schema_uri, files)
        http.put(f"/v1/submissions/{ids['submissionId']}",
                 json={"metadata": meta, "data": base64.b64encode(raw).decode()}).raise_for_status()
        return {"submissionId": ids["submissionId"], "caseId": ids["caseId"]}


def main() -> None:
    args = cli_args("FIT-Connect Zustelldienst (Submission API) simulator")
    run_forever(create_app(args.seed, knobs_from(args)), args)


if __name__ == "__main__":
    main()
