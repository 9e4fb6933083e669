"""Mail to a clerk about a task of theirs that changed without them.

- A colleague hands them a task ("Weitergeben"): it lands in their "Meine Aufgaben", which they
  may not look at for a while. Template ``aufgabe_uebergeben``, with a link to the task.
- The applicant withdraws the application while the clerk holds one of its tasks: the task
  ends and leaves their list without a word, their saved draft of it with it. Template
  ``aufgabe_entfallen``, with a link to the case (engine/services/withdrawals.py).

Each mail names the task, the case's business key and what happened; no data of the case.

The mail goes out as a job of kind ``notification``, written in the transaction that hands the
task on (so there is a mail only for a hand-over that happened) and sent by a worker outside any
transaction, as every call to a back-office system is; a failed send is retried and ends in an
incident of the case like a service call. Nothing is sent to a person without an e-mail address,
to oneself, or when the installation has no ``mail`` connector.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from engine.bootstrap import Engine
from engine.persistence import identity_tables as it
from engine.persistence import tables as t
from engine.services.job_rows import job_row
from engine.tenancy import current_tenant
from engine.tenant_connectors import TenantConnectorMissing

KIND = "notification"
TEMPLATE = "aufgabe_uebergeben"
WITHDRAWN = "aufgabe_entfallen"


def hand_over(engine: Engine, conn: Any, item: Any, to_user: str, actor: str, link: str | None) -> bool:
    """Write the mail job for ``to_user``, who gets ``item`` (a work item row) from ``actor``, in
    the caller's transaction; False when no mail goes out."""
    if to_user == actor or not _mail_installed(engine):
        return False
    people = _people(conn, [to_user, actor])
    sender = people[actor].display_name if actor in people else actor
    return _write(engine, conn, people.get(to_user), item.id, TEMPLATE, {"von": sender, "link": link or ""})


def withdrawn(engine: Engine, conn: Any, task_id: str, assignee: str, *, draft: bool, link: str | None) -> bool:
    """Write the mail job for ``assignee``, whose task ``task_id`` ended because the applicant
    withdrew the application (``draft``: their saved draft of it went with it), in the caller's
    transaction; False when no mail goes out."""
    if not _mail_installed(engine):
        return False
    return _write(engine, conn, _people(conn, [assignee]).get(assignee), task_id, WITHDRAWN,
                  {"zwischenstand": draft, "link": link or ""})


def _people(conn: Any, usernames: list[str]) -> dict[str, Any]:
    u = it.users
    return {r.username: r for r in conn.execute(select(u.c.username, u.c.display_name, u.c.email)
                                                .where(u.c.username.in_(usernames)))}


def _write(engine: Engine, conn: Any, receiver: Any, task_id: str, template: str, variables: dict[str, Any]) -> bool:
    """The job that sends ``template`` about a task to ``receiver`` (a users row; None or without
    an address: no mail)."""
    if receiver is None or not receiver.email:
        return False
    w = t.work_items
    task = conn.execute(select(w.c.name, w.c.business_key, w.c.case_id).where(w.c.id == task_id)).one()
    now = engine.clock.now()
    variables = {"empfaenger_name": receiver.display_name, "aufgabe": task.name,
                 "aktenzeichen": task.business_key or task.case_id, **variables}
    payload = {"operation": "mail.send", "params": {"template": template, "to": receiver.email, "variables": variables},
               "business_key": task.business_key}
    conn.execute(insert(t.jobs).values(job_row(engine, KIND, now, payload, case_id=task.case_id, created_at=now)))
    return True


def _mail_installed(engine: Engine) -> bool:
    try:
        return engine.connector("mail", current_tenant()) is not None
    except TenantConnectorMissing:      # the tenant's mail settings are incomplete: the operator sees it elsewhere
        return False


__all__ = ["KIND", "TEMPLATE", "WITHDRAWN", "hand_over", "withdrawn"]
