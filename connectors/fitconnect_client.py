"""The receiving side of FIT-Connect: Submission API client, intake and the ``fitconnect`` connector.

* ``FitConnectClient``: OAuth2 client credentials, list/fetch submissions and attachments, post
  accept/reject events to the case's event log.
* ``FitConnectIntake``: what the web layer calls for a callback (``handle_callback``) and what a
  poller or job calls per submission (``process``: fetch, validate, start the case, accept).
* ``FitConnectConnector`` (operations ``accept_submission``, ``reject_submission``) for models that
  decide themselves when to confirm or refuse a submission.

Configuration: ``fitconnect_url``, ``fitconnect_client_id``, ``fitconnect_client_secret``,
``fitconnect_destination_id``, ``fitconnect_callback_secret``, ``fitconnect_timeout``.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any, Callable, Mapping, Sequence, TypeVar
from urllib.parse import quote

from connectors.base import AuthRefused, BackOffice, BaseConnector, BusinessError, config_float, obj, operation
from connectors.fitconnect import (Problem, Submission, SubmissionRejected, parse_callback, parse_submission,
                                   verify_callback)
from connectors.signing import ReplayCache, ReplayGuard
from engine.ports import ConnectorError, ServiceRequest

T = TypeVar("T")
UNKNOWN = "EINREICHUNG_UNBEKANNT"
CLOSED = "EINREICHUNG_BEREITS_ABGESCHLOSSEN"
SID = {"type": "string", "pattern": r"^[A-Za-z0-9-]{8,64}$"}


class FitConnectClient:
    def __init__(self, base_url: str | None, client_id: str, client_secret: str, timeout: float = 10.0) -> None:
        self.api = BackOffice("fitconnect", base_url, timeout=timeout)
        self._credentials = {"grant_type": "client_credentials", "client_id": client_id,
                             "client_secret": client_secret, "scope": "receive"}
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        self.api.close()

    def _auth(self) -> dict[str, str]:
        with self._lock:
            if self._token is None or self._token[1] <= time.monotonic():
                answer = self.api.json("POST", "/token", data=self._credentials)
                if not isinstance(answer, Mapping) or not isinstance(answer.get("access_token"), str):
                    raise ConnectorError("fitconnect: malformed token answer")
                lifetime = float(answer.get("expires_in") or 300)
                self._token = (answer["access_token"], time.monotonic() + max(lifetime - 30, 1))
            return {"Authorization": f"Bearer {self._token[0]}"}

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return self.api.json(method, path, headers=self._auth(), **kwargs)
        except AuthRefused:
            with self._lock:
                self._token = None            # revoked or expired early: fetch a new token once
            return self.api.json(method, path, headers=self._auth(), **kwargs)

    def list_submissions(self, destination_id: str) -> list[str]:
        answer = self._json("GET", f"/v1/destinations/{quote(destination_id)}/submissions")
        items = answer.get("submissions") if isinstance(answer, Mapping) else None
        if not isinstance(items, list):
            raise ConnectorError("fitconnect: malformed submission list")
        return [str(i.get("submissionId")) for i in items if isinstance(i, Mapping)]

    def get_submission(self, submission_id: str) -> Mapping[str, Any]:
        answer = self._json("GET", f"/v1/submissions/{quote(submission_id)}")
        if not isinstance(answer, Mapping) or answer.get("submissionId") != submission_id:
            raise ConnectorError(f"fitconnect: malformed submission {submission_id}")
        return answer

    def get_attachment(self, submission_id: str, attachment_id: str) -> bytes:
        return self.api.send("GET", f"/v1/submissions/{quote(submission_id)}/attachments/{quote(attachment_id)}",
                             headers=self._auth()).content

    def send_event(self, case_id: str, submission_id: str, event: str, problems: Sequence[Problem] = (),
                   idempotency_key: str | None = None) -> Mapping[str, Any]:
        body = {"submissionId": submission_id, "event": event, "problems": [p.as_dict() for p in problems]}
        answer = self._json("POST", f"/v1/cases/{quote(case_id)}/events", json=body, idempotency_key=idempotency_key)
        return answer if isinstance(answer, Mapping) else {}


class FitConnectIntake:
    """Turns Zustelldienst callbacks into validated submissions, one case each."""

    def __init__(self, client: FitConnectClient, destination_id: str, callback_secret: str,
                 schema_for: Callable[[str], Mapping[str, Any] | None],
                 replay_guard: ReplayGuard | None = None, clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.destination_id = destination_id
        self.callback_secret = callback_secret
        self.schema_for = schema_for
        self.replay_guard = replay_guard or ReplayCache(clock)
        self.clock = clock

    def handle_callback(self, headers: Mapping[str, str], body: bytes,
                        now: datetime | float | None = None) -> list[str]:
        """Verify a callback (raises ``CallbackRefused`` -> answer 401) and return the announced ids."""
        verify_callback(headers, body, self.callback_secret, self.clock() if now is None else now, self.replay_guard)
        return parse_callback(body)

    def pending(self) -> list[str]:
        """Submissions waiting at the Zustelldienst (polling instead of, or after missed, callbacks)."""
        return self.client.list_submissions(self.destination_id)

    def fetch(self, submission_id: str) -> Submission:
        """Fetch and check a submission; an invalid one is rejected at the Zustelldienst and
        ``SubmissionRejected`` is raised."""
        raw = self.client.get_submission(submission_id)
        if raw.get("status") != "submitted":
            raise BusinessError(CLOSED, f"submission {submission_id} is {raw.get('status')}, not waiting")
        if raw.get("destinationId") != self.destination_id:
            raise ConnectorError(f"fitconnect: submission {submission_id} is for another destination")
        files = {str(aid): self.client.get_attachment(submission_id, str(aid)) for aid in raw.get("attachments") or []}
        try:
            return parse_submission(raw, files, self.schema_for)
        except SubmissionRejected as exc:
            self.client.send_event(str(raw.get("caseId")), submission_id, "reject", exc.problems,
                                   idempotency_key=f"fitconnect:{submission_id}:reject")
            raise

    def process(self, submission_id: str, start: Callable[[Submission], T]) -> T | None:
        """Fetch, validate, ``start(submission)`` (must be idempotent per submission id, e.g. a
        message start with message id = submission id) and accept. Returns None when the submission
        is no longer waiting (already accepted or rejected, e.g. a repeated callback)."""
        try:
            submission = self.fetch(submission_id)
        except BusinessError:
            return None
        result = start(submission)
        try:
            self.client.send_event(submission.case_id, submission_id, "accept",
                                   idempotency_key=f"fitconnect:{submission_id}:accept")
        except BusinessError as exc:
            if exc.code != CLOSED:
                raise
        return result


class FitConnectConnector(BaseConnector):
    name = "fitconnect"

    def __init__(self, config: Mapping[str, str]) -> None:
        super().__init__()
        self.client = FitConnectClient(config.get("fitconnect_url"), config.get("fitconnect_client_id", ""),
                                       config.get("fitconnect_client_secret", ""),
                                       config_float(config, "fitconnect_timeout", 10.0))

    def close(self) -> None:
        self.client.close()

    def _event(self, params: Mapping[str, Any], request: ServiceRequest, event: str,
               problems: list[Problem]) -> Any:
        raw = self.client.get_submission(params["submission_id"])
        answer = self.client.send_event(str(raw.get("caseId")), params["submission_id"], event, problems,
                                        idempotency_key=request.idempotency_key)
        return {"submission_id": params["submission_id"], "case_id": raw.get("caseId"), "status": answer.get("status")}

    @operation("accept_submission", "Einreichung gegenüber dem Zustelldienst annehmen (accept-Event)",
               params=obj({"submission_id": SID}, ("submission_id",)),
               result=obj({"submission_id": SID, "case_id": {"type": "string"}, "status": {"const": "accepted"}},
                          ("submission_id", "case_id", "status")),
               errors=(UNKNOWN, CLOSED))
    def accept_submission(self, params: Mapping[str, Any], request: ServiceRequest) -> Any:
        return self._event(params, request, "accept", [])

    @operation("reject_submission", "Einreichung zurückweisen (reject-Event mit Begründung)",
               params=obj({"submission_id": SID, "grund": {"type": "string", "minLength": 1, "maxLength": 500}},
                          ("submission_id", "grund")),
               result=obj({"submission_id": SID, "case_id": {"type": "string"}, "status": {"const": "rejected"}},
                          ("submission_id", "case_id", "status")),
               errors=(UNKNOWN, CLOSED))
    def reject_submission(self, params: Mapping[str, Any], request: ServiceRequest) -> Any:
        return self._event(params, request, "reject", [Problem("technical-error", "Zurückgewiesen", params["grund"])])


def create(config: Mapping[str, str]) -> FitConnectConnector:
    return FitConnectConnector(config)


def create_intake(config: Mapping[str, str], schema_for: Callable[[str], Mapping[str, Any] | None],
                  replay_guard: ReplayGuard | None = None) -> FitConnectIntake:
    """The intake for the web layer, from the same configuration keys as the connector."""
    client = FitConnectClient(config.get("fitconnect_url"), config.get("fitconnect_client_id", ""),
                              config.get("fitconnect_client_secret", ""),
                              config_float(config, "fitconnect_timeout", 10.0))
    return FitConnectIntake(client, config.get("fitconnect_destination_id", ""),
                            config.get("fitconnect_callback_secret", ""), schema_for, replay_guard)
