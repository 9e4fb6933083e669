"""OpenID Connect relying party (authorization code + PKCE) for production identity providers.

Built from Authlib's OAuth 2 primitives (grant URI, PKCE) and joserfc (ID token signature and
claims), with httpx for the two back-channel calls; Authlib's Flask client would need `requests`.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import Flask, abort, session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from engine.tenancy import DEFAULT_TENANT, tenant_or_none

TIMEOUT = 10.0
# Values of the trust claim (eIDAS / BundID "acr") mapped to the three levels, strongest first.
TRUST_MARKERS = (("high", "high"), ("hoch", "high"), ("substantial", "substantial"), ("substanziell", "substantial"))


class OidcClient:
    def __init__(self, config: dict[str, str]) -> None:
        self.config = config
        self._metadata: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None:
                url = f"{self.config['issuer']}/.well-known/openid-configuration"
                response = httpx.get(url, timeout=TIMEOUT)
                response.raise_for_status()
                self._metadata = response.json()
            return self._metadata

    def authorization_url(self, redirect_uri: str) -> str:
        state, nonce, verifier = generate_token(24), generate_token(24), generate_token(48)
        # the tenant whose portal the citizen used comes back with the state: the account is mapped
        # into it, and a callback that arrives at another tenant is refused
        session["oidc"] = {"state": state, "nonce": nonce, "verifier": verifier, "redirect_uri": redirect_uri,
                           "tenant": tenant_or_none() or DEFAULT_TENANT}
        return str(prepare_grant_uri(
            self.metadata()["authorization_endpoint"], self.config["client_id"], "code", redirect_uri=redirect_uri,
            scope=self.config["scope"], state=state, nonce=nonce,
            code_challenge=create_s256_code_challenge(verifier), code_challenge_method="S256"))

    def callback(self, args: dict[str, str]) -> dict[str, Any]:
        """Check state, exchange the code, verify the ID token; its claims. Any failure: 400."""
        pending = session.pop("oidc", None)
        if not pending or args.get("state") != pending["state"] or not args.get("code"):
            abort(400)
        if pending.get("tenant", DEFAULT_TENANT) != (tenant_or_none() or DEFAULT_TENANT):
            abort(400)
        meta = self.metadata()
        response = httpx.post(meta["token_endpoint"], timeout=TIMEOUT, data={
            "grant_type": "authorization_code", "code": args["code"], "redirect_uri": pending["redirect_uri"],
            "code_verifier": pending["verifier"]}, auth=(self.config["client_id"], self.config["client_secret"]))
        if response.status_code != 200 or "id_token" not in response.json():
            abort(400)
        return self._verify(response.json()["id_token"], pending["nonce"], meta)

    def _verify(self, id_token: str, nonce: str, meta: dict[str, Any]) -> dict[str, Any]:
        keys = KeySet.import_key_set(httpx.get(meta["jwks_uri"], timeout=TIMEOUT).json())
        try:
            token = jwt.decode(id_token, keys, algorithms=["RS256", "ES256", "PS256"])
            jwt.JWTClaimsRegistry(
                leeway=60, iss={"essential": True, "value": meta.get("issuer", self.config["issuer"])},
                aud={"essential": True, "value": self.config["client_id"]}, sub={"essential": True},
                nonce={"essential": True, "value": nonce}, exp={"essential": True},
            ).validate(token.claims)
        except (JoseError, ValueError):
            abort(400)
        return dict(token.claims)


def init_oidc(app: Flask) -> None:
    config = app.config.get("AMTSFLOW_OIDC")
    if config:
        app.extensions["amtsflow_oidc"] = OidcClient(config)


def client(app: Flask) -> OidcClient | None:
    return app.extensions.get("amtsflow_oidc")


def trust_level(value: Any) -> str:
    text = str(value or "").lower()
    for marker, level in TRUST_MARKERS:
        if marker in text:
            return level
    return "basic"
