"""Bad input on every form: clear German messages, values kept, nothing stored."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.persistence.document_tables import documents as documents_table
from engine.persistence.identity_tables import api_tokens, groups, users
from engine.services import queries
from tests.web.conftest import csrf_token, form_tokens, login_as
from tests.web.helpers import EXE, HTML, PDF, PNG
from webui.forms.fields import build_fields, flatten
from webui.forms.parse import parse_form
from werkzeug.datastructures import MultiDict

VALID = {"name": "Erika Mustermann", "kennzeichen": "M-AB 1234", "anzahl": "2", "zustellung": "post",
         "adresse.strasse": "Hauptstraße 1", "adresse.plz": "80331", "einwilligung": "true"}


def _count(engine: Any, table: Any) -> int:
    with engine.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _apply(client: Any, data: dict[str, Any], **kwargs: Any) -> Any:
    login_as(client, "erika")
    hidden = form_tokens(client, "/leistungen/webantrag/antrag")
    return client.post("/leistungen/webantrag/antrag", data={**hidden, **data},
                       content_type="multipart/form-data", **kwargs)


def test_valid_application_with_upload_starts_a_case_and_stores_the_document(client, web_engine, deployed):
    response = _apply(client, {**VALID, "beginn": "01.02.2026", "nachweis": (io.BytesIO(PDF), "schein.pdf")})
    assert response.status_code == 302
    [case] = queries.list_cases(web_engine)
    assert response.headers["Location"].endswith(f"/meine-antraege/{case['id']}/eingang")
    view = queries.get_case(web_engine, case["id"])
    assert view["data"]["anzahl"] == 2 and view["data"]["adresse"] == {"strasse": "Hauptstraße 1", "plz": "80331"}
    assert view["data"]["beginn"] == "2026-02-01" and view["data"]["einwilligung"] is True
    assert "bemerkung" not in view["data"]                      # empty -> omitted
    assert _count(web_engine, documents_table) == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert case["business_key"] in page and "Ihr Antrag ist eingegangen" in page


@pytest.mark.parametrize("change,field,message", [
    ({"name": ""}, "f-name", "Bitte füllen Sie dieses Feld aus."),
    ({"anzahl": "zwei"}, "f-anzahl", "Bitte geben Sie eine ganze Zahl ein."),
    ({"anzahl": "7"}, "f-anzahl", "Der Wert muss höchstens 3 sein."),
    ({"kennzeichen": "falsch"}, "f-kennzeichen", "Die Eingabe hat nicht das erwartete Format."),
    ({"zustellung": "brieftaube"}, "f-zustellung", "Bitte wählen Sie einen der angebotenen Werte."),
    ({"beginn": "31.02.2026"}, "f-beginn", "Bitte geben Sie ein gültiges Datum ein"),
    ({"adresse.plz": "123"}, "f-adresse__plz", "Die Eingabe hat nicht das erwartete Format."),
    ({"adresse.strasse": ""}, "f-adresse__strasse", "Bitte füllen Sie dieses Feld aus."),
    ({"einwilligung": ""}, "f-einwilligung", "Bitte bestätigen Sie diese Angabe."),
    ({"nachweis": (io.BytesIO(EXE), "schein.pdf")}, "f-nachweis", "kein PDF-, PNG- oder JPEG-Dokument"),
    ({"nachweis": (io.BytesIO(HTML), "schein.pdf")}, "f-nachweis", "kein PDF-, PNG- oder JPEG-Dokument"),
    ({"nachweis": (io.BytesIO(PNG), "schein.pdf")}, "f-nachweis", "passt nicht zur Dateiendung"),
    ({"nachweis": (io.BytesIO(PDF + b"0" * 2048), "schein.pdf")}, "f-nachweis", "zu groß"),
])
def test_bad_application_input_is_refused_in_german_and_nothing_is_stored(
        app, client, web_engine, deployed, change, field, message):
    app.config["AMTSFLOW_MAX_UPLOAD_BYTES"] = 1024
    data = {**VALID, **change}
    data = {k: v for k, v in data.items() if v != ""}
    response = _apply(client, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Bitte prüfen Sie Ihre Eingaben" in page                     # the error summary
    assert f'href="#{field}' in page                                    # links to the field
    assert message in page
    assert "<title>Fehler:" in page
    if "name" not in change:
        assert 'value="Erika Mustermann"' in page                       # values kept
    assert queries.list_cases(web_engine) == []
    assert _count(web_engine, documents_table) == 0


def test_missing_everything_lists_every_required_field(client, web_engine, deployed):
    page = _apply(client, {}).get_data(as_text=True)
    for anchor in ("f-name", "f-kennzeichen", "f-anzahl", "f-zustellung", "f-einwilligung"):
        assert f'href="#{anchor}"' in page
    assert 'aria-invalid="true"' in page and 'aria-describedby="f-name-error"' in page


def test_oversized_request_is_refused_with_a_german_page(app, client, web_engine, deployed):
    app.config["MAX_CONTENT_LENGTH"] = 2048
    response = _apply(client, {**VALID, "nachweis": (io.BytesIO(PDF + b"0" * 4096), "schein.pdf")})
    assert response.status_code == 413
    assert "zu groß" in response.get_data(as_text=True)
    assert queries.list_cases(web_engine) == []


def test_clerk_task_form_refuses_bad_input(client, web_engine, deployed):
    from engine.services import cases
    cases.start_case(web_engine, "webantrag", {"name": "E", "kennzeichen": "M-A 1", "anzahl": 1,
                                               "zustellung": "post", "einwilligung": True}, actor="erika")
    [task] = queries.list_tasks(web_engine)
    login_as(client, "sb1")
    token = csrf_token(client, f"/inbox/aufgaben/{task['id']}")
    response = client.post(f"/inbox/aufgaben/{task['id']}", data={"csrf_token": token, "entscheidung": "vielleicht"})
    assert response.status_code == 400
    assert "Bitte wählen Sie einen der angebotenen Werte." in response.get_data(as_text=True)
    assert queries.list_tasks(web_engine)[0]["state"] == "open"


@pytest.mark.parametrize("path,data,message,table", [
    ("/admin/gruppen", {"name": "Böse Gruppe!", "title": "x"}, "nicht das erwartete Format", groups),
    ("/admin/gruppen", {"title": "x"}, "Bitte füllen Sie dieses Feld aus.", groups),
    ("/admin/tokens", {"username": "niemand", "name": "x"}, "Bitte wählen Sie einen der angebotenen Werte.",
     api_tokens),
    ("/admin/benutzer/neu", {"username": "neu", "display_name": "Neu", "roles": "kaiser"},
     "Bitte wählen Sie einen der angebotenen Werte.", users),
    ("/admin/benutzer/neu", {"username": "neu", "display_name": "Neu", "roles": "clerk", "password": "kurz"},
     "mindestens 10 Zeichen", users),
    ("/admin/benutzer/neu", {"username": "sb1", "display_name": "Doppelt", "roles": "clerk"},
     "gibt es schon", users),
])
def test_admin_forms_refuse_bad_input(client, web_engine, path, data, message, table):
    before = _count(web_engine, table)
    login_as(client, "admin")
    token = csrf_token(client, "/admin/")
    response = client.post(path, data={"csrf_token": token, **data})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(web_engine, table) == before


def test_login_form_refuses_bad_input(client, passwords):
    token = csrf_token(client)
    response = client.post("/anmelden", data={"csrf_token": token, "username": "", "password": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Bitte geben Sie Ihren Benutzernamen ein." in page and "Bitte geben Sie Ihr Passwort ein." in page
    response = client.post("/anmelden", data={"csrf_token": token, "username": "sb1", "password": "falsch"})
    assert "Benutzername oder Passwort ist falsch." in response.get_data(as_text=True)
    response = client.post("/anmelden", data={"csrf_token": token, "username": "sb1", "password": passwords["sb1"]})
    assert response.status_code == 302 and response.headers["Location"].endswith("/inbox/")


def test_parser_types_values_and_omits_empty_ones():
    schema = {"type": "object", "properties": {
        "n": {"type": "number"}, "i": {"type": "integer"}, "b": {"type": "boolean"},
        "e": {"type": "integer", "enum": [1, 2]}, "a": {"type": "array", "items": {"enum": ["x", "y"]}},
        "s": {"type": "string"}, "o": {"type": "object", "properties": {"t": {"type": "string"}}}}}
    parsed = parse_form(schema, {}, MultiDict([("n", "1,5"), ("i", " 42 "), ("e", "2"), ("a", "x"), ("a", "y"),
                                               ("s", ""), ("o.t", "")]), MultiDict())
    assert parsed.data == {"n": 1.5, "i": 42, "b": False, "e": 2, "a": ["x", "y"]}
    assert parsed.errors == {}


def test_fields_follow_ui_order_and_prefill_from_data():
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"},
                                               "c": {"type": "string", "enum": ["x", "y"]}}}
    fields = build_fields(schema, {"ui:order": ["c", "*", "a"], "c": {"ui:enumNames": ["Iks", "Ypsilon"]}},
                          flatten({"c": "y"}), {})
    assert [f.name for f in fields] == ["c", "b", "a"]
    assert fields[0].kind == "radio" and fields[0].options == [("x", "Iks"), ("y", "Ypsilon")]
    assert fields[0].value == "y"


def test_admin_forms_speak_the_answers_language(client, web_engine):
    """The admin forms' labels, hints and option names come translated (their schemas are ours,
    not a process owner's): German by default, English with ?lang=en."""
    login_as(client, "admin")
    german = client.get("/admin/benutzer/neu").get_data(as_text=True)
    assert "Vertrauensniveau (nur Bürgerinnen und Bürger)" in german and "substanziell" in german
    english = client.get("/admin/benutzer/neu?lang=en").get_data(as_text=True)
    assert "Level of assurance (citizens only)" in english and "substantial" in english
    assert "Vertrauensniveau" not in english and "Sachbearbeitung" not in english
    assert "As in the process model (lane name)" in client.get("/admin/?lang=en").get_data(as_text=True)


def test_durations_in_the_answers_language(app):
    from datetime import timedelta

    from webui.templating import duration

    for lang, expected in (("de", ("2 Tage 3 Std.", "1 Tag", "45 Min.")), ("en", ("2 days 3 h", "1 day", "45 min"))):
        with app.test_request_context(f"/?lang={lang}"):
            assert (duration(timedelta(days=2, hours=3)), duration(timedelta(days=1)),
                    duration(timedelta(minutes=45))) == expected
