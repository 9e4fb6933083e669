"""Mail to a clerk when a colleague hands them a task ("Weitergeben").

A task handed on lands in the colleague's "Meine Aufgaben", which they may not look at for a
while: they get a mail (template ``aufgabe_uebergeben``) with the task's name, the case's
business key and, from the web, a link to the task. The mail names no data of the case.

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


def hand_over(engine: Engine, conn: Any, item: Any, to_user: str, actor: str, link: str | None) -> bool:
    """Write the mail job for ``to_user``, who gets ``item`` (a work item row) from ``actor``, in
    the caller's transaction; False when no mail goes out."""
    if to_user == actor or not _mail_installed(engine):
        return False
    u = it.users
    people = {r.username: r for r in conn.execute(select(u.c.username, u.c.display_name, u.c.email)
                                                  .where(u.c.username.in_([to_user, actor])))}
    receiver = people.get(to_user)
    if receiver is None or not receiver.email:
        return False
    sender = people[actor].display_name if actor in people else actor
    w = t.work_items
    task = conn.execute(select(w.c.name, w.c.business_key, w.c.case_id).where(w.c.id == item.id)).one()
    now = engine.clock.now()
    variables = {"empfaenger_name": receiver.display_name, "von": sender, "aufgabe": task.name,
                 "aktenzeichen": task.business_key or task.case_id, "link": link or ""}
    payload = {"operation": "mail.send", "params": {"template": TEMPLATE, "to": receiver.email, "variables": variables},
               "business_key": task.business_key}
    conn.execute(insert(t.jobs).values(job_row(engine, KIND, now, payload, case_id=task.case_id, created_at=now)))
    return True


def _mail_installed(engine: Engine) -> bool:
    try:
        return engine.connector("mail", current_tenant()) is not None
    except TenantConnectorMissing:      # the tenant's mail settings are incomplete: the operator sees it elsewhere
        return False


__all__ = ["KIND", "TEMPLATE", "hand_over"]
