"""``http``: a generic REST call for back offices without a dedicated connector.

The model gives method, URL (absolute, or relative to the named credential's base URL), headers,
query, JSON body (or ``body_text``, sent as given with the model's Content-Type), timeout and
the *name* of a credential; the credential itself comes from
configuration and is only ever sent to its own base URL:

    http_credential_<name>_url     = https://fachverfahren.example/api/   (required prefix)
    http_credential_<name>_bearer  = <token>            or
    http_credential_<name>_basic   = <user>:<password>  or
    http_credential_<name>_header  = X-Api-Key: <value>
    http_allowed_hosts             = host1,*.example.org   (unset: any host except link-local/unspecified IPs)

Answers: 2xx -> result; 4xx -> BPMN error ``error_codes[status]`` or ``HTTP_<status>``;
401/403/408/425/429, 5xx, timeouts, refused connections and unparsable JSON -> ConnectorError.
"""

from __future__ import annotations

import base64
import ipaddress
import json
from typing import Any, Mapping
from urllib.parse import urlsplit

import httpx

from connectors.base import BaseConnector, BusinessError, config_float, http_client, obj, operation
from engine.ports import ConnectorError, ServiceRequest

FORBIDDEN_HEADERS = {"authorization", "proxy-authorization", "cookie", "host", "idempotency-key"}
TECHNICAL_4XX = {401, 403, 408, 425, 429}


class HttpConnector(BaseConnector):
    name = "http"

    def __init__(self, config: Mapping[str, str]) -> None:
        super().__init__()
        self.config = dict(config)
        self.default_timeout = config_float(config, "http_timeout", 10.0)
        hosts = config.get("http_allowed_hosts", "").strip()
        self.allowed = [h.strip().lower() for h in hosts.split(",") if h.strip()] if hosts else None
        self.client = http_client(follow_redirects=False)

    def close(self) -> None:
        self.client.close()

    def _check_host(self, url: str) -> None:
        host = (urlsplit(url).hostname or "").lower()
        if self.allowed is None or "*" in self.allowed:
            try:
                ip = ipaddress.ip_address(host)
            except ValueError:
                return
            if ip.is_link_local or ip.is_unspecified or ip.is_multicast:
                raise ConnectorError(f"http: requests to {host} are not allowed")
            return
        if not any(host == a or (a.startswith("*.") and host.endswith(a[1:])) for a in self.allowed):
            raise ConnectorError(f"http: host {host!r} is not in http_allowed_hosts")

    def _credential(self, name: str, url: str) -> dict[str, str]:
        prefix = self.config.get(f"http_credential_{name}_url", "")
        if not prefix:
            raise ConnectorError(f"http: credential '{name}' is not configured (http_credential_{name}_url)")
        want, got = urlsplit(prefix), urlsplit(url)
        if (want.scheme, want.netloc.lower()) != (got.scheme, got.netloc.lower()) \
                or not (got.path + "/").startswith(want.path.rstrip("/") + "/"):
            raise ConnectorError(f"http: credential '{name}' may only be sent to URLs under {prefix}")
        if self.config.get(f"http_credential_{name}_bearer"):
            return {"Authorization": f"Bearer {self.config[f'http_credential_{name}_bearer']}"}
        if self.config.get(f"http_credential_{name}_basic"):
            user, _, password = self.config[f"http_credential_{name}_basic"].partition(":")
            token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
            return {"Authorization": f"Basic {token}"}
        header, _, value = self.config.get(f"http_credential_{name}_header", "").partition(":")
        if header.strip() and value.strip():
            return {header.strip(): value.strip()}
        raise ConnectorError(f"http: credential '{name}' has no _bearer, _basic or _header value")

    def _absolute(self, url: str, credential: str | None) -> str:
        """An absolute http(s) URL as given, or a path relative to the named credential's base
        URL (``v1/meldungen`` with credential ``ihk``): the model names the recipient, the
        configuration says where it is."""
        if url.startswith(("http://", "https://")):
            return url
        if not credential:
            raise ConnectorError(f"http: relative URL {url!r} needs a credential whose base URL it extends")
        if ".." in url.split("?", 1)[0].split("/") or "//" in url or "\\" in url:
            raise ConnectorError(f"http: relative URL {url!r} may not leave the credential's base URL")
        prefix = self.config.get(f"http_credential_{credential}_url", "")
        if not prefix:
            raise ConnectorError(f"http: credential '{credential}' is not configured (http_credential_{credential}_url)")
        return prefix.rstrip("/") + "/" + url.lstrip("/")

    @operation("request", "Allgemeiner REST-Aufruf (Methode, URL, Kopfzeilen, JSON-Inhalt, Zeitlimit, "
               "Zugangsdaten per Name aus der Konfiguration)",
               params=obj({"method": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
                           "url": {"type": "string", "minLength": 1, "maxLength": 2000,
                                   "pattern": "^(https?://|[A-Za-z0-9_~.-])"},
                           "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                           "query": {"type": "object",
                                     "additionalProperties": {"type": ["string", "number", "boolean"]}},
                           "body": {}, "body_text": {"type": "string", "maxLength": 1_000_000},
                           "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 120},
                           "credential": {"type": "string", "pattern": "^[a-z0-9_]{1,40}$"},
                           "expect": {"enum": ["json", "text", "none"]},
                           "error_codes": {"type": "object", "propertyNames": {"pattern": "^4\\d\\d$"},
                                           "additionalProperties": {"type": "string",
                                                                    "pattern": "^[A-Z][A-Z0-9_]{1,60}$"}}},
                          ("method", "url")),
               result=obj({"status": {"type": "integer"}, "content_type": {"type": "string"}, "body": {}},
                          ("status", "body")),
               errors=("*",))
    def request(self, params: Mapping[str, Any], request: ServiceRequest) -> Any:
        method, url = params["method"], self._absolute(params["url"], params.get("credential"))
        self._check_host(url)
        headers = dict(params.get("headers") or {})
        bad = sorted(h for h in headers if h.lower() in FORBIDDEN_HEADERS)
        if bad:
            raise ConnectorError(f"http: the model may not set {', '.join(bad)}; use a named credential")
        if params.get("credential"):
            headers.update(self._credential(params["credential"], url))
        headers["Idempotency-Key"] = request.idempotency_key
        timeout = float(params.get("timeout") or self.default_timeout)
        kwargs: dict[str, Any] = {"headers": headers, "params": params.get("query"), "timeout": timeout}
        if "body" in params and method != "GET":
            kwargs["json"] = params["body"]
        elif "body_text" in params and method != "GET":  # sent as given (Flowable's requestBody)
            kwargs["content"] = str(params["body_text"]).encode()
        try:
            resp = self.client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise ConnectorError(f"http: {method} {url} timed out after {timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise ConnectorError(f"http: {method} {url} failed: {type(exc).__name__}: {exc}") from exc
        status, ctype = resp.status_code, resp.headers.get("content-type", "")
        if status >= 500 or status in TECHNICAL_4XX or 300 <= status < 400:
            raise ConnectorError(f"http: {method} {url} answered HTTP {status}: {resp.text[:200]}")
        if status >= 400:
            code = (params.get("error_codes") or {}).get(str(status), f"HTTP_{status}")
            raise BusinessError(code, resp.text[:500])
        expect = params.get("expect", "json")
        if expect == "none" or status == 204:
            body: Any = None
        elif expect == "text":
            body = resp.text
        else:
            if "json" not in ctype:
                raise ConnectorError(f"http: {method} {url}: expected JSON, got {ctype or 'no content type'}")
            try:
                body = resp.json()
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ConnectorError(f"http: {method} {url}: malformed JSON answer: {exc}") from exc
        return {"status": status, "content_type": ctype, "body": body}


def create(config: Mapping[str, str]) -> HttpConnector:
    return HttpConnector(config)
