"""FIT-Connect intake: each submission announced by the Zustelldienst starts one case.

Design (the simplest honest one): the engine has no LeiKa column, so the web process maps a
service's LeiKa key to a deployed process by configuration; the Zustelldienst itself is the durable
queue (a submission stays "submitted" until we accept it), so a callback only queues the announced
ids in memory and answers at once; a worker thread in the web process fetches, checks and starts the
case outside the request. A lost queue (restart) is recovered by polling ``intake.pending()``.
Each start is idempotent (``messages.start_case_once`` with message id ``fitconnect:<submission>``):
two web processes that see the same submission start one case.

Configuration (environment, read when the app is created):

* connector keys ``AMTSFLOW_CONNECTOR_FITCONNECT_URL``, ``_CLIENT_ID``, ``_CLIENT_SECRET``,
  ``_DESTINATION_ID``, ``_CALLBACK_SECRET``, ``_TIMEOUT`` (see connectors/README.md);
* ``AMTSFLOW_FITCONNECT_LEIKA_<LeiKa key, 14 digits>=<process key>``: which process the service's
  submissions start;
* ``AMTSFLOW_FITCONNECT_SCHEMA_<LeiKa key>=<schema URI>`` (optional): the submission schema accepted for
  it; without it, the ``$id`` of the process's start-form JSON Schema. Data are validated against the
  start form;
* ``AMTSFLOW_FITCONNECT_POLL_SECONDS`` (default 0 = off): also poll for waiting submissions, starting
  with the first request the web process serves;
* ``AMTSFLOW_FITCONNECT_TENANT`` (default ``default``): the municipality whose destination this is.
  A destination belongs to one tenant; its submissions start cases there, whatever host the
  Zustelldienst's callback reached.

Municipalities of a regional provider's installation are Zustellpunkte of their own: a tenant with
FIT-Connect settings of its own (``amtsflow tenants update musterstadt --connector-secret
fitconnect.destination_id=MS_FIT_DEST --connector-secret fitconnect.client_secret=MS_FIT_SECRET
...``, engine/tenant_connectors.py) gets an inbox of its own (:class:`FitConnectInboxes`): its
callbacks arrive at its address (``/musterstadt/api/v1/callbacks/fitconnect`` or its host name)
and are checked with its callback secret, its submissions are fetched with its credentials and
start cases in that tenant, and polling covers its destination too. The LeiKa routes are the
installation's (the process library is shared).
"""

from __future__ import annotations

import hashlib
import heapq
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Mapping

from connectors.fitconnect import Problem, Submission, SubmissionRejected
from connectors.fitconnect_client import FitConnectIntake, create_intake
from engine.bootstrap import Engine
from engine.domain.errors import AmtsflowError, NotFound
from engine.settings import env_number
from engine.services import documents, messages
from engine.services.deploy import latest_definition
from engine.services.replay import DatabaseReplayGuard
from engine.tenancy import DEFAULT_TENANT, check_tenant_id, tenant_scope
from engine.tenant_connectors import REREAD_SECONDS

log = logging.getLogger("amtsflow.fitconnect")
ACTOR = "fitconnect"
LEIKA_PREFIX, SCHEMA_PREFIX = "AMTSFLOW_FITCONNECT_LEIKA_", "AMTSFLOW_FITCONNECT_SCHEMA_"


@dataclass(frozen=True)
class Route:
    leika: str                   # the 14-digit LeiKa key
    process_key: str
    schema_uri: str | None = None


def leika_key(identifier: str) -> str:
    """``urn:de:fim:leika:leistung:99058015000000`` -> ``99058015000000``."""
    return identifier.rsplit(":", 1)[-1].strip()


def settings_from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    schemas = {k[len(SCHEMA_PREFIX):]: v for k, v in environ.items() if k.startswith(SCHEMA_PREFIX) and v}
    routes = {k[len(LEIKA_PREFIX):]: Route(k[len(LEIKA_PREFIX):], v.strip(), schemas.get(k[len(LEIKA_PREFIX):]))
              for k, v in environ.items() if k.startswith(LEIKA_PREFIX) and v.strip()}
    return {"routes": routes, "poll_seconds": env_number(environ, "AMTSFLOW_FITCONNECT_POLL_SECONDS", float, 0.0, least=0),
            "tenant": check_tenant_id((environ.get("AMTSFLOW_FITCONNECT_TENANT") or DEFAULT_TENANT).strip())}


def _reject(problem_type: str, title: str, detail: str) -> list[Problem]:
    return [Problem(problem_type, title, detail)]


class FitConnectInbox:
    """Queue of announced submission ids and the thread that turns them into cases."""

    def __init__(self, engine: Engine, intake: FitConnectIntake, routes: Mapping[str, Route], *,
                 poll_seconds: float = 0.0, retry_delays: tuple[float, ...] = (5.0, 30.0, 120.0),
                 max_upload_bytes: int = documents.MAX_BYTES, tenant: str = DEFAULT_TENANT) -> None:
        self.engine, self.intake, self.routes = engine, intake, dict(routes)
        self.tenant = check_tenant_id(tenant)      # the destination's municipality: all work acts for it
        self.poll_seconds, self.retry_delays, self.max_upload_bytes = poll_seconds, retry_delays, max_upload_bytes
        self._due: list[tuple[float, int, str]] = []      # (monotonic due time, attempt, submission id)
        self._known: set[str] = set()
        self._busy = 0
        self._next_poll = 0.0
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._cv = threading.Condition()

    # -- the request side ------------------------------------------------------------------
    def receive(self, headers: Mapping[str, str], body: bytes) -> list[str]:
        """Verify a callback (``CallbackRefused`` -> 401) and queue its submission ids."""
        with tenant_scope(self.tenant):
            ids = self.intake.handle_callback(headers, body, now=self.engine.clock.now())
        for submission_id in ids:
            self.enqueue(submission_id)
        return ids

    def enqueue(self, submission_id: str, attempt: int = 0, delay: float = 0.0) -> None:
        with self._cv:
            if attempt == 0 and submission_id in self._known:
                return
            self._known.add(submission_id)
            heapq.heappush(self._due, (time.monotonic() + delay, attempt, submission_id))
            self._cv.notify_all()
        self.start()

    # -- processing ------------------------------------------------------------------------
    def process(self, submission_id: str) -> str | None:
        """Fetch, check, start the case and accept; the case id, or None if no longer waiting."""
        with tenant_scope(self.tenant):
            return self.intake.process(submission_id, self._start)

    def poll_once(self) -> int:
        with tenant_scope(self.tenant):
            ids = self.intake.pending()
        for submission_id in ids:
            self.enqueue(submission_id)
        return len(ids)

    def schema_for(self, schema_uri: str) -> Mapping[str, Any] | None:
        """The start-form schema of a mapped process that accepts ``schema_uri``; None when no mapped
        process does. While a mapped process is not deployed, that cannot be told: ``NotFound``
        leaves the submission waiting at the Zustelldienst instead of rejecting it."""
        missing = []
        for route in self.routes.values():
            try:
                schema = self._accepted(route, schema_uri)
            except NotFound:
                missing.append(route.process_key)
                continue
            if schema is not None:
                return schema
        if missing:
            raise NotFound(f"fitconnect: process(es) {', '.join(missing)} not deployed; submission schema "
                           f"{schema_uri} may be theirs, the submission stays waiting")
        return None

    def _accepted(self, route: Route, schema_uri: str) -> dict[str, Any] | None:
        schema = self._form_schema(route.process_key)
        return schema if schema is not None and schema_uri in (route.schema_uri, schema.get("$id")) else None

    def _form_schema(self, process_key: str) -> dict[str, Any] | None:
        """The latest version's start form (None without one); ``NotFound`` when not deployed."""
        with self.engine.db.connect() as conn:
            row: Any = latest_definition(conn, process_key)
        if row is None:
            raise NotFound(f"fitconnect: process '{process_key}' is not deployed")
        form = self.engine.definitions.get(row.id).model.start_form
        return form.schema if form is not None else None

    def _start(self, submission: Submission) -> str | None:
        route = self.routes.get(leika_key(submission.leika))
        problems: list[Problem] = []
        if route is None or self._accepted(route, submission.schema_uri) is None:
            problems = _reject("service-mismatch", "Leistung nicht angeboten",
                               f"no process for service {submission.leika} with schema {submission.schema_uri}")
        for attachment in submission.attachments:
            try:
                documents.check_upload(attachment.filename, attachment.content, self.max_upload_bytes)
            except AmtsflowError as exc:
                problems += _reject("incorrect-attachment-mime-type", "Anlage nicht zulässig", exc.message)
        if not problems and route is not None:
            try:
                outcome = messages.start_case_once(
                    self.engine, route.process_key, submission.data, uploads=self._attachments(submission),
                    message_id=f"fitconnect:{submission.submission_id}", actor=ACTOR)  # the engine assigns the key
            except NotFound:
                raise                     # process not deployed (yet): keep the submission waiting
            except AmtsflowError as exc:
                problems = _reject("schema-violation", "Fachdaten passen nicht zum Antrag", exc.message)
            else:
                log.info("fitconnect: submission %s -> case %s (%s)", submission.submission_id, outcome.case_id,
                         outcome.status)
                return outcome.case_id
        self.intake.client.send_event(submission.case_id, submission.submission_id, "reject", problems,
                                      idempotency_key=f"fitconnect:{submission.submission_id}:reject")
        raise SubmissionRejected(submission.submission_id, problems)

    def _attachments(self, submission: Submission) -> list[documents.Upload]:
        """The attachments, stored in the start's own transaction (a case never refers to an
        attachment that is not stored yet); each id names its attachment."""
        return [documents.accept(a.filename, a.content, self.max_upload_bytes,
                                 document_id=str(uuid.uuid5(uuid.NAMESPACE_URL,
                                                            f"fitconnect:{submission.submission_id}:{a.id}")))
                for a in submission.attachments]

    # -- the worker thread -----------------------------------------------------------------
    def start(self) -> None:
        with self._cv:
            if self._stopping or (self._thread is not None and self._thread.is_alive()):
                return
            self._thread = threading.Thread(target=self._run, name="amtsflow-fitconnect", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cv:
            self._stopping = True
            self._cv.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        self.intake.client.close()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once nothing is queued or running (tests, shutdown)."""
        with self._cv:
            return self._cv.wait_for(lambda: not self._due and self._busy == 0, timeout)

    def _next(self) -> tuple[str, int] | str | None:
        """The next submission (id, attempt), "poll", or None when stopping."""
        with self._cv:
            while not self._stopping:
                now = time.monotonic()
                if self.poll_seconds and now >= self._next_poll:
                    self._next_poll = now + self.poll_seconds
                    self._busy += 1
                    return "poll"
                if self._due and self._due[0][0] <= now:
                    _, attempt, submission_id = heapq.heappop(self._due)
                    self._busy += 1
                    return submission_id, attempt
                waits = ([self._due[0][0] - now] if self._due else []) + \
                    ([self._next_poll - now] if self.poll_seconds else [])
                self._cv.wait(timeout=min(waits) if waits else None)
            return None

    def _run(self) -> None:
        while (item := self._next()) is not None:
            try:
                if item == "poll":
                    self._safely(self.poll_once)
                else:
                    assert isinstance(item, tuple)
                    self._handle(*item)
            finally:
                with self._cv:
                    self._busy -= 1
                    self._cv.notify_all()

    def _handle(self, submission_id: str, attempt: int) -> None:
        try:
            self.process(submission_id)
        except SubmissionRejected as exc:
            log.warning("fitconnect: %s", exc)
        except Exception as exc:  # noqa: BLE001 - Zustelldienst down, process missing ...: retry later
            if attempt < len(self.retry_delays):
                log.warning("fitconnect: submission %s failed (%s), retry in %s s", submission_id, exc,
                            self.retry_delays[attempt])
                self.enqueue(submission_id, attempt + 1, self.retry_delays[attempt])
                return
            log.error("fitconnect: submission %s failed for good (%s); it stays at the Zustelldienst%s",
                      submission_id, exc, "" if self.poll_seconds else " (enable polling to pick it up)")
        with self._cv:
            self._known.discard(submission_id)

    def _safely(self, action: Any) -> None:
        try:
            action()
        except Exception:  # noqa: BLE001 - polling must go on
            log.exception("fitconnect: polling failed")


def build_inbox(engine: Engine, connector_config: Mapping[str, str], settings: Mapping[str, Any], *,
                max_upload_bytes: int) -> FitConnectInbox:
    holder: list[FitConnectInbox] = []
    intake = create_intake(connector_config, lambda uri: holder[0].schema_for(uri),
                           replay_guard=DatabaseReplayGuard(engine))
    holder.append(FitConnectInbox(engine, intake, settings.get("routes", {}),
                                  poll_seconds=float(settings.get("poll_seconds", 0)),
                                  retry_delays=tuple(settings.get("retry_delays", (5.0, 30.0, 120.0))),
                                  max_upload_bytes=max_upload_bytes,
                                  tenant=settings.get("tenant", DEFAULT_TENANT)))
    return holder[0]


class FitConnectInboxes:
    """A web process's FIT-Connect inboxes: the installation's destination and one per tenant
    with FIT-Connect settings of its own (see the module's docstring), each built on first use
    and built again when its settings change."""

    def __init__(self, engine: Engine, connector_config: Mapping[str, str], settings: Mapping[str, Any], *,
                 max_upload_bytes: int) -> None:
        self.engine, self.installation, self.settings = engine, dict(connector_config), dict(settings)
        self.max_upload_bytes = max_upload_bytes
        self._lock = threading.Lock()
        self._inboxes: dict[str | None, tuple[str, FitConnectInbox]] = {}   # tenant (None: installation)
        self._polled_at: float | None = None

    def for_tenant(self, tenant_id: str | None) -> FitConnectInbox:
        """The inbox for a callback that reached ``tenant_id``'s address: the tenant's own, or the
        installation's when it has no FIT-Connect settings of its own. TenantConnectorMissing when
        its settings name a secret that is not set in this process."""
        own = tenant_id if self.engine.tenant_connectors.has_own(tenant_id, "fitconnect") else None
        config = self.engine.tenant_connectors.config(own, "fitconnect", self.installation)
        fingerprint = hashlib.sha256(json.dumps(sorted(config.items())).encode()).hexdigest()
        with self._lock:
            found = self._inboxes.get(own)
            if found is not None and found[0] == fingerprint:
                return found[1]
            settings = dict(self.settings, tenant=own) if own is not None else self.settings
            inbox = build_inbox(self.engine, config, settings, max_upload_bytes=self.max_upload_bytes)
            self._inboxes[own] = (fingerprint, inbox)
        if found is not None:   # its settings changed: the old one finishes what it holds and stops
            threading.Thread(target=found[1].stop, name="amtsflow-fitconnect-stop", daemon=True).start()
        if inbox.poll_seconds:
            inbox.start()
        return inbox

    def poll_all(self) -> None:
        """With polling on, start (again, every REREAD_SECONDS at most) the inbox of the
        installation and of every tenant with FIT-Connect settings of its own; a tenant added
        later is picked up then."""
        if not self.settings.get("poll_seconds"):
            return
        now = time.monotonic()
        with self._lock:
            if self._polled_at is not None and now - self._polled_at < REREAD_SECONDS:
                return
            self._polled_at = now
        installation = [None] if self.installation.get("fitconnect_url") else []   # a destination of its own
        for tenant_id in [*installation, *self.engine.tenant_connectors.tenants_with("fitconnect")]:
            try:
                self.for_tenant(tenant_id).start()
            except Exception:  # noqa: BLE001 - one municipality's broken settings must not stop the others
                log.exception("fitconnect: cannot poll for tenant %s", tenant_id or "(installation)")

    def inboxes(self) -> list[FitConnectInbox]:
        with self._lock:
            return [inbox for _fingerprint, inbox in self._inboxes.values()]

    def stop(self, timeout: float = 5.0) -> None:
        with self._lock:
            inboxes, self._inboxes = [inbox for _f, inbox in self._inboxes.values()], {}
        for inbox in inboxes:
            inbox.stop(timeout)
