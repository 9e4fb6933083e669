"""Can these models run here? A per-file verdict for Camunda 7 (and spiff) BPMN files.

``check_paths(paths)`` parses and validates each BPMN file together with the files a
deployment of its folder would carry (DMN, ``.form``, JSON schemas, ``camunda-mapping.json``
and the BPMN files of processes it calls), exactly as ``deploy`` would, but never touches a
database. Each file gets one of three verdicts:

* ``runs``: it deploys as it is;
* ``runs after mapping``: it deploys once ``camunda-mapping.json`` maps its Java delegates,
  Camunda Connect connectors and undeclared beans (``${user.email(x)}``, then called
  synchronously) to connector operations (``mapping_needed`` lists the entries);
* ``blocked``: ``blockers`` lists every reason as ``FILE:LINE: element-id: message``.

External-task topics never block: without a ``"topics"`` entry a topic ``T`` runs as the
operation ``camunda.T`` (see :mod:`engine.runtime.camunda`); ``notes`` says which.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from lxml import etree

from engine.domain.errors import DeploymentError, Problem
from engine.runtime import camunda, flowable, unmapped
from engine.runtime.camunda_tasks import bare_name, delegate_operation, script_operation
from engine.runtime.checks import script_key
from engine.runtime.javascript import JAVASCRIPT_NAMES
from engine.runtime.namespaces import CAMUNDA, owner_id, tag
from engine.runtime.parsing import BPMN_SUFFIXES, SourceFile, detect_dialect, parse_bundle
from engine.runtime.xmlsafe import UnsafeXml, parse_untrusted

RUNS, AFTER_MAPPING, BLOCKED = "runs", "runs after mapping", "blocked"
COMPANION_SUFFIXES = (".dmn", ".form", ".json", ".js", ".py", ".groovy")
PYTHON_SCRIPTS = ("", "python", "text/x-python", "py")
RUNNABLE_SCRIPTS = (*PYTHON_SCRIPTS, *JAVASCRIPT_NAMES)
PLACEHOLDER_CONNECTOR = "mapped"
_BEAN_HINT = re.compile(r'declare "([A-Za-z_]\w*\.[A-Za-z_]\w*)" under "beans"')
_BEAN_ROUNDS = 20   # parses after mapping, each one able to reveal further undeclared beans


@dataclass
class FileReport:
    file: str
    status: str                                              # runs, runs after mapping, blocked
    processes: list[str] = field(default_factory=list)       # executable process ids of this file
    mapping_needed: list[tuple[str, str]] = field(default_factory=list)   # (section, name)
    blockers: list[Problem] = field(default_factory=list)
    remaining: list[Problem] = field(default_factory=list)   # blockers left once mapping_needed is mapped
    notes: list[str] = field(default_factory=list)
    java: list[str] = field(default_factory=list)            # element ids with Java code (delegates, listeners)
    scripts: list[str] = field(default_factory=list)         # element ids with Groovy/JavaScript/... scripts

    @property
    def deployable(self) -> bool:
        return self.status == RUNS

    @property
    def deploys_now(self) -> bool:
        """It deploys as it is: without a problem, or with Java code (delegates, connectors, beans,
        listeners) not mapped yet, which deploy warns about and which stops a case reaching it with
        an incident (:func:`deploy_unmapped`). Scripts in other languages are never filled in."""
        return self.status == RUNS or (self.status == AFTER_MAPPING
                                       and all(section != "scripts" for section, _ in self.mapping_needed))

    @property
    def in_target(self) -> bool:
        """Without Java code and foreign scripts, a model is expected to run here."""
        return not self.java and not self.scripts

    def mapping_snippet(self) -> dict[str, dict[str, str]]:
        snippet: dict[str, dict[str, str]] = {}
        for section, name in self.mapping_needed:
            snippet.setdefault(section, {})[name] = "connector.operation"
        return snippet

    def bean_snippet(self) -> dict[str, dict[str, str]]:
        """camunda-mapping.json "beans" entries that blockers ask for (an undeclared bean's method)."""
        beans = sorted({m.group(1) for p in self.blockers for m in _BEAN_HINT.finditer(p.message)}
                       - {name for section, name in self.mapping_needed if section == "beans"})
        return {"beans": {name: "engine_function or connector.operation" for name in beans}} if beans else {}


def bpmn_files(paths: Iterable[str | Path]) -> list[Path]:
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.is_file() and p.name.lower().endswith(BPMN_SUFFIXES))
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"{given}: no such file or folder")
    return found


def bundle_for(bpmn: Path) -> list[Path]:
    """The BPMN file, the DMN/form/JSON files of its folder (and the .form files of a Maven
    process application's src/main/webapp), and the BPMN files of the same folder that
    define the processes it calls, transitively (one file per called process: when several
    define it, the one whose name shares the longest prefix with the caller's, else the one
    named after the process)."""
    folder = bpmn.parent
    companions = [p for p in sorted(folder.iterdir()) if p.is_file() and p.suffix.lower() in COMPANION_SUFFIXES]
    companions += [p for p in _webapp_forms(bpmn) if p.name not in {c.name for c in companions}]
    siblings = {p: _process_ids(p) for p in sorted(folder.iterdir())
                if p.is_file() and p != bpmn and p.name.lower().endswith(BPMN_SUFFIXES)}
    chosen, todo, defined = [bpmn], [bpmn], _process_ids(bpmn)
    while todo:
        for called in sorted(_called_ids(todo.pop())):
            defining = [s for s, ids in siblings.items() if called in ids]
            if not defining or called in defined:
                continue
            # several files define it (test folders): the one named most like the caller, else like the process
            sibling = max(defining, key=lambda s: (len(os.path.commonprefix([s.name, bpmn.name])),
                                                   s.name.split(".")[0] == called, called.lower() in s.name.lower(),
                                                   -len(s.name)))
            chosen.append(sibling)
            todo.append(sibling)
            defined |= siblings[sibling]
    return [*chosen, *companions]


def _webapp_forms(bpmn: Path) -> list[Path]:
    """Camunda process applications keep forms referenced as ``camunda-forms:app:x.form``
    in the web application (Maven layout: src/main/resources/... -> src/main/webapp/)."""
    for parent in bpmn.parents:
        if parent.name == "resources" and parent.parent.name == "main":
            webapp = parent.parent / "webapp"
            if webapp.is_dir():
                return sorted(p for p in webapp.rglob("*.form") if p.is_file())
            break
    return []


def check_paths(paths: Iterable[str | Path], known_operations: set[str] | None = None,
                base_mapping: dict[str, Any] | None = None) -> list[FileReport]:
    return [check_file(p, known_operations, base_mapping) for p in bpmn_files(paths)]


def check_file(bpmn: Path, known_operations: set[str] | None = None,
               base_mapping: dict[str, Any] | None = None) -> FileReport:
    """``base_mapping``: camunda-mapping.json entries that apply to every file (a mapping
    file given on the command line); the folder's own camunda-mapping.json wins over it."""
    files = with_base_mapping([SourceFile(str(p), p.read_bytes()) for p in bundle_for(bpmn)], base_mapping)
    report = FileReport(str(bpmn), BLOCKED)
    try:
        root = _read_tree(files[0].content, files[0].name)
    except UnsafeXml as exc:
        report.blockers = [exc.problem]
        return report
    report.processes = [p.get("id", "") for p in root.iter(tag("process")) if p.get("isExecutable", "true") == "true"]
    trees = [root, *(_tree(f) for f in files[1:] if f.name.lower().endswith(BPMN_SUFFIXES))]
    roots = [r for r in trees if r is not None]
    for tree in roots:
        java, scripts = _java_and_scripts(tree)
        report.java += java
        report.scripts += scripts
    mapping = _mapping_of(files)
    problems, warnings = _parse(files, known_operations)
    needed = [entry for tree in roots for entry in _unmapped(tree, mapping)]
    needed = list(dict.fromkeys(needed + _beans_asked(problems)))
    if problems and needed:
        mapped = _with_mapping(files, mapping, needed)
        second, warnings = _parse(mapped, known_operations)
        for _round in range(_BEAN_ROUNDS):  # a text stops at its first undeclared bean: the next shows now
            more = [entry for entry in _beans_asked(second) if entry not in needed]
            if not more:
                break
            needed += more
            mapped = _with_mapping(files, mapping, needed)
            second, warnings = _parse(mapped, known_operations)
        report.mapping_needed = needed
        if not second:
            report.status = AFTER_MAPPING
        else:
            report.remaining = sorted(set(second), key=lambda p: (p.file, p.line, p.element_id, p.message))
            problems = sorted(set(problems) | set(second), key=lambda p: (p.file, p.line, p.element_id, p.message))
    elif not problems:
        report.status = RUNS
    if report.status == BLOCKED:
        report.blockers = problems
        report.remaining = report.remaining or problems
    elif not report.processes:
        report.status, report.blockers = BLOCKED, [Problem(str(bpmn), 0, "", "no executable process "
                                                            "(isExecutable=\"true\") in this file")]
        report.remaining = report.blockers
    report.notes = [f"warning: {w}" for w in warnings] + _topic_notes(root, mapping)
    return report


def summary(reports: list[FileReport]) -> str:
    runs = sum(r.status == RUNS for r in reports)
    now = sum(r.deploys_now for r in reports)
    after = sum(r.status == AFTER_MAPPING for r in reports) - (now - runs)
    line = f"{runs} of {len(reports)} models deployable"
    if now > runs:
        line += (f"; {now - runs} more deploy with unmapped Java code, which stops a case with an incident "
                 f"until {camunda.MAPPING_FILE} maps it")
    if after:
        line += f" ({after} more after mapping in {camunda.MAPPING_FILE})"
    return line


def deploy_unmapped(files: list[SourceFile], problems: list[Problem],
                    parse: Callable[[list[SourceFile]], Any]) -> tuple[list[SourceFile], Any, list[Problem]] | None:
    """A refused Camunda deployment whose only problems are Java code (delegates, Camunda Connect
    connectors, bean methods, Java listeners) that camunda-mapping.json does not map yet: the
    files with a camunda-mapping.json that maps each of them to its placeholder operation
    (:mod:`engine.runtime.unmapped`), what ``parse`` made of them, and one warning per problem
    it removed. None when other problems remain (scripts in other languages among them: a
    "scripts" entry is never filled in) or there is nothing to fill in."""
    trees = [tree for f in files if f.name.lower().endswith(BPMN_SUFFIXES) and (tree := _tree(f)) is not None]
    mapping_file = next((f for f in reversed(files) if os.path.basename(f.name) == camunda.MAPPING_FILE), None)
    mapping = _mapping_of([mapping_file]) if mapping_file is not None else {}
    needed = [entry for tree in trees for entry in _unmapped(tree, mapping) if entry[0] != "scripts"]
    needed = list(dict.fromkeys(needed + _beans_asked(problems)))
    seen = list(problems)
    for _round in range(_BEAN_ROUNDS + 1):   # a text stops at its first undeclared bean: the next shows then
        if not needed:
            return None
        mapped = _with_placeholders(files, mapping_file, mapping, needed)
        try:
            bundle = parse(mapped)
        except DeploymentError as exc:
            more = [entry for entry in _beans_asked(exc.problems) if entry not in needed]
            if not more:
                return None
            seen += [p for p in exc.problems if p not in seen]
            needed += more
            continue
        note = ("; deployed anyway, as Camunda deploys it: a case that reaches it stops with an incident "
                "until a new version maps it")
        return mapped, bundle, [Problem(p.file, p.line, p.element_id, p.message + note) for p in seen]
    return None


def _with_placeholders(files: list[SourceFile], mapping_file: SourceFile | None, mapping: dict[str, Any],
                       needed: list[tuple[str, str]]) -> list[SourceFile]:
    """``files`` with the mapping file (the one the parser reads, else a new one beside the first
    file) extended by a placeholder operation for every entry of ``needed``."""
    merged = {key: (dict(value) if isinstance(value, dict) else value) for key, value in mapping.items()}
    for section, name in needed:
        merged.setdefault(section, {})[name] = unmapped.operation_for(section, name)
    path = mapping_file.name if mapping_file is not None else \
        os.path.join(os.path.dirname(files[0].name), camunda.MAPPING_FILE)
    content = json.dumps(merged, indent=2, ensure_ascii=False).encode()
    return [SourceFile(path, content) if f is mapping_file else f for f in files] + \
        ([] if mapping_file is not None else [SourceFile(path, content)])


# --- helpers ------------------------------------------------------------------------------

def _parse(files: list[SourceFile], known_operations: set[str] | None) -> tuple[list[Problem], list[Problem]]:
    try:
        bundle = parse_bundle(files, _checker(), known_operations)
    except DeploymentError as exc:
        return list(exc.problems), []
    return [], list(bundle.warnings)


_CHECKER: Any = None


def _checker() -> Any:
    """The deploy-time expression check, with the engine's function names, and no database."""
    global _CHECKER
    if _CHECKER is None:
        from engine.bootstrap import expression_functions
        from engine.ports import SystemClock
        from engine.runtime.expressions import SafeEvaluator
        from engine.runtime.javascript import JavaScriptSandbox
        from engine.runtime.script_engine import model_checker

        evaluator = SafeEvaluator(functions=expression_functions(SystemClock()))
        _CHECKER = model_checker(evaluator, JavaScriptSandbox())
    return _CHECKER


def _mapping_of(files: list[SourceFile]) -> dict[str, Any]:
    for f in files:
        if os.path.basename(f.name) == camunda.MAPPING_FILE:
            try:
                data = json.loads(f.content.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                return {}
            return data if isinstance(data, dict) else {}
    return {}


def _beans_asked(problems: list[Problem]) -> list[tuple[str, str]]:
    """("beans", "bean.method") for every undeclared bean the problems name: mapped to a
    placeholder connector operation, called synchronously where the model calls it."""
    return list(dict.fromkeys(("beans", m.group(1)) for p in problems for m in _BEAN_HINT.finditer(p.message)))


def _unmapped(root: etree._Element, mapping: dict[str, Any]) -> list[tuple[str, str]]:
    needed: list[tuple[str, str]] = []
    throwing = (tag("intermediateThrowEvent"), tag("endEvent"))   # their implementations run as service tasks
    throws = [d for d in root.iter(tag("messageEventDefinition")) if (p := d.getparent()) is not None and p.tag in throwing]
    for name in ("serviceTask", "sendTask", "businessRuleTask", "messageEventDefinition"):
        for node in (throws if name == "messageEventDefinition" else root.iter(tag(name))):
            impl = camunda.implementation(node, mapping)
            entry = impl.mapping_entry
            if impl.kind in ("delegate", "connector") and impl.operation is None and entry and entry not in needed:
                key = bare_name(impl.name) if impl.kind == "delegate" else impl.name
                needed.append((entry[0], key))
    for node in root.iter(tag("executionListener", CAMUNDA), tag("taskListener", CAMUNDA)):
        for attr in ("class", "delegateExpression"):
            value = node.get(attr)
            if value and delegate_operation(value, mapping) is None and ("delegates", bare_name(value)) not in needed:
                needed.append(("delegates", bare_name(value)))
    # scripts in a language that cannot run here (Groovy, XSLT, ...): a "scripts" entry hands
    # their work to a connector operation (script tasks and listeners; not input/output values)
    listener_scripts = [s for n in root.iter(tag("executionListener", CAMUNDA), tag("taskListener", CAMUNDA))
                        for s in n.findall(tag("script", CAMUNDA))]
    for node in [*root.iter(tag("scriptTask")), *listener_scripts]:
        language = (node.get("scriptFormat") or "").strip().lower()
        if language in RUNNABLE_SCRIPTS or (node.tag == tag("scriptTask") and language == "juel"):
            continue
        key = script_key(node)
        if key and script_operation(key, mapping) is None and ("scripts", key) not in needed:
            needed.append(("scripts", key))
    return needed


def with_base_mapping(files: list[SourceFile], base: dict[str, Any] | None) -> list[SourceFile]:
    """The bundle with ``base`` merged under its own camunda-mapping.json (its entries win)."""
    if not base:
        return files
    own = _mapping_of(files)
    merged = {section: {**dict(base.get(section) or {}), **dict(own.get(section) or {})}
              for section in camunda.MAPPING_SECTIONS if base.get(section) or own.get(section)}
    rest = [f for f in files if os.path.basename(f.name) != camunda.MAPPING_FILE]
    folder = os.path.dirname(files[0].name)
    return [*rest, SourceFile(os.path.join(folder, camunda.MAPPING_FILE), json.dumps(merged).encode())]


def _with_mapping(files: list[SourceFile], mapping: dict[str, Any], needed: list[tuple[str, str]]) -> list[SourceFile]:
    merged = {section: dict(mapping.get(section) or {}) for section in camunda.MAPPING_SECTIONS}
    for i, (section, name) in enumerate(needed):
        merged[section][name] = f"{PLACEHOLDER_CONNECTOR}.operation_{i}"
    rest = [f for f in files if os.path.basename(f.name) != camunda.MAPPING_FILE]
    folder = os.path.dirname(files[0].name)
    return [*rest, SourceFile(os.path.join(folder, camunda.MAPPING_FILE), json.dumps(merged).encode())]


def _topic_notes(root: etree._Element, mapping: dict[str, Any]) -> list[str]:
    notes: list[str] = []
    for node in root.iter(tag("serviceTask"), tag("sendTask")):
        impl = camunda.implementation(node, mapping)
        if impl.kind == "external" and impl.name:
            notes.append(f"{node.get('id')}: external topic '{impl.name}' runs as connector operation "
                         f"'{impl.operation}'")
    return notes


def _java_and_scripts(root: etree._Element) -> tuple[list[str], list[str]]:
    java: list[str] = []
    scripts: list[str] = []
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        if any(node.get(tag(a, CAMUNDA)) is not None for a in camunda.DELEGATE_ATTRIBUTES) and \
                node.tag in (tag("serviceTask"), tag("sendTask"), tag("businessRuleTask")):
            java.append(node.get("id", ""))
        elif node.tag in (tag("executionListener", CAMUNDA), tag("taskListener", CAMUNDA)) and \
                any(node.get(a) for a in camunda.DELEGATE_ATTRIBUTES):
            java.append(owner_id(node))
        elif node.tag == tag("scriptTask") and \
                (node.get("scriptFormat") or "").strip().lower() not in PYTHON_SCRIPTS:
            scripts.append(node.get("id", ""))
        elif node.tag == tag("script", CAMUNDA):
            scripts.append(owner_id(node))
    return sorted(set(java)), sorted(set(scripts))


def _read_tree(content: bytes, name: str) -> etree._Element:
    """The file's tree as the Camunda translation reads it (Flowable files normalised)."""
    root = parse_untrusted(content, name)
    if detect_dialect(content) == "flowable":
        flowable.normalise(root, name)
    return root


def _tree(f: SourceFile) -> etree._Element | None:
    try:
        return _read_tree(f.content, f.name)
    except UnsafeXml:
        return None


def _process_ids(path: Path) -> set[str]:
    try:
        root = parse_untrusted(path.read_bytes(), str(path))
    except UnsafeXml:
        return set()
    return {p.get("id", "") for p in root.iter(tag("process"))}


def _called_ids(path: Path) -> set[str]:
    try:
        root = parse_untrusted(path.read_bytes(), str(path))
    except UnsafeXml:
        return set()
    return {c.get("calledElement", "") for c in root.iter(tag("callActivity")) if c.get("calledElement")}


__all__ = ["FileReport", "check_paths", "check_file", "deploy_unmapped", "bundle_for", "bpmn_files", "summary", "with_base_mapping",
           "RUNS", "AFTER_MAPPING", "BLOCKED"]
