"""What the tenant isolation suite (test_tenant_isolation.py) fills into each route of the URL
map, and the routes it does not fill, each with the reason."""

from __future__ import annotations

from typing import Any

from tests.security.isolation_world import WORKER

GHOST = "00000000-0000-4000-8000-00000000beef"     # names no object of any tenant
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# URL variable -> the kind of B's object it is filled with (World.ids); per endpoint where it differs
FILL = {"case_id": "case", "instance_id": "case", "task_id": "task", "document_id": "document",
        "definition_id": "definition", "deployment_id": "deployment", "incident_id": "incident",
        "batch_id": "batch", "token": "link", "username": "user_only_b", "token_id": "token_id", "key": "only_key",
        "file_name": "override", "tenant_id": "tenant", "name": "variable"}
FILL_BY_ENDPOINT = {
    **{f"engine_rest.{name}": {"task_id": "external_task"} for name in (
        "external_task_get", "external_bpmn_error", "complete_external", "external_extend_lock", "external_failure",
        "external_unlock")},
    **{name: {"key": "shared_key"} for name in ("api.withdraw_override", "studio.override_withdraw")},
    "studio.case_retry": {"case_id": "incident_case"},
}
# JSON bodies the API routes check before they look the object up (a worker id, a user id)
JSON_BODIES: dict[str, dict[str, Any]] = {
    "engine_rest.claim_task": {"userId": "{username}"},
    "engine_rest.put_instance_variable": {"value": "geändert", "type": "String"},
    "engine_rest.modify_instance_variables": {"modifications": {"antragsteller": {"value": "geändert"}}},
    "engine_rest.complete_external": {"workerId": WORKER},
    "engine_rest.external_bpmn_error": {"workerId": WORKER, "errorCode": "Error_Abgelehnt"},
    "engine_rest.external_failure": {"workerId": WORKER, "errorMessage": "x", "retries": 0, "retryTimeout": 0},
    "engine_rest.external_extend_lock": {"workerId": WORKER, "newDuration": 60000},
}
MARKED = ("case", "task", "document", "definition", "deployment", "link", "waiting", "incident_case", "extern_case",
          "batch", "incident", "external_task", "user_only_b", "token_id", "migration_v1", "only_b_case")
NOT_TENANT_OWNED = {
    "static": "the application's own CSS, scripts and icons, the same for every tenant",
    "assets.bpmn_js": "vendored bpmn-js files, the same for every tenant",
    "assets.echarts": "vendored ECharts files, the same for every tenant",
    "assets.kern": "vendored KERN files, the same for every tenant",
    # the key names a shared process; what a tenant sees and changes there are its own overrides
    "api.list_overrides": "shared process: test_override_lists_show_only_the_tenants_own",
    "api.upload_override": "shared process: uploads the caller's tenant's override",
    "studio.overrides": "shared process: test_override_lists_show_only_the_tenants_own",
    "studio.override_upload": "shared process: uploads the caller's tenant's override",
    "api.show_override": "a file of the shared process: test_override_lists_show_only_the_tenants_own",
}
WRITES_WITHOUT_OBJECT = {
    "accounts.logout": "ends the caller's own session",
    "accounts.login": "signs in to the request's tenant (sessions are bound to it: tests/web/test_tenant_resolution.py)",
    "accounts.demo_idp": "the demo identity provider, no tenant data",
    "admin.new_user": "creates in the caller's tenant",
    "admin.new_group": "creates in the caller's tenant",
    "admin.new_token": "creates in the caller's tenant",
    "provider.new_tenant": "provider role only (none in A)",
    "provider.switch": "provider role only (none in A); switching is audited (test_tenant_provider.py)",
    "api.fitconnect_callback": "signed callback of the platform, tenant from its destination",
    "api.payment_callback": "signed callback of the payment platform (no tenant's object in the URL)",
    "api.create_case": "starts a case in the caller's tenant",
    "api.evaluate_conditions": "starts cases of the caller's tenant's processes (engine.services.condition_starts)",
    "engine_rest.evaluate_conditions": "starts cases of the caller's tenant's processes (engine.services.condition_starts)",
    "api.create_deployment": "deploys in the caller's tenant",
    "api.create_migration": "names B's definitions in its body: test_write_bodies_naming_b",
    "api.send_message": "test_messages_and_signals_stay_in_their_tenant",
    "api.send_signal": "test_messages_and_signals_stay_in_their_tenant",
    "engine_rest.correlate": "test_messages_and_signals_stay_in_their_tenant",
    "engine_rest.throw_signal": "test_messages_and_signals_stay_in_their_tenant",
    "engine_rest.create_deployment": "deploys in the caller's tenant",
    "engine_rest.external_fetch_and_lock": "locks the caller's tenant's tasks: test_fetch_and_lock_takes_no_task_of_b",
    "studio.upload": "deploys in the caller's tenant",
    "portal.verify": "checks a code against the caller's tenant's issued documents",
    "inbox.claim_next": "claims a task of the caller's tenant: test_the_next_free_task_is_one_of_the_callers_tenant",
    "api.claim_next": "claims a task of the caller's tenant: test_the_next_free_task_is_one_of_the_callers_tenant",
}
