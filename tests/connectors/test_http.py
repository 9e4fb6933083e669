"""Generic REST connector: secrets stay in configuration and go only where they belong."""

from __future__ import annotations

import base64
from typing import Any, Callable

import pytest

from connectors.http import create
from engine.ports import ConnectorError, ServiceRequest, ServiceResult

from .conftest import Rig


def call(connector: Any, params: dict[str, Any]) -> ServiceResult:
    return connector.call("request", ServiceRequest("http.request", params, "case-1:task-4:1", "case-1"))


def test_named_credential_is_applied_and_unmapped_4xx_becomes_http_code(rig: Callable[[str], Rig]) -> None:
    r = rig("http")
    created = r.call("request", {"method": "POST", "url": f"{r.url}/api/v1/antraege", "credential": "fv",
                                 "body": {"antrag": "Sondernutzung", "flaeche_qm": 12.5}}).data
    assert created["status"] == 201 and created["body"]["daten"]["flaeche_qm"] == 12.5
    got = r.call("request", {"method": "GET", "url": f"{r.url}/api/v1/antraege/{created['body']['id']}",
                             "credential": "fv"}, key="get").data
    assert got["body"]["id"] == created["body"]["id"]
    missing = r.call("request", {"method": "GET", "url": f"{r.url}/api/v1/antraege/FV-0", "credential": "fv"}, key="m")
    assert missing.bpmn_error == "HTTP_404"
    text = r.call("request", {"method": "GET", "url": f"{r.url}/api/v1/status", "credential": "fv",
                              "expect": "text"}, key="t").data
    assert text["body"] == '{"status": "ok"}'


def test_without_credential_the_back_office_refuses(rig: Callable[[str], Rig]) -> None:
    r = rig("http")
    with pytest.raises(ConnectorError, match="HTTP 401"):
        r.call("request", {"method": "GET", "url": f"{r.url}/api/v1/status"})


def test_credential_is_never_sent_elsewhere() -> None:
    connector = create({"http_credential_fv_url": "https://fv.example/api/", "http_credential_fv_bearer": "geheim"})
    for url in ("https://evil.example/api/x", "https://fv.example.evil.example/api/x", "http://fv.example/api/x",
                "https://fv.example/apix", "https://fv.example/other"):
        with pytest.raises(ConnectorError, match="may only be sent"):
            call(connector, {"method": "GET", "url": url, "credential": "fv"})
    with pytest.raises(ConnectorError, match="not configured"):
        call(connector, {"method": "GET", "url": "https://fv.example/api/x", "credential": "other"})
    connector.close()


def test_model_may_not_set_secret_headers() -> None:
    connector = create({})
    for header in ("Authorization", "cookie", "Idempotency-Key"):
        with pytest.raises(ConnectorError, match="may not set"):
            call(connector, {"method": "GET", "url": "https://x.example/", "headers": {header: "x"}})
    connector.close()


def test_host_allow_list_and_link_local_block() -> None:
    connector = create({"http_allowed_hosts": "fv.example,*.musterstadt.example"})
    with pytest.raises(ConnectorError, match="not in http_allowed_hosts"):
        call(connector, {"method": "GET", "url": "https://intranet.example/"})
    connector.close()
    open_connector = create({})
    with pytest.raises(ConnectorError, match="not allowed"):
        call(open_connector, {"method": "GET", "url": "http://169.254.169.254/latest/meta-data/"})
    open_connector.close()


def test_basic_and_header_credentials(rig: Callable[[str], Rig]) -> None:
    r = rig("http")
    seen: list[str] = []
    connector = create({"http_credential_b_url": r.url, "http_credential_b_basic": "amt:pässwort",
                        "http_credential_h_url": r.url, "http_credential_h_header": "X-Api-Key: 123"})
    for name in ("b", "h"):
        with pytest.raises(ConnectorError, match="HTTP 401"):       # the simulator wants its bearer token
            call(connector, {"method": "GET", "url": f"{r.url}/api/v1/status", "credential": name})
    seen.append(connector._credential("b", r.url)["Authorization"])
    assert base64.b64decode(seen[0].split()[1]).decode() == "amt:pässwort"
    assert connector._credential("h", r.url) == {"X-Api-Key": "123"}
    connector.close()
