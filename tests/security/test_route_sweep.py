"""Every route, as every kind of person, with odd values in the path, the query and the body:
never a server error (issue 12: "no input yields a 500"). The route list is the app's own, so a
new route is swept from the day it is added; the odd values are the kinds that broke routes
before (overlong text, a path escape, a NUL, non-ASCII, numbers out of every range, SQL and
markup), besides real case ids, task ids and business keys."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from engine.bootstrap import Engine
from engine.services import cases, queries
from engine.services.deploy import deploy, read_paths
from tests.conftest import MODELS
from tests.security._app import PROCESSES, app, client, people  # noqa: F401
from tests.web.conftest import csrf_token, login_as

ODD = ["x" * 300, "..%2F..%2Fetc%2Fpasswd", "%00", "ä–ö€", "-1", "99999999999999999999", "0", "null",
       "' OR 1=1 --", "<script>alert(1)</script>"]
# the query and form names the routes read (paging, filters, sorting, search, the API's names)
NAMES = ["seite", "page", "cursor", "q", "suche", "sort", "sortierung", "order", "status", "prozess", "version",
         "limit", "offset", "von", "bis", "eingang_von", "eingang_bis", "ende_von", "ende_bis", "feld", "wert",
         "aktenzeichen", "firstResult", "maxResults", "gruppe", "faellig", "wiedervorlage", "leistung",
         "wait", "id", "key", "businessKey", "processDefinitionKey", "sortBy", "sortOrder", "aktion", "grund",
         "kommentar", "data", "variables", "datum", "an", "notiz"]
# "tenant" is left out: an unknown tenant is refused before any view runs, for every route
# by design: "not ready" while no worker reports (the test app runs none)
NOT_READY = "/health/ready"


def _real_values(engine: Engine) -> list[str]:
    """A citizen's case waiting at a clerk's task: its id, its task's id and its business key."""
    case_id = cases.start_case(engine, "inbox", {}, actor="erika", business_key="SW-2026-000001")
    tasks = queries.list_tasks(engine, case_id=case_id)
    return [case_id, *[task["id"] for task in tasks], str(queries.get_case(engine, case_id)["business_key"])]


def _signed_in(browser: FlaskClient, user: str) -> bool:
    with browser.session_transaction() as session:
        return session.get("user") == user


def test_no_route_answers_with_a_server_error(engine: Engine, app: Flask, client: FlaskClient) -> None:  # noqa: F811
    deploy(engine, read_paths([str(PROCESSES / "bewohnerparkausweis")]), actor="po")   # a service of the portal
    deploy(engine, read_paths([str(MODELS / "inbox.bpmn")]), actor="po")
    real = _real_values(engine)
    assert len(real) == 3, real
    rules = sorted((rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"), key=str)
    assert len(rules) > 100
    failures: list[str] = []
    for user in (None, "erika", "sb1", "po", "admin"):
        login_as(client, None)
        token = ""
        for rule in rules:
            for k, value in enumerate([*ODD[:3], *real]):
                url = re.sub(r"<(?:[^:>]+:)?[^>]+>", value, rule.rule)
                odd = {name: ODD[(i + k) % len(ODD)] for i, name in enumerate(NAMES)}
                for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                    if method == "GET":
                        attempts: list[dict[str, Any]] = [{"query_string": odd}]
                    else:
                        attempts = [{"data": {**odd, "csrf_token": token}, "headers": {"X-CSRFToken": token}},
                                    {"json": {name: [k, {"x": None}] for name in NAMES}, "headers": {"X-CSRFToken": token}}]
                    for kwargs in attempts:
                        if user and not _signed_in(client, user):   # first, or after a route that signs out
                            login_as(client, user)
                            token = csrf_token(client, "/")
                            for attempt in attempts:
                                attempt["headers"] = {"X-CSRFToken": token}
                                if "data" in attempt:
                                    attempt["data"]["csrf_token"] = token
                        where = f"{user or 'anonymous'} {method} {url} {sorted(kwargs)}"
                        try:
                            response = client.open(url, method=method, **kwargs)
                        except Exception as exc:  # noqa: BLE001 - the test app lets errors through: a 500
                            failures.append(f"{where}: {exc!r}"[:400])
                            continue
                        if response.status_code >= 500 and not url.startswith(NOT_READY):
                            failures.append(f"{where}: {response.status_code}")
    assert not failures, "\n".join(failures[:50])
