"""bench/compat.py's view of a corpus: which models are executable, and how blockers group.

**Executable model.** A BPMN file counts when

1. it has at least one ``process`` whose ``isExecutable`` is not ``"false"`` (Flowable and
   Activiti default a missing attribute to executable, so do we), and
2. it is not a deliberately invalid test model. The engines' Java tests mark those by
   expecting the *deployment* to fail: the resource is named in a statement that deploys
   inside ``assertThatThrownBy(...)`` (AssertJ) or is followed by ``fail(...)`` in a
   ``try`` block (JUnit 4 style), e.g.::

       assertThatThrownBy(() -> repositoryService.createDeployment()
           .addClasspathResource(".../SignalEventTests.duplicateSignalNames.bpmn20.xml").deploy())

   Resources given through a variable are found when the variable is assigned a literal in
   the few lines before, or Camunda's ``TestHelper.getBpmnProcessDefinitionResource(getClass(),
   "testX")`` (the model ``<TestClass>.testX.bpmn20.xml``). A deployment inside ``try`` whose
   ``catch`` takes a ``ParseException`` (JUnit 4 style without ``fail``) is expected to fail too. Models whose *run* is expected to fail stay executable: they must
   deploy, and then fail as the test says.
3. it is not one of the few example models that their example never deploys to an engine
   (:data:`NEVER_DEPLOYED`, each with the reason).

**Blocker groups.** A deploy message names elements, variables and classes; grouping strips
the quoted and ``${...}`` parts and numbers, so ``camunda:class='org.A' is Java code ...`` and
``camunda:class='org.B' is Java code ...`` count as one blocker.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_DEPLOY = re.compile(r"\.deploy\(\)")
_CONCATENATED = re.compile(r'"\s*\+\s*"')
_RESOURCE = re.compile(r'"([^"\s]+\.bpmn(?:20\.xml)?)"')
_FAIL_AFTER = re.compile(r"^\s*\)?\s*;\s*(?://[^\n]*\n\s*)*fail\(")
_ASSIGNED = re.compile(r'(\w+)\s*=\s*"([^"\s]+\.bpmn(?:20\.xml)?)"')
_HELPER = re.compile(r'(\w+)\s*=\s*TestHelper\.getBpmnProcessDefinitionResource\(\s*getClass\(\)\s*,\s*"(\w+)"\s*\)')
_CATCH = re.compile(r"\}\s*catch\s*\(\s*(?:final\s+)?(\w+)")
_INVALID_HELPER = re.compile(r'\bparseInvalid\w*\(\s*"(\w+)"')   # BpmnParseTest: a helper deploys, expects failure


@lru_cache(maxsize=8)
def invalid_models(corpus: Path) -> frozenset[str]:
    """File names (not paths: resources are classpath-relative) of the models the corpus's
    Java tests expect to be refused at deployment."""
    names: set[str] = set()
    java = corpus / "java"
    if not java.is_dir():
        return frozenset()
    for source in java.rglob("*.java"):
        # "org/.../message/" + "Test.model.bpmn20.xml": one literal (MessageStartEventTest names its models so)
        text = _CONCATENATED.sub("", source.read_text(encoding="utf-8", errors="replace"))
        for match in _DEPLOY.finditer(text):
            names |= _refused_resources(text, match.start(), match.end(), source.stem)
        if "ParseInvalid" in source.stem:   # parameterised: every model it lists is deployed, expecting failure
            names |= {Path(r).name for r in _RESOURCE.findall(text)}
        names |= {f"{source.stem}.{test}{suffix}" for test in _INVALID_HELPER.findall(text)
                  for suffix in (".bpmn20.xml", ".bpmn")}
    return frozenset(names)


def _refused_resources(text: str, start: int, end: int, test_class: str = "") -> set[str]:
    window = text[max(0, start - 700):start]
    method = window[window.rfind("@Test") + 1:] if "@Test" in window else window
    statement = window[max(window.rfind(";"), window.rfind("}")) + 1:]
    expected = ("assertThatThrownBy" in statement or bool(_FAIL_AFTER.match(text[end:end + 300]))
                or _caught_parse_exception(text, end, method))
    if not expected or "EngineConfiguration.set" in method or "processEngineConfiguration.set" in method:
        return set()   # expected to fail under a configuration of the test's own, not as a model
    found = {Path(r).name for r in _RESOURCE.findall(statement)}
    if not found:  # addClasspathResource(resource): a literal assigned shortly before
        variables = set(re.findall(r"addClasspathResource\((\w+)\)", statement)
                        or re.findall(r"addClasspathResource\((\w+)\)", method))
        found = {Path(value).name for var, value in _ASSIGNED.findall(method) if var in variables}
        found |= {f"{test_class}.{name}{suffix}" for var, name in _HELPER.findall(method) if var in variables
                  for suffix in (".bpmn20.xml", ".bpmn")}
        if not found and not variables:  # a builder deployed later: its resource literal in the same method
            found = {Path(r).name for r in _RESOURCE.findall(method)}
    return found


def _caught_parse_exception(text: str, end: int, method: str) -> bool:
    """The deployment sits in a ``try`` whose ``catch`` takes a ParseException (no ``fail``)."""
    if "try" not in method:
        return False
    after = text[end:end + 600]
    catch = _CATCH.search(after)
    if catch is None or "@Test" in after[:catch.start()] or re.search(r"\btry\s*\{", after[:catch.start()]):
        return False
    return catch.group(1) == "ParseException"


# corpus -> path inside it -> why its example never deploys it
NEVER_DEPLOYED = {
    "camunda-bpm-examples": {
        "bpmn-model-api/parse-bpmn/src/test/resources/process.bpmn":
            "the BPMN Model API example only parses this file and reads its elements; it never deploys it to an "
            "engine (its Groovy script task never runs)",
    },
}


def executable(bpmn: Path, corpus: Path) -> tuple[bool, str]:
    """(counts as executable, why not)."""
    relative = bpmn.relative_to(corpus).as_posix() if bpmn.is_relative_to(corpus) else ""
    never = NEVER_DEPLOYED.get(corpus.name, {}).get(relative)
    if never:
        return False, never
    if bpmn.name in invalid_models(corpus):
        return False, "deliberately invalid (its Java test expects the deployment to fail)"
    try:
        root = etree.parse(str(bpmn), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    except etree.XMLSyntaxError as exc:
        return False, f"not well-formed XML: {exc}"
    processes = list(root.iter(f"{{{BPMN_NS}}}process"))
    if not processes:
        return False, "no process (a collaboration or diagram only)"
    if not any(p.get("isExecutable", "true") != "false" for p in processes):
        return False, "no executable process (isExecutable=\"false\")"
    return True, ""


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|[$#]\{[^}]*\}|`[^`]*`")
_NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")


def blocker_group(message: str) -> str:
    """A deploy message without its particulars (names, values, numbers)."""
    text = _QUOTED.sub("…", message)
    text = _NUMBER.sub("N", text)
    text = re.sub(r"\s+", " ", text).strip()
    cut = text.find("; ")
    if cut > 40:
        text = text[:cut]
    return text[:140]
