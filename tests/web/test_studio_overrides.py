"""Studio: a municipality's overrides of a shared process, for the request's tenant (issue 17)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from engine.services import overrides, tenants
from engine.services.deploy import deploy, read_paths
from tests.web.conftest import csrf_token, login_as, make_app

PROCESS = Path(__file__).resolve().parents[2] / "processes" / "bewohnerparkausweis"
KEY = "bewohnerparkausweis"
DMN = (PROCESS / "gebuehr.dmn").read_bytes()


def upload(client: Any, prefix: str, content: bytes, name: str = "gebuehr.dmn") -> Any:
    page = f"{prefix}/studio/prozesse/{KEY}/anpassungen"
    return client.post(page, content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, page), "ersetzt": name, "kommentar": "Satzung 2026",
        "datei": (io.BytesIO(content), "meine-gebuehren.dmn")})


def test_owner_uploads_compares_and_withdraws_for_the_requests_tenant(web_engine: Any) -> None:
    deploy(web_engine, read_paths([str(PROCESS)]), actor="provider")
    tenants.add_tenant(web_engine, "musterstadt", "Stadt Musterstadt", path_prefix="musterstadt")
    client = login_as(make_app(web_engine).test_client(), "po")

    refused = upload(client, "", DMN.replace(b'name="gebuehr_cent"', b'name="gebuehr"'))
    assert refused.status_code == 400
    assert "Entscheidung parkausweis_gebuehr: die Ausgaben müssen bleiben" in refused.get_data(as_text=True)

    done = upload(client, "", DMN.replace(b"<text>18000</text>", b"<text>15000</text>"))
    assert done.status_code == 303 and done.headers["Location"].endswith("anpassungen?vergleich=gebuehr.dmn")
    page = client.get(f"/studio/prozesse/{KEY}/anpassungen?vergleich=gebuehr.dmn").get_data(as_text=True)
    assert 'id="override-table"' in page and "<code>gebuehr.dmn</code>" in page
    assert "+        &lt;outputEntry id=&#34;parkausweis_gebuehr_r2_o1&#34;&gt;&lt;text&gt;15000" in page
    # the override belongs to the tenant of the request (the default tenant here), not to Musterstadt
    assert [o.file_name for o in overrides.list_current(web_engine, "default")] == ["gebuehr.dmn"]
    assert overrides.list_current(web_engine, "musterstadt") == []

    withdraw = f"/studio/prozesse/{KEY}/anpassungen/gebuehr.dmn/zurueckziehen"
    token = csrf_token(client, f"/studio/prozesse/{KEY}/anpassungen")
    assert client.post(withdraw, data={"csrf_token": token}).status_code == 303
    assert overrides.list_current(web_engine, "default") == []
    assert 'id="no-overrides"' in client.get(f"/studio/prozesse/{KEY}/anpassungen").get_data(as_text=True)


def test_api_lists_uploads_compares_and_withdraws(web_engine: Any) -> None:
    from engine.services import identity

    deploy(web_engine, read_paths([str(PROCESS)]), actor="provider")
    client = make_app(web_engine).test_client()
    owner = {"Authorization": f"Bearer {identity.create_api_token(web_engine, 'po', 'test')[1]}"}
    clerk = {"Authorization": f"Bearer {identity.create_api_token(web_engine, 'sb1', 'test')[1]}"}
    base = f"/api/v1/processes/{KEY}/overrides"
    assert client.get(base, headers=clerk).status_code == 403
    assert client.get(base, headers=owner).json == []
    bad = client.post(base, headers=owner, data={"file": (io.BytesIO(b"<definitions"), "gebuehr.dmn")})
    assert bad.status_code == 400 and bad.json["problems"][0].startswith("gebuehr.dmn:0: ")   # as a deployment
    made = client.post(base, headers=owner, data={
        "file": (io.BytesIO(DMN.replace(b"<text>18000</text>", b"<text>15000</text>")), "x.dmn"),
        "replaces": "gebuehr.dmn", "comment": "Satzung"})
    assert made.status_code == 201 and (made.json["file"], made.json["version"]) == ("gebuehr.dmn", 1)
    assert [o["file"] for o in client.get(base, headers=owner).json] == ["gebuehr.dmn"]
    shown = client.get(f"{base}/gebuehr.dmn", headers=owner).json
    assert shown["shared_version"] == 1 and any("15000" in line for line in shown["diff"] if line.startswith("+"))
    gone = client.delete(f"{base}/gebuehr.dmn", headers=owner)
    assert gone.status_code == 200 and gone.json["withdrawn"] is True and gone.json["version"] == 2
    assert client.get(base, headers=owner).json == []
    assert client.delete(f"{base}/gebuehr.dmn", headers=owner).status_code == 404
