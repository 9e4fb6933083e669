"""Deployments and process definitions (Camunda Modeler's deploy and start dialogs)."""

from __future__ import annotations

from typing import Any, Callable

from flask import Response, current_app, jsonify, request, url_for

from engine.services import cases, definitions
from engine.services.definitions import Definition, Deployment
from engine.services.deploy import deploy
from engine.services.identity import BUSINESS_KEY_SCOPE
from webui.auth import engine
from webui.engine_rest.base import STAFF, RestError, camunda_tenant, body, bp, int_arg, own_tenant, require, user
from webui.engine_rest.variables import camunda_date, typed_all, untyped_all
from webui.studio.upload import Limits, source_files

CAMUNDA_VERSION = "7.22.0"       # the REST API version whose subset this is (GET /version)
FLAGS = ("deployment-name", "deployment-source", "enable-duplicate-filtering", "deploy-changed-only",
         "deployment-activation-time", "tenant-id")


@bp.get("/version")
def version() -> Any:
    return jsonify(version=CAMUNDA_VERSION)


@bp.get("/engine")
def engines() -> Any:
    return jsonify([{"name": "default"}])


def deployment_dto(d: Deployment) -> dict[str, Any]:
    return {"links": [{"method": "GET", "href": url_for("engine_rest.get_deployment", deployment_id=d.id,
                                                        _external=True), "rel": "self"}],
            "id": d.id, "name": d.name, "source": d.source, "deploymentTime": camunda_date(d.created_at),
            "tenantId": camunda_tenant(d.shared)}


def definition_dto(d: Definition) -> dict[str, Any]:
    return {"id": d.id, "key": d.key, "category": "http://bpmn.io/schema/bpmn", "description": None,
            "name": d.name, "version": d.version, "resource": d.resource, "deploymentId": d.deployment_id,
            "diagram": None, "suspended": False, "tenantId": camunda_tenant(d.shared), "versionTag": None,
            "historyTimeToLive": None, "startableInTasklist": True}


@bp.get("/deployment")
def list_deployments() -> Any:
    require(*STAFF)
    rows = definitions.list_deployments(engine(), deployment_id=request.args.get("id"),
                                        name=request.args.get("name"), limit=int_arg("maxResults", 500),
                                        offset=int_arg("firstResult", 0, 10**9))
    return jsonify([deployment_dto(d) for d in rows])


@bp.get("/deployment/<deployment_id>")
def get_deployment(deployment_id: str) -> Any:
    require(*STAFF)
    rows = definitions.list_deployments(engine(), deployment_id=deployment_id)
    if not rows:
        raise RestError(404, f"Deployment with id '{deployment_id}' does not exist")
    return jsonify(deployment_dto(rows[0]))


@bp.post("/deployment/create")
def create_deployment() -> Any:
    """Multipart as Camunda Modeler sends it: deployment-name, deployment-source,
    enable-duplicate-filtering (Modeler 4: deploy-changed-only), tenant-id when set, and one
    file part per resource, named by its file name. Unchanged processes keep their version
    (we always filter duplicates by content)."""
    require("owner")
    form = request.form
    own_tenant((form.get("tenant-id") or "").strip(), "tenant-id")   # a deployment is the request's tenant's
    uploads = [(f.filename or name, f.read()) for name, f in request.files.items(multi=True)]
    if not uploads:
        raise RestError(400, "No deployment resources contained in the request")
    limits = Limits(current_app.config["AMTSFLOW_MAX_ZIP_ENTRIES"], current_app.config["AMTSFLOW_MAX_ZIP_BYTES"])
    name = (form.get("deployment-name") or "")[:200] or None
    source = (form.get("deployment-source") or "")[:200] or None
    result = deploy(engine(), source_files(uploads, limits), actor=user().username, name=name, source=source)
    deployed = [definitions.get_definition(engine(), definition_id=p.definition_id) for p in result.processes]
    deployment_id = next((d.deployment_id for d, p in zip(deployed, result.processes) if p.created),
                         deployed[0].deployment_id)
    [deployment] = definitions.list_deployments(engine(), deployment_id=deployment_id)
    response = jsonify({**deployment_dto(deployment),
                        "deployedProcessDefinitions": {d.id: definition_dto(d) for d in deployed},
                        "deployedCaseDefinitions": None, "deployedDecisionDefinitions": None,
                        "deployedDecisionRequirementsDefinitions": None})
    response.status_code = 200
    return response


def _tenant_filter() -> tuple[bool, bool | None]:
    """Camunda's tenant parameters of a definition query (``tenantIdIn``, ``withoutTenantId``,
    ``includeProcessDefinitionsWithoutTenantId``) against the ``tenantId`` the answers carry
    (:func:`camunda_tenant`): whether nothing can match, and which definitions are asked for
    (True: the shared library's, False: the tenant's own, None: both)."""
    args = request.args
    own = camunda_tenant()
    if args.get("withoutTenantId") == "true":   # tenantId null: the library, and a default tenant's own
        return False, None if own is None else True
    names = {n.strip() for n in (args.get("tenantIdIn") or "").split(",") if n.strip()}
    if not names:
        return False, None
    with_shared = args.get("includeProcessDefinitionsWithoutTenantId") == "true"
    if own is not None and own in names:
        return False, None if with_shared else False
    if with_shared:
        return False, None if own is None else True
    return True, None


@bp.get("/process-definition")
def list_definitions() -> Any:
    require(*STAFF)
    args = request.args
    nothing, shared = _tenant_filter()
    if nothing:
        return jsonify([])
    rows = definitions.list_definitions(engine(), key=args.get("key"), definition_id=args.get("processDefinitionId"),
                                        deployment_id=args.get("deploymentId"),
                                        latest=args.get("latestVersion") == "true", shared=shared,
                                        limit=int_arg("maxResults", 500), offset=int_arg("firstResult", 0, 10**9))
    return jsonify([definition_dto(d) for d in rows])


@bp.get("/process-definition/count")
def count_definitions() -> Any:
    require(*STAFF)
    latest = request.args.get("latestVersion") == "true"
    nothing, shared = _tenant_filter()
    return jsonify(count=0 if nothing else len(definitions.list_definitions(
        engine(), key=request.args.get("key"), latest=latest, shared=shared)))


def _definition(key: str | None = None, definition_id: str | None = None) -> Definition:
    return definitions.get_definition(engine(), key=key, definition_id=definition_id)


@bp.get("/process-definition/key/<key>")
def definition_by_key(key: str) -> Any:
    require(*STAFF)
    return jsonify(definition_dto(_definition(key=key)))


@bp.get("/process-definition/<definition_id>")
def definition_by_id(definition_id: str) -> Any:
    require(*STAFF)
    return jsonify(definition_dto(_definition(definition_id=definition_id)))


def _xml(d: Definition) -> Any:
    return jsonify(id=d.id, bpmn20Xml=definitions.definition_xml(engine(), d))


@bp.get("/process-definition/key/<key>/xml")
def xml_by_key(key: str) -> Any:
    require(*STAFF)
    return _xml(_definition(key=key))


@bp.get("/process-definition/<definition_id>/xml")
def xml_by_id(definition_id: str) -> Any:
    require(*STAFF)
    return _xml(_definition(definition_id=definition_id))


def _start(d: Definition) -> Response:
    """Variables as a person's submission (only the start form's fields, as in /api/v1); a
    business key only with a token scoped ``business_key``."""
    require(*STAFF)
    data = body()
    variables = untyped_all(data.get("variables"))
    business_key = data.get("businessKey")
    if business_key is not None and not isinstance(business_key, str):
        raise RestError(400, "businessKey must be a text")
    if business_key is not None and not user().has_scope(BUSINESS_KEY_SCOPE):
        raise RestError(403, "Choosing the business key needs an API token with the scope 'business_key'; "
                             "leave businessKey out and amtsflow assigns one.", "AuthorizationException")
    case_id = cases.start_case(engine(), d.key, variables, business_key=business_key, actor=user().username,
                               definition_id=d.id)
    from webui.engine_rest.instances import instance_dto

    dto = instance_dto(case_id)
    if data.get("withVariablesInReturn"):
        from engine.services import queries

        dto["variables"] = typed_all(queries.get_case(engine(), case_id, with_history=False)["data"] or {})
    response = jsonify(dto)
    response.status_code = 200
    return response


@bp.post("/process-definition/key/<key>/start")
def start_by_key(key: str) -> Any:
    return _start(_definition(key=key))


# Camunda's routes for a process of a named tenant (camunda-bpm-sdk and other clients of a
# multi-tenant engine use them): the request's own municipality only, else 403
def _of_own_tenant(tenant_id: str, route: Callable[[str], Any], key: str) -> Any:
    require(*STAFF)
    own_tenant(tenant_id, "tenant-id")
    return route(key)


@bp.get("/process-definition/key/<key>/tenant-id/<tenant_id>")
def definition_by_key_and_tenant(key: str, tenant_id: str) -> Any:
    return _of_own_tenant(tenant_id, definition_by_key, key)


@bp.get("/process-definition/key/<key>/tenant-id/<tenant_id>/xml")
def xml_by_key_and_tenant(key: str, tenant_id: str) -> Any:
    return _of_own_tenant(tenant_id, xml_by_key, key)


@bp.post("/process-definition/key/<key>/tenant-id/<tenant_id>/start")
def start_by_key_and_tenant(key: str, tenant_id: str) -> Any:
    return _of_own_tenant(tenant_id, start_by_key, key)


@bp.post("/process-definition/<definition_id>/start")
def start_by_id(definition_id: str) -> Any:
    return _start(_definition(definition_id=definition_id))


@bp.post("/condition")
def evaluate_conditions() -> Any:
    """Camunda's ``POST /condition`` (runtimeService.createConditionEvaluation): start a case at every
    conditional start event whose condition holds over ``variables`` (of the tenant's processes, or of
    ``processDefinitionId`` only); the started instances. Variables and business key as for a start."""
    require(*STAFF)
    data = body()
    variables = untyped_all(data.get("variables"))
    business_key, definition_id = data.get("businessKey"), data.get("processDefinitionId")
    for name, value in (("businessKey", business_key), ("processDefinitionId", definition_id)):
        if value is not None and not isinstance(value, str):
            raise RestError(400, f"{name} must be a text")
    own_tenant(data.get("tenantId"), "tenantId")
    if data.get("withoutTenantId"):
        raise RestError(400, "withoutTenantId: conditions are evaluated for the tenant you are signed in to")
    if business_key is not None and not user().has_scope(BUSINESS_KEY_SCOPE):
        raise RestError(403, "Choosing the business key needs an API token with the scope 'business_key'; "
                             "leave businessKey out and amtsflow assigns one.", "AuthorizationException")
    from engine.services.condition_starts import evaluate_start_conditions
    from webui.engine_rest.instances import instance_dto

    started = evaluate_start_conditions(engine(), variables, definition_id=definition_id, business_key=business_key,
                                        actor=user().username)
    return jsonify([instance_dto(case_id) for case_id in started])
