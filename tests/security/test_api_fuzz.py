"""Property-based fuzzing of /api/v1 from its own OpenAPI document (schemathesis + Hypothesis).

Every operation gets generated requests (valid and invalid by the schema) with each role's
token; some of them aim at a real case and task instead of random ids. No answer may be a
5xx, and every answer must match the document: declared status code, content type, body
schema and headers. The bounded run is part of the suite; ``make fuzz`` runs it longer
(AMTSFLOW_FUZZ_EXAMPLES examples per operation and role) and prints the figures.
"""

from __future__ import annotations

import json
import traceback
import os
from collections import Counter

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from tests.security.test_bad_input import VALID

EXAMPLES = int(os.environ.get("AMTSFLOW_FUZZ_EXAMPLES", "6"))
RANDOM = os.environ.get("AMTSFLOW_FUZZ_RANDOM", "") in ("1", "true", "yes")   # make fuzz: a new seed each run
def _nested(depth: int) -> object:
    value: object = "tief"
    for _ in range(depth):
        value = [value]
    return value


# Values the generator rarely hits on its own, put into one path, query or body field of a case:
# what broke the API before (NUL on PostgreSQL, lone surrogates, NaN/Infinity, deep nesting).
HOSTILE: list[object] = ["a\x00b", "\x00", "\ud800", "x\udfffy", float("nan"), float("inf"), 1e308 * 10,
                         "x" * 5000, _nested(40),
                         {"\x00": 1}, "../../etc/passwd", "' OR '1'='1", -1, 10**30]


def _inject(case, value: object, spot: int) -> None:
    """Put ``value`` into one of the case's fields (chosen by ``spot``)."""
    places: list[tuple[dict, str]] = []
    for container in (case.path_parameters, case.query):
        if isinstance(container, dict):
            places += [(container, name) for name in container]
    body = case.body if isinstance(case.body, dict) and case.media_type == "application/json" else None
    if body is not None:
        places += [(body, name) for name in body]
        data = body.get("data")
        if isinstance(data, dict):
            places += [(data, name) for name in data] + [(data, "feld")]
        else:
            places.append((body, "data"))
    if not places:
        return
    container, name = places[spot % len(places)]
    if container is case.path_parameters or container is case.query:
        value = value if isinstance(value, str) else str(value)
        if not _utf8(value):      # a lone surrogate has no UTF-8 form: it cannot travel in a URL
            value = "a\x00b"
    container[name] = value


def _utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _send(web, case, headers: dict[str, str]):
    """Through schemathesis, except bodies with NaN/Infinity, which its JSON encoder refuses
    to write: those go out as Python's json writes them (as a careless client would)."""
    text = json.dumps(case.body) if isinstance(case.body, dict) else ""
    if "NaN" in text or "Infinity" in text:
        return web.client.open("/api/v1" + case.formatted_path, method=case.method, query_string=case.query,
                               data=json.dumps(case.body), content_type="application/json", headers=headers)
    return case.call(headers=headers)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]


def _known_ids(web) -> dict[str, list[str]]:
    """A real case with an open task (and an unknown id) for the path parameters."""
    started = web.client.post("/api/v1/cases", json={"key": "webantrag", "data": VALID}, headers=web.auth("citizen"))
    assert started.status_code == 201, started.get_data(as_text=True)
    [task] = web.client.get("/api/v1/tasks", headers=web.auth("clerk")).get_json()
    return {"case_id": [started.get_json()["id"]], "task_id": [task["id"]], "incident_id": ["0" * 36]}


def test_api_fuzz_finds_no_server_error_and_no_lie_in_the_document(web):
    known = _known_ids(web)
    roles = sorted(web.tokens)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", web.client.application)
    figures: Counter[str] = Counter()
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES * len(roles), deadline=None, database=None, derandomize=not RANDOM,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(), role=st.sampled_from(roles), aim=st.booleans(),
               hostile=st.one_of(st.none(), st.sampled_from(HOSTILE)), spot=st.integers(0, 50))
        def run(case, role, aim, hostile, spot):
            if aim:
                for name in list(case.path_parameters or {}):
                    if name in known:
                        case.path_parameters[name] = known[name][0]
            if hostile is not None:
                _inject(case, hostile, spot)
            headers = {} if operation.path.startswith("/callbacks/") else web.auth(role)
            where = f"{operation.method.upper()} {operation.path} as {role} (hostile: {hostile!r:.40})"
            try:
                response = _send(web, case, headers)
            except Exception as exc:  # a view that raised (the test app propagates it): a 500
                figures["requests"] += 1
                figures["5xx"] += 1
                failures.append(f"{where}: raised {exc.__class__.__name__}: {str(exc)[:300]}\n"
                                + "".join(traceback.format_exc().splitlines(keepends=True)[-12:]))
                raise
            figures["requests"] += 1
            figures[f"{response.status_code // 100}xx"] += 1
            if hasattr(response, "get_data"):     # sent by hand (NaN): the status is what counts
                if response.status_code >= 500:
                    failures.append(f"{where}: {response.status_code} {response.get_data(as_text=True)[:300]}")
                    raise AssertionError(where)
                return
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (Exception, BaseExceptionGroup) as exc:  # collected, reported together below
                failures.append(f"{where}: {response.status_code} {str(exc)[:300]} {response.text[:300]}")
                raise

        try:
            run()
        except (Exception, BaseExceptionGroup):  # noqa: BLE001 - in ``failures``; go on with the next operation
            pass
    print(f"\nAPI fuzz: {figures['requests']} requests, " + ", ".join(
        f"{k} {v}" for k, v in sorted(figures.items()) if k != "requests"))
    assert figures["5xx"] == 0 and not failures, "\n\n".join(failures)
    assert figures["requests"] >= EXAMPLES * 10
