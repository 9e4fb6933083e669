"""Studio: the provider's process owners deploy the shared library for every tenant (issue 17,
item 3); a municipality's process owner cannot."""

from __future__ import annotations

import io
from typing import Any

from engine.services import identity, queries, tenants
from engine.tenancy import tenant_scope
from tests.web.conftest import csrf_token, login_as, make_app
from tests.integration.helpers import MODELS

FILES = ("usertask.bpmn",)


def _upload(client: Any, shared: bool) -> Any:
    data: dict[str, Any] = {"csrf_token": csrf_token(client, "/studio/"),
                            "files": [(io.BytesIO((MODELS / n).read_bytes()), n) for n in FILES]}
    if shared:
        data["shared"] = "ja"
    return client.post("/studio/bereitstellen", content_type="multipart/form-data", data=data)


def _visible_in(engine: Any, tenant: str) -> list[int]:
    with tenant_scope(tenant):
        return [d["version"] for d in queries.list_definitions(engine) if d["key"] == "usertask"]


def test_a_provider_deploys_for_every_tenant_an_owner_only_for_their_own(web_engine: Any) -> None:
    tenants.add_tenant(web_engine, "musterstadt", "Stadt Musterstadt", path_prefix="musterstadt")
    identity.create_user(web_engine, "bibliothek", "Petra Prozesse", roles=["owner", "provider"])
    app = make_app(web_engine)
    owner = login_as(app.test_client(), "po")
    assert 'name="shared"' not in owner.get("/studio/").get_data(as_text=True)
    assert _upload(owner, shared=True).status_code == 403          # not the provider's: refused, nothing deployed
    assert _visible_in(web_engine, "default") == [] and _visible_in(web_engine, "musterstadt") == []

    provider = login_as(app.test_client(), "bibliothek")
    assert 'name="shared"' in provider.get("/studio/").get_data(as_text=True)
    page = _upload(provider, shared=True)
    assert page.status_code == 200 and "Für alle Mandanten bereitgestellt" in page.get_data(as_text=True)
    assert _visible_in(web_engine, "musterstadt") == [1] and _visible_in(web_engine, "default") == [1]

    assert _upload(owner, shared=False).status_code == 200        # unchanged for the default tenant
    assert _visible_in(web_engine, "musterstadt") == [1]
