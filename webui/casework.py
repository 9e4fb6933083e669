"""What portal, inbox and API share: who may see a case or task, forms of a process, timelines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from io import BytesIO

from flask import abort, send_file
from flask_babel import gettext as _

from engine.bootstrap import Engine
from engine.domain.errors import NotFound
from engine.services.read_models import Form, ProcessModel
from engine.domain.errors import AmtsflowError
from engine.services import cases, documents, queries, task_access, variants
from engine.services.identity import User
from webui.document_names import readable_name
from webui.templating import action_label
from engine.services.read_models import CaseSummary, CaseView, DefinitionView, TaskView

CITIZEN_GROUP = task_access.CITIZEN_GROUP



@dataclass(frozen=True)
class Service:
    key: str
    name: str
    version: int
    definition_id: str
    description: str
    form: Form | None


def latest_services(engine: Engine) -> list[Service]:
    latest: dict[str, DefinitionView] = {}
    for row in queries.list_definitions(engine):
        if row["key"] not in latest or row["version"] > latest[row["key"]]["version"]:
            latest[row["key"]] = row
    services = []
    for row in sorted(latest.values(), key=lambda r: r["name"].lower()):
        model = variants.parsed_for_tenant(engine, row["id"]).model   # with the tenant's own labels and options
        form = model.start_form
        description = str((form.schema.get("description") if form else "") or "")
        services.append(Service(row["key"], row["name"], row["version"], row["id"], description, form))
    return services


def service(engine: Engine, key: str) -> Service:
    for item in latest_services(engine):
        if item.key == key:
            return item
    abort(404)


def model_of(engine: Engine, key: str, version: int) -> ProcessModel:
    for row in queries.list_definitions(engine):
        if row["key"] == key and row["version"] == version:
            parsed = engine.definitions.get(row["id"])   # element names: never a tenant's override
            return parsed.models.get(key, parsed.model)
    raise NotFound(f"definition {key} v{version} not found")


def definition_id(engine: Engine, key: str, version: int) -> str:
    for row in queries.list_definitions(engine):
        if row["key"] == key and row["version"] == version:
            return str(row["id"])
    raise NotFound(f"definition {key} v{version} not found")


def started_by(view: CaseView | CaseSummary) -> str | None:
    return view["started_by"]


def own_case(engine: Engine, case_id: str, user: User) -> CaseView:
    """The case if this citizen started it; otherwise 404 (no hint that it exists)."""
    try:
        view = queries.get_case(engine, case_id)
    except NotFound:
        abort(404)
    if started_by(view) != user.username:
        abort(404)
    return view


STAFF_ROLES = task_access.STAFF_ROLES   # who has an inbox
work_groups = task_access.work_groups
may_work_on = task_access.offered_to_staff    # visibility; taking a task also needs may_take


def clerk_sees_case(engine: Engine, user: User, case_id: str) -> bool:
    """A case is visible to staff when one of its tasks (open, done, or ended by the process, a
    withdrawal say) belonged to their groups or to them."""
    return any(may_work_on(user, task) for state in ("open", "completed", "cancelled")
               for task in queries.list_tasks(engine, case_id=case_id, state=state))


def may_take(engine: Engine, user: User, task: dict[str, Any]) -> bool:
    """Staff: offered to them and not excluded by the four-eyes principle."""
    return may_work_on(user, task) and user.username not in task_access.excluded_for(engine, task["id"])


def citizen_tasks(view: CaseView) -> list[TaskView]:
    return [t for t in view["open_tasks"] if CITIZEN_GROUP in t["candidate_groups"]]


def task_form(engine: Engine, task_id: str) -> Form | None:
    form = cases.task_form(engine, task_id)
    return form  # type: ignore[no-any-return]


def timeline(engine: Engine, view: CaseView, viewer: str | None = None) -> list[dict[str, Any]]:
    """History entries with German labels; other people's names only for staff (viewer None)."""
    try:
        model = model_of(engine, view["process_key"], view["version"])
        names, withdrawal = {e.id: e.name for e in model.elements.values()}, model.withdrawal
    except NotFound:
        names, withdrawal = {}, None
    entries = []
    owner = started_by(view)
    for event in view["history"]:
        details = event.get("details") or {}
        label = action_label(event["action"])
        if event["action"] == "message_received" and withdrawal and details.get("message") == withdrawal:
            label = str(_("Antrag zurückgenommen"))
        element = details.get("element")
        if element:
            label = f"{label}: {names.get(element, element)}"
        actor = event["actor"]
        if viewer is not None:
            actor = _citizen_view_of(actor, viewer, owner)
        entries.append({"at": event["at"], "label": label, "actor": actor, "action": event["action"]})
    return entries


def _citizen_view_of(actor: str, viewer: str, owner: str | None) -> str:
    """Citizens see no staff names: "Sie", "Antragsteller/in" or "Verwaltung"."""
    if actor == viewer:
        return str(_("Sie"))
    return str(_("Antragsteller/in") if actor == owner else _("Verwaltung"))


def send_document(engine: Engine, case_id: str, document_id: str) -> Any:
    """A document of this case as a download (never rendered inline: no HTML from uploads)."""
    try:
        doc, content = documents.get(engine, document_id)
    except AmtsflowError:
        abort(404)
    if doc.case_id != case_id:
        abort(404)
    business_key = queries.get_case(engine, case_id, with_history=False)["business_key"]
    return send_file(BytesIO(content), mimetype=doc.media_type, as_attachment=True,
                     download_name=readable_name(doc.filename, business_key))
