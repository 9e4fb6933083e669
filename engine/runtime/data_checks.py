"""Deploy-time check of data associations that SpiffWorkflow would run wrongly.

SpiffWorkflow copies a data object into a task (``dataInputAssociation``) and back out
(``dataOutputAssociation``) only under the data object's own id: the task's script reads and
writes a variable named like the data object's id, whatever the association's other end
names. That is how the spiff-arena modeler draws data objects (the other end is a placeholder
property, or missing), and those run. An association whose task end is a data input or data
output the task declares in its ``ioSpecification`` (BPMN's own way; betsy's
DataObject_ReadWrite_String) cannot run: the declared data input is never filled (the task
fails with "Missing data input"), the declared data output never reaches the data object
(the value is looked for under the data object's id). Such associations are refused.
"""

from __future__ import annotations

from lxml import etree

from engine.domain.errors import Problem
from engine.runtime.namespaces import owner_id, tag

__all__ = ["data_association_problems"]


def data_association_problems(root: etree._Element, filename: str) -> list[Problem]:
    objects: dict[str, str] = {}
    for ref in root.iter(tag("dataObjectReference"), tag("dataObject")):
        ref_id = ref.get("id") or ""
        objects[ref_id] = ref.get("dataObjectRef") or ref_id
    problems: list[Problem] = []
    for kind, declared, own_end, object_end in (("input", "dataInput", "targetRef", "sourceRef"),
                                                ("output", "dataOutput", "sourceRef", "targetRef")):
        for association in root.iter(tag(f"data{kind.capitalize()}Association")):
            task = association.getparent()
            if task is None:
                continue
            ends = {(e.text or "").strip() for e in association.findall(tag(own_end))}
            io_spec = task.find(tag("ioSpecification"))
            names = {d.get("id") for d in io_spec.iter(tag(declared))} if io_spec is not None else set()
            for end in sorted(ends & names):
                sources = [(e.text or "").strip() for e in association.findall(tag(object_end))]
                data_object = next((objects[s] for s in sources if s in objects), sources[0] if sources else "?")
                problems.append(Problem(filename, association.sourceline or 0, owner_id(task),
                                        _message(kind, end, data_object)))
    return problems


def _message(kind: str, end: str, data_object: str) -> str:
    if kind == "input":
        what = (f"data input '{end}' of the task's ioSpecification is fed from data object '{data_object}' by a "
                "dataInputAssociation: not supported (a data object reaches a task only under its own id, so the "
                "data input would be missing when the task runs)")
    else:
        what = (f"data output '{end}' of the task's ioSpecification goes to data object '{data_object}' by a "
                "dataOutputAssociation: not supported (a task hands a data object back only under the data "
                "object's own id, so the data output would never reach it)")
    return (what + f"; associate the data object with the task itself (no ioSpecification data {kind}) and let "
            f"the script use the variable '{data_object}', or keep the value in a case variable")
