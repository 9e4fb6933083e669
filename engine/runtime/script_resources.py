"""Script resources (``camunda:resource``) as Camunda 7 loads them: lazily, when the script runs.

Camunda resolves ``camunda:resource`` on a script task, a listener's or a mapping's
``camunda:script`` only when the script is evaluated (ResourceExecutableScript,
ResourceUtil.loadResourceContent): ``deployment://path`` from the deployment's resources,
``classpath://path`` (and a path without a scheme) from the class path. A resource that is
not there is a failure of that run ("Unable to find resource at path ..."), not of the
deployment. A resource given as an expression (``${scriptPath}``) is evaluated against the
case's variables first (DynamicResourceExecutableScript).

Here the deployment's script files (the process folder's ``.js``/``.py`` files) are both the
deployment and the class path. A fixed path found among them is inlined at deploy time
(:func:`engine.runtime.camunda._inline_script_resources`: the files of a deployment never
change, so that is what Camunda would load). A fixed path that is missing deploys with a
warning and fails the run with an incident; an expression picks, when the task runs, one of
the deployment's own script files (data never brings code of its own: whatever it names must
have been deployed and checked with the model).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lxml import etree

from engine.domain.errors import Problem
from engine.runtime import juel
from engine.runtime.namespaces import CAMUNDA, owner_id, tag


def find_script(reference: str, scripts: Mapping[str, str]) -> str | None:
    """The text of the deployment's script file ``reference`` names (``deployment://a/b.js``,
    ``classpath://a/b.js`` or ``a/b.js``, matched by the end of its path), else None."""
    path = reference.split("://", 1)[-1].lstrip("/")
    if not path or juel.is_juel(path):
        return None
    for name, text in scripts.items():
        stored = name.replace("\\", "/")
        if stored == path or stored.endswith("/" + path) or path.endswith("/" + stored):
            return text
    return None


def is_dynamic(reference: str) -> bool:
    """A resource given as an expression (``${scriptPath}``, ``#{bean.path()}``)."""
    return juel.is_juel(reference.strip())


def missing_message(reference: str) -> str:
    """The failure of a run whose script resource is not part of the deployment."""
    return (f"unable to find the script resource at path '{reference}': it is not part of this process's "
            "deployment (Camunda loads camunda:resource when the script runs); deploy the script file with the "
            "model (in its folder) and redeploy, or write the script inline")


def unresolved_warnings(root: etree._Element, filename: str, mapped: Iterable[str] = ()) -> list[Problem]:
    """Deploy-time warnings for fixed script resources the deployment lacks (they fail when run).
    ``mapped``: the camunda-mapping.json "scripts" keys (those scripts call a connector instead)."""
    warnings = []
    for node in root.iter(tag("scriptTask"), tag("script", CAMUNDA)):
        attr = tag("resource", CAMUNDA) if node.tag == tag("scriptTask") else "resource"
        reference = node.get(attr)
        if reference and reference.split("://", 1)[-1].lstrip("/") in mapped:
            continue
        if reference and not is_dynamic(reference):
            warnings.append(Problem(filename, node.sourceline or 0, owner_id(node),
                                    f"the script resource '{reference}' is not part of this deployment; the "
                                    "script fails with an incident when it runs (as in Camunda, which loads "
                                    "it only then): deploy the file with the model"))
    return warnings


__all__ = ["find_script", "is_dynamic", "missing_message", "unresolved_warnings"]
