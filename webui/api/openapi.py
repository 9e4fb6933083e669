"""The OpenAPI 3.1 document of /api/v1 (kept beside the routes; a test checks that they match)."""

from __future__ import annotations

from typing import Any

JSON = "application/json"
PROBLEM = {"description": "Fehler", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


BUSY = {"description": "Das System ist ausgelastet; nichts wurde gespeichert (erneut versuchen nach Retry-After)",
        "headers": {"Retry-After": {"description": "Sekunden", "schema": {"type": "string", "pattern": "^[0-9]+$"}}},
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _ok(description: str, schema: dict[str, Any], status: str = "200", *, writes: bool = False) -> dict[str, Any]:
    """The answer and the errors every operation can give; ``writes``: it takes a body and
    changes state (413 body too large, 422 data refused, 409 conflict, 503 busy)."""
    responses: dict[str, Any] = {status: {"description": description, "content": {JSON: {"schema": schema}}},
                                 "400": PROBLEM, "401": PROBLEM, "403": PROBLEM, "404": PROBLEM}
    if writes:
        responses.update({"409": PROBLEM, "413": PROBLEM, "422": PROBLEM, "503": BUSY})
    return responses


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


STARTED = {"type": "object", "properties": {"ids": {"type": "array", "items": {"type": "string"}}}}
TASK_ID = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string"}}
CASE_ID = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _task_action(summary: str, body: bool = False) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "tags": ["tasks"], "parameters": [TASK_ID],
                                 "responses": _ok("Die Aufgabe danach", _ref("Task"), writes=True)}
    if body:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": {
            "type": "object", "properties": {"data": {"type": "object"}}}}}}
    return {"post": operation}


SCHEMAS: dict[str, Any] = {
    "Problem": {"type": "object", "description": "RFC 9457; title and detail in the language of Accept-Language "
                "(de, en; default de)", "properties": {
        "type": {"type": "string", "format": "uri-reference"}, "status": {"type": "integer"},
        "title": {"type": "string"}, "detail": {"type": "string"},
        "required_roles": {"type": "array", "items": {"type": "string", "enum": ["citizen", "clerk", "owner", "admin"]},
                           "description": "403: one of these roles would be allowed"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "problems": {"type": "array", "items": {"type": "string"}, "description": "FILE:LINE: element-id: message"}}},
    "Definition": {"type": "object", "properties": {
        "id": {"type": "string"}, "key": {"type": "string"}, "version": {"type": "integer"},
        "name": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"}}},
    "Task": {"type": "object", "properties": {
        "id": {"type": "string"}, "case_id": {"type": "string"}, "process_key": {"type": "string"},
        "name": {"type": "string"}, "element_id": {"type": "string"}, "state": {"type": "string"},
        "candidate_groups": {"type": "array", "items": {"type": "string"}},
        "candidate_users": {"type": "array", "items": {"type": "string"}},
        "assignee": {"type": ["string", "null"]}, "due": {"type": ["string", "null"], "format": "date-time"},
        "priority": {"type": ["integer", "null"]}, "created_at": {"type": "string", "format": "date-time"},
        "follow_up": {"type": ["string", "null"], "format": "date-time",
                      "description": "Wiedervorlage (camunda:followUpDate)"},
        "summary": {"type": ["object", "null"], "description": "die Angabe, die der Prozess für die Aufgabenliste "
                    "nennt (service.toml [aufgabenliste])",
                    "properties": {"label": {"type": "string"}, "value": {"type": "string"}}}}},
    "DraftFields": {"type": "object", "description": "Feldpfad (z. B. antragsteller.familienname) -> Text oder "
                    "Liste von Texten, wie eingegeben (höchstens 500 Felder, 256 KB)",
                    "additionalProperties": {"oneOf": [{"type": "string"},
                                                       {"type": "array", "items": {"type": "string"}}]}},
    "TaskDraft": {"type": "object", "properties": {
        "fields": _ref("DraftFields"), "saved_by": {"type": "string"},
        "saved_at": {"type": "string", "format": "date-time"}}},
    "Case": {"type": "object", "properties": {
        "id": {"type": "string"}, "process_key": {"type": "string"}, "version": {"type": "integer"},
        "status": {"type": "string", "enum": ["running", "waiting", "completed", "failed", "cancelled"]},
        "business_key": {"type": ["string", "null"]}, "data": {"type": "object"},
        "open_tasks": {"type": "array", "items": _ref("Task")},
        "history": {"type": "array", "items": {"type": "object"}}}},
    "MessageOutcome": {"type": "object", "properties": {
        "status": {"type": "string", "enum": ["delivered", "started", "buffered", "duplicate"]},
        "case_id": {"type": ["string", "null"]}}},
    "Incident": {"type": "object", "properties": {
        "id": {"type": "string"}, "case_id": {"type": ["string", "null"]}, "job_id": {"type": ["string", "null"]},
        "element_id": {"type": ["string", "null"]}, "kind": {"type": "string", "enum": ["job", "workflow"]},
        "message": {"type": "string"}, "status": {"type": "string", "enum": ["open", "resolved"]},
        "created_at": {"type": "string", "format": "date-time"},
        "resolved_at": {"type": ["string", "null"], "format": "date-time"},
        "details": {"type": ["string", "null"], "description": "Stacktrace (nur in der Einzelansicht)"}}},
}


def _tasks_page() -> dict[str, Any]:
    responses = _ok("Eine Seite Aufgaben", {"type": "array", "items": _ref("Task")})
    responses["200"]["headers"] = {
        "X-Total-Count": {"description": "Anzahl aller Treffer", "required": True,
                          "schema": {"type": "string", "pattern": "^[0-9]+$"}},
        "Link": {"description": "<URL der nächsten Seite>; rel=\"next\"", "schema": {"type": "string"}}}
    return responses


INCIDENT_ID = {"name": "incident_id", "in": "path", "required": True, "schema": {"type": "string"}}
SIGNED = {"description": "Signatur fehlt, ist falsch, älter als 5 Minuten oder wiederholt",
          "content": {JSON: {"schema": {"type": "object", "properties": {"error": {"type": "string"}}}}}}


def _incident_action(summary: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"post": {"summary": summary, "tags": ["incidents"], "parameters": [INCIDENT_ID],
                     "requestBody": {"required": False, "content": {JSON: {"schema": {
                         "type": "object", "properties": body}}}},
                     "responses": _ok("Die Störung danach", _ref("Incident"), writes=True)}}


def _callback(summary: str, description: str, headers: tuple[str, str], answer: dict[str, Any]) -> dict[str, Any]:
    return {"post": {
        "summary": summary, "description": description, "tags": ["callbacks"], "security": [],
        "parameters": [{"name": h, "in": "header", "required": True, "schema": {"type": "string"}} for h in headers],
        "requestBody": {"required": True, "content": {JSON: {"schema": {"type": "object"}}}},
        "responses": {"200": {"description": "Angenommen", "content": {JSON: {"schema": answer}}},
                      "401": SIGNED, "413": PROBLEM}}}


OPERATION_PATHS: dict[str, Any] = {
    "/messages": {"post": {
        "summary": "Nachricht an wartende Vorgänge (nur Systeme mit API-Token)", "tags": ["messages"],
        "description": "Zustellung nach Name und Schlüssel (Geschäftsschlüssel des Vorgangs, sofern das Modell "
                       "nichts anderes festlegt); wartet noch kein Vorgang, wird sie gepuffert; dieselbe "
                       "message_id ändert nichts ein zweites Mal.",
        "security": [{"bearer": []}],
        "requestBody": {"required": True, "content": {JSON: {"schema": {
            "type": "object", "required": ["name"], "properties": {
                "name": {"type": "string", "maxLength": 200}, "key": {"type": ["string", "null"], "maxLength": 200},
                "data": {"type": "object"}, "message_id": {"type": ["string", "null"], "maxLength": 200}}}}}},
        "responses": {**_ok("zugestellt oder Wiederholung", _ref("MessageOutcome"), writes=True),
                      "201": {"description": "hat einen Vorgang gestartet",
                              "content": {JSON: {"schema": _ref("MessageOutcome")}}},
                      "202": {"description": "gepuffert", "content": {JSON: {"schema": _ref("MessageOutcome")}}}}}},
    "/signals": {"post": {
        "summary": "Signal an alle wartenden Vorgänge (nur Systeme mit API-Token)", "tags": ["messages"],
        "security": [{"bearer": []}],
        "requestBody": {"required": True, "content": {JSON: {"schema": {
            "type": "object", "required": ["name"], "properties": {"name": {"type": "string"},
                                                                   "data": {"type": "object"}}}}}},
        "responses": _ok("Anzahl der erreichten Vorgänge", {"type": "object", "properties": {
            "name": {"type": "string"}, "delivered": {"type": "integer"}}}, writes=True)}},
    "/incidents": {"get": {
        "summary": "Störungen (Systeme mit API-Token, Prozessverantwortliche, Administration)", "tags": ["incidents"],
        "parameters": [{"name": "status", "in": "query", "required": False,
                        "schema": {"type": "string", "enum": ["open", "resolved", "all"], "default": "open"}},
                       {"name": "case_id", "in": "query", "required": False, "schema": {"type": "string"}}],
        "responses": _ok("Störungen", {"type": "array", "items": _ref("Incident")})}},
    "/incidents/{incident_id}": {"get": {
        "summary": "Eine Störung mit Fehlertext und Stacktrace", "tags": ["incidents"], "parameters": [INCIDENT_ID],
        "responses": _ok("Störung", _ref("Incident"))}},
    "/incidents/{incident_id}/retry": _incident_action(
        "Erneut versuchen (der Auftrag bekommt weitere Versuche)",
        {"retries": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1}}),
    "/incidents/{incident_id}/resolve": _incident_action(
        "Als außerhalb erledigt markieren (kein neuer Versuch)", {"note": {"type": "string", "maxLength": 1000}}),
    "/callbacks/payment": _callback(
        "Zahlungsergebnis der Bezahlplattform (ePayBL)",
        "HMAC-SHA256 über \"<Zeitstempel>.<Inhalt>\"; BOOKED/FAILED/CANCELED werden als Nachricht "
        "zahlung_gebucht/zahlung_fehlgeschlagen/zahlung_abgebrochen dem Vorgang zugestellt.",
        ("X-ePayBL-Timestamp", "X-ePayBL-Signature"),
        {"type": "object", "properties": {"status": {"type": "string", "enum": [
            "delivered", "started", "buffered", "duplicate", "ignored"]}}}),
    "/callbacks/fitconnect": _callback(
        "Neue Einreichungen beim FIT-Connect-Zustelldienst",
        "HMAC-SHA512 über \"<Zeitstempel>.<Inhalt>\"; jede angekündigte Einreichung startet außerhalb der "
        "Anfrage genau einen Vorgang (Zuordnung über den LeiKa-Schlüssel).",
        ("callback-timestamp", "callback-authentication"),
        {"type": "object", "properties": {"status": {"const": "queued"}, "submissions": {"type": "integer"}}}),
}


def document() -> dict[str, Any]:
    from webui.api import cockpit, overrides

    doc = _document()
    doc["components"]["schemas"] = {**SCHEMAS, "CaseRow": cockpit.CASE_ROW_SCHEMA, "Migration": cockpit.MIGRATION_SCHEMA,
                                    "Override": overrides.OVERRIDE_SCHEMA}
    for path, operations in {**cockpit.openapi_paths(_ok, _ref), **cockpit.migration_paths(_ok, _ref),
                             **overrides.openapi_paths(_ok, _ref)}.items():
        doc["paths"][path] = {**doc["paths"].get(path, {}), **operations}
    return doc


def _document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "amtsflow API", "version": "1",
                 "description": "Prozesse bereitstellen, Vorgänge starten, Aufgaben bearbeiten, Nachrichten senden, "
                                "Störungen behandeln; Rückrufe der Fachverfahren."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"session": []}],
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "API-Token aus der Verwaltung"},
            "session": {"type": "apiKey", "in": "cookie", "name": "amtsflow_session",
                        "description": "Anmeldung im Browser; schreibende Aufrufe brauchen den Header X-CSRFToken"}}},
        "paths": {
            "/openapi.json": {"get": {"summary": "Dieses Dokument", "security": [], "tags": ["meta"],
                                      "responses": {"200": {"description": "OpenAPI 3.1"}}}},
            "/deployments": {"post": {
                "summary": "BPMN-, DMN-, Formular-Dateien oder ein ZIP bereitstellen (Prozessverantwortung)",
                "tags": ["deployments"],
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "properties": {"files": {"type": "array", "items": {
                        "type": "string", "contentMediaType": "application/octet-stream"}}}}}}},
                "responses": _ok("Bereitgestellte Versionen", {"type": "object", "properties": {
                    "processes": {"type": "array", "items": {"type": "object"}},
                    "warnings": {"type": "array", "items": {"type": "string"}}}}, "201", writes=True)}},
            "/process-definitions": {"get": {"summary": "Alle bereitgestellten Prozessversionen",
                                             "tags": ["deployments"],
                                             "responses": _ok("Liste", {"type": "array", "items": _ref("Definition")})}},
            "/cases": {"post": {
                "summary": "Einen Vorgang starten", "tags": ["cases"],
                "requestBody": {"required": True, "content": {JSON: {"schema": {
                    "type": "object", "required": ["key"], "properties": {
                        "key": {"type": "string"}, "data": {"type": "object"},
                        "business_key": {"type": ["string", "null"], "description":
                                         "Nur Fachverfahren mit dem Token-Recht business_key; sonst vergibt "
                                         "die Engine das Aktenzeichen."}}}}}},
                "responses": _ok("Neuer Vorgang", {"type": "object", "properties": {"id": {"type": "string"}}},
                                 "201", writes=True)}},
            "/conditions": {"post": {
                "summary": "Vorgänge starten, deren Startbedingung zutrifft", "tags": ["cases"],
                "description": "Wie Camundas evaluateStartConditions: Jeder bereitgestellte Prozess (neueste Version; "
                               "mit process_key nur dieser) startet an jedem bedingten Startereignis, dessen "
                               "Bedingung mit data zutrifft, einen Vorgang mit data. Die Daten gelten wie beim "
                               "Start (nur die Felder des Startformulars).",
                "requestBody": {"required": True, "content": {JSON: {"schema": {
                    "type": "object", "properties": {
                        "data": {"type": "object"}, "process_key": {"type": ["string", "null"]},
                        "business_key": {"type": ["string", "null"], "description":
                                         "Nur Fachverfahren mit dem Token-Recht business_key."}}}}}},
                "responses": {**_ok("Gestartete Vorgänge", STARTED, "201", writes=True),
                              "200": {"description": "Keine Bedingung trifft zu: nichts gestartet (ids leer)",
                                      "content": {JSON: {"schema": STARTED}}}}}},
            "/cases/{case_id}": {"get": {
                "summary": "Einen Vorgang lesen", "tags": ["cases"],
                "parameters": [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": _ok("Vorgang", _ref("Case"))}},
            "/cases/{case_id}/withdrawal": {
                "get": {"summary": "Kann der Antrag jetzt zurückgenommen werden?", "tags": ["cases"],
                        "description": "Nur für die Person, die den Vorgang gestellt hat (sonst 404). possible: "
                                       "der Prozess nimmt die Rücknahme jetzt an (er erklärt sie in service.toml "
                                       "[ruecknahme] und wartet gerade darauf, etwa während der Prüfung).",
                        "parameters": [CASE_ID],
                        "responses": _ok("Ob eine Rücknahme jetzt möglich ist", {
                            "type": "object", "properties": {"possible": {"type": "boolean"},
                                                             "reason_max": {"type": "integer"}}})},
                "post": {"summary": "Antrag zurücknehmen", "tags": ["cases"],
                         "description": "Nur die Person, die den Vorgang gestellt hat. Der Prozess entscheidet, was "
                                        "folgt (welche Aufgaben enden, die Bestätigung, der Stand). 409, wenn er die "
                                        "Rücknahme jetzt nicht annimmt (schon entschieden oder an einem Schritt ohne "
                                        "Rücknahme). Wer eine beendete Aufgabe übernommen hatte, erhält eine E-Mail.",
                         "parameters": [CASE_ID],
                         "requestBody": {"required": False, "content": {JSON: {"schema": {
                             "type": "object", "properties": {"reason": {
                                 "type": "string", "maxLength": 1000,
                                 "description": "Grund (freiwillig); im Vorgang als ruecknahme_grund"}}}}}},
                         "responses": {"204": {"description": "Zurückgenommen"},
                                       **{code: answer for code, answer in _ok("", {}, writes=True).items()
                                          if code != "200"}}}},
            "/cases/{case_id}/tasks": {"get": {
                "summary": "Die offenen Aufgaben eines Vorgangs, auf Wunsch auf die nächste wartend",
                "tags": ["cases", "tasks"],
                "description": "Ohne wait sofort. Mit wait=N (Sekunden, höchstens 60; mehr zählt als 60): hat "
                               "der Vorgang keine offene Aufgabe und ist er nicht beendet, antwortet der Aufruf, "
                               "sobald eine entsteht (auch wenn ein anderer Prozess, etwa ein Job-Worker, sie "
                               "anlegt), spätestens nach N Sekunden mit einer leeren Liste. Eine leere Liste "
                               "sofort heißt: der Vorgang ist beendet oder gestört (GET /cases/{case_id}).",
                "parameters": [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "string"}},
                               {"name": "wait", "in": "query", "required": False,
                                "schema": {"type": "number", "minimum": 0, "default": 0}}],
                "responses": _ok("Offene Aufgaben, älteste zuerst", {"type": "array", "items": _ref("Task")})}},
            "/tasks": {"get": {
                "summary": "Offene Aufgaben meiner Gruppen und meine, seitenweise", "tags": ["tasks"],
                "description": "Reihenfolge (sort): due = fällig zuerst (ohne Frist zuletzt), dann Eingang; priority = "
                               "höchste Priorität zuerst (ohne Angabe 50), dann Fälligkeit; age = älteste zuerst. "
                               "X-Total-Count nennt "
                               "die Anzahl aller Treffer (bis 10.000; darüber zusätzlich X-Total-Count-Exact: false); "
                               "solange es weitere gibt, zeigt Link rel=\"next\" auf die nächste Seite (cursor). "
                               "business_key (genau) und field=Name:Wert (ein Suchfeld, genau) sind indiziert, "
                               "q (enthält) nicht, außer q ist das ganze Aktenzeichen einer offenen Aufgabe: dann wird genau "
                               "dieses gesucht. hide_deferred=true lässt Aufgaben aus, deren Wiedervorlage "
                               "noch nicht erreicht ist.",
                "parameters": [*({"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
                                 for n in ("case_id", "process_key", "q", "business_key", "field", "cursor")),
                               {"name": "hide_deferred", "in": "query", "required": False,
                                "schema": {"type": "string", "enum": ["true", "false"], "default": "false"}},
                               {"name": "limit", "in": "query", "required": False,
                                "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}},
                               {"name": "sort", "in": "query", "required": False,
                                "schema": {"type": "string", "enum": ["due", "priority", "age"], "default": "due"}}],
                "responses": _tasks_page()}},
            "/tasks/claim-next": {"post": {
                "summary": "Nächste freie Aufgabe meiner Gruppen übernehmen", "tags": ["tasks"],
                "description": "Übernimmt die erste freie Aufgabe der Liste GET /tasks mit denselben Filtern und "
                               "derselben Reihenfolge (ohne Aufgaben, die das Vier-Augen-Prinzip ausschließt). "
                               "Gleichzeitige Aufrufe erhalten verschiedene Aufgaben. 204: keine freie Aufgabe.",
                "parameters": [*({"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
                                 for n in ("process_key", "q")),
                               {"name": "sort", "in": "query", "required": False,
                                "schema": {"type": "string", "enum": ["due", "priority", "age"], "default": "due"}}],
                "responses": {**_ok("Die übernommene Aufgabe", _ref("Task"), writes=True),
                              "204": {"description": "Keine freie Aufgabe"}}}},
            "/tasks/{task_id}/claim": _task_action("Aufgabe übernehmen"),
            "/tasks/{task_id}/unclaim": _task_action("Aufgabe zurückgeben"),
            "/tasks/{task_id}/complete": _task_action("Aufgabe erledigen", body=True),
            "/tasks/{task_id}/follow-up": {"put": {
                "summary": "Wiedervorlage setzen oder entfernen", "tags": ["tasks"], "parameters": [TASK_ID],
                "description": "Der Tag, an dem die Aufgabe wieder vorgelegt werden soll (er beginnt um 0 Uhr in "
                               "der Zeitzone der Installation), oder null. Möglich, solange die Aufgabe frei ist "
                               "oder dem Aufrufer gehört; die Frist (due) ändert sich nicht. Ein Tag vor heute "
                               "oder mehr als fünf Jahre voraus wird abgewiesen.",
                "requestBody": {"required": True, "content": {JSON: {"schema": {
                    "type": "object", "required": ["date"],
                    "properties": {"date": {"type": ["string", "null"], "format": "date"}}}}}},
                "responses": _ok("Die Aufgabe danach", _ref("Task"), writes=True)}},
            "/tasks/{task_id}/draft": {
                "get": {"summary": "Zwischenstand des Aufgabenformulars", "tags": ["tasks"], "parameters": [TASK_ID],
                        "responses": _ok("Der Zwischenstand; 404, wenn keiner gespeichert ist", _ref("TaskDraft"))},
                "put": {"summary": "Aufgabenformular zwischenspeichern", "tags": ["tasks"], "parameters": [TASK_ID],
                        "description": "Speichert die Felder des Formulars, wie eingegeben und ungeprüft, als "
                                       "Zwischenstand der Aufgabe (ersetzt einen früheren). Eine freie Aufgabe wird "
                                       "dabei übernommen; hält sie jemand anderes, antwortet der Aufruf mit 409. "
                                       "Geprüft und in den Vorgang übernommen wird erst mit POST "
                                       "/tasks/{task_id}/complete; der Zwischenstand endet mit der Aufgabe. "
                                       "Dateien gehören nicht dazu.",
                        "requestBody": {"required": True, "content": {JSON: {"schema": {
                            "type": "object", "required": ["fields"],
                            "properties": {"fields": _ref("DraftFields")}}}}},
                        "responses": _ok("Der gespeicherte Zwischenstand", _ref("TaskDraft"), writes=True)},
                "delete": {"summary": "Zwischenstand verwerfen", "tags": ["tasks"], "parameters": [TASK_ID],
                           "responses": {"204": {"description": "Verworfen (auch wenn keiner gespeichert war)"},
                                         **{code: answer for code, answer in _ok("", {}, writes=True).items()
                                            if code != "200"}}}},
            **OPERATION_PATHS,
        },
    }
