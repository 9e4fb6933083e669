"""Property-based fuzzing of /engine-rest from its OpenAPI document (schemathesis + Hypothesis),
as tests/security/test_api_fuzz.py does for /api/v1: every operation gets generated requests
(valid and invalid by the schema) with each role's token, some aimed at a deployed process, some
with a hostile value in one field. No answer may be a 5xx. Long polls are capped to 50 ms here."""

from __future__ import annotations

import json
import os
import traceback
from collections import Counter

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from tests.security.test_api_fuzz import HOSTILE, _inject

EXAMPLES = int(os.environ.get("AMTSFLOW_FUZZ_EXAMPLES", "4"))


def _send(web, case, headers: dict[str, str]):
    """Through schemathesis, except bodies with NaN/Infinity, which its JSON encoder refuses to
    write: those go out as Python's json writes them (as a careless client would)."""
    text = json.dumps(case.body) if isinstance(case.body, dict) else ""
    if "NaN" in text or "Infinity" in text:
        return web.client.open("/engine-rest" + case.formatted_path, method=case.method, query_string=case.query,
                               data=text, content_type="application/json", headers=headers)
    return case.call(headers=headers)


def test_engine_rest_fuzz_finds_no_server_error(web):
    app = web.client.application
    app.config["AMTSFLOW_LONG_POLL_MAX_SECONDS"] = 0.05
    assert web.client.get("/engine-rest/openapi.json").status_code == 200
    [definition] = web.client.get("/engine-rest/process-definition?key=webantrag", headers=web.auth("owner")).get_json()
    known = {"key": "webantrag", "definition_id": definition["id"]}
    roles = sorted(web.tokens)
    schema = schemathesis.openapi.from_wsgi("/engine-rest/openapi.json", app)
    figures: Counter[str] = Counter()
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES * len(roles), deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(), role=st.sampled_from(roles), aim=st.booleans(),
               hostile=st.one_of(st.none(), st.sampled_from(HOSTILE)), spot=st.integers(0, 50))
        def run(case, role, aim, hostile, spot):
            if aim:
                for name in list(case.path_parameters or {}):
                    if name in known:
                        case.path_parameters[name] = known[name]
            if hostile is not None:
                _inject(case, hostile, spot)
            where = f"{operation.method.upper()} {operation.path} as {role} (hostile: {hostile!r:.40})"
            try:
                response = _send(web, case, web.auth(role))
            except Exception as exc:  # a view that raised (the test app propagates it): a 500
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
                case.validate_response(response, checks=[not_a_server_error], headers=web.auth(role))
            except (Exception, BaseExceptionGroup) as exc:  # collected, reported together below
                failures.append(f"{where}: {response.status_code} {str(exc)[:300]} {response.text[:300]}")
                raise

        try:
            run()
        except (Exception, BaseExceptionGroup):  # noqa: BLE001 - in ``failures``; go on with the next operation
            pass
    print(f"\nengine-rest fuzz: {figures['requests']} requests, " + ", ".join(
        f"{k} {v}" for k, v in sorted(figures.items()) if k != "requests"))
    assert figures["5xx"] == 0 and not failures, "\n\n".join(failures)
    assert figures["requests"] >= EXAMPLES * 20
