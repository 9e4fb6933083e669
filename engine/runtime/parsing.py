"""Parse and validate a deployment bundle (BPMN + DMN + forms), all or nothing."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition

from engine.domain.errors import DeploymentError, Problem
from engine.domain import prefill
from engine.runtime import (
    camunda, camunda_listeners, checks, elements, flowable, juel, limit_checks, listeners, terminate_all)
from engine.runtime.bounded import bound_multi_instance
from engine.runtime import compensation
from engine.runtime.compensation_model import CompensationModel, read_compensation
from engine.runtime import cycle_end, date_bounds, loop_index
from engine.runtime.model import ElementInfo, Form, ProcessModel
from engine.runtime.namespaces import CAMUNDA, SPIFF, tag
from engine.runtime import (camunda_checks, camunda_decisions, camunda_tasks, case_sla, event_names, flowable_tasks, links, milestones, script_resources,
                            task_list, task_owners)
from engine.runtime.event_subprocesses import prepare_triggers
from engine.runtime.multi_instance import prepare_multi_instance
from engine.runtime.rearm import prepare_rearming
from engine.runtime.call_activity import BORROWED_PREFIX
from engine.runtime.scopes import Scopes
from engine.runtime import beans, branch_merge, languages, reserved_ids, shared_scope, skip_expressions, variable_aggregation
from engine.runtime import variable_listeners, withdrawal
from engine.runtime.reserved_ids import reserved_id_problems
from engine.runtime.script_tasks import CamundaScriptTask
from engine.runtime.specs import (
    CamundaDialectParser, SpiffDialectParser, catch_any_code, repeat_in_flow, use_engine_clock)
from engine.runtime.xmlsafe import UnsafeXml, parse_untrusted

MAX_JSON_BYTES = 1024 * 1024
_JUEL_TEXT = re.compile(rb"(?:>|<!\[CDATA\[)\s*[$#]\{")
BPMN_SUFFIXES = (".bpmn", ".bpmn20.xml")
SCRIPT_SUFFIXES = (".js", ".py", ".groovy")   # script resources models load (camunda:resource)
IGNORED_SUFFIXES = (".md", ".toml", ".txt", ".png", ".svg")

Checker = Callable[[str, str, str], list[str]]  # (source, mode, element_id) -> messages


@dataclass
class SourceFile:
    name: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class ParsedProcess:
    model: ProcessModel
    spec: Any
    subprocess_specs: dict[str, Any]
    models: dict[str, ProcessModel]          # this process and every process it calls


@dataclass
class ParsedBundle:
    processes: dict[str, ParsedProcess]
    warnings: list[Problem] = field(default_factory=list)


def detect_dialect(content: bytes) -> str:
    """flowable: uses Flowable's or Activiti's extension namespace (normalised onto the
    Camunda dialect before anything reads it: engine.runtime.flowable); camunda: uses
    Camunda's extension namespace, or comes from Camunda Modeler for the Camunda platform
    without spiff extensions, or is plain BPMN whose expressions are written in JUEL (an
    element text starting with ``${``/``#{``: never Python); spiff otherwise (also plain BPMN)."""
    if flowable.is_flowable(content) and SPIFF.encode() not in content:
        return "flowable"
    if SPIFF.encode() not in content and _JUEL_TEXT.search(content):
        return "camunda"  # plain BPMN whose expressions are JUEL (${...}): Camunda's and Flowable's language
    if CAMUNDA.encode() in content:
        return "camunda"
    if b"camunda.org/schema/modeler" in content and SPIFF.encode() not in content:
        return "camunda"
    return "spiff"


def parse_bundle(files: list[SourceFile], check: Checker | None = None,
                 known_operations: set[str] | None = None) -> ParsedBundle:
    return _BundleParser(files, check, known_operations).parse()


class _BundleParser:
    def __init__(self, files: list[SourceFile], check: Checker | None, known_operations: set[str] | None) -> None:
        self.files = files
        self.check = check
        self.known_operations = known_operations
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.trees: dict[str, etree._Element] = {}
        self.dmn: dict[str, etree._Element] = {}
        self.json_files: dict[str, Any] = {}
        self.dialects: dict[str, str] = {}
        self.terminate_all: set[tuple[str, str]] = set()   # (file, end event id): Flowable terminateAll
        self.terminate_mi: set[tuple[str, str]] = set()    # (file, end event id): Flowable terminateMultiInstance
        self.skips: dict[tuple[str, str], str] = {}         # (file, activity id) -> Flowable skip condition
        self.aggregations: dict[tuple[str, str], list[Any]] = {}   # (file, activity id) -> Flowable aggregations
        self.index_variables: dict[tuple[str, str], str] = {}   # (file, activity id) -> Flowable elementIndexVariable
        self.cycle_ends: dict[tuple[str, str], str] = {}   # (file, event id) -> Flowable timer cycle endDate expression
        self.flowable_files: set[str] = set()
        self.delegates: dict[str, str] = {}
        self.compensation = CompensationModel()
        self.scopes = Scopes()   # input/output and call activity mappings, put onto the specs
        self.listeners_by_file: dict[str, dict[str, listeners.ElementListeners]] = {}
        self.scripts: dict[str, str] = {}   # script resources of the deployment: file name -> text
        self.service_files = [(f.name, f.content) for f in files if f.name.endswith("service.toml")]

    def parse(self) -> ParsedBundle:
        if not self.files:
            raise DeploymentError([Problem("-", 0, "", "nothing to deploy: no BPMN file given")])
        self._read_files()
        if not self.trees:
            if not self.problems:
                self.problems.append(Problem("-", 0, "", "no BPMN file in the deployment"))
            self._fail_if_problems()
        called = set().union(*(checks.process_ids(t) for t in self.trees.values()))
        duplicates = [p for name, root in [*self.trees.items(), *self.dmn.items()]
                      for p in checks.duplicate_id_problems(root, name)]
        if duplicates:             # nothing below can tell two elements of one id apart
            self.problems.extend(duplicates)
            self._fail_if_problems()
        for name, root in self.dmn.items():
            self.problems.extend(languages.dmn_problems(root, name))
            self.problems.extend(camunda_decisions.decision_problems(root, name))
        for name, root in self.trees.items():
            self.problems.extend(languages.expression_problems(root, name, camunda=self.dialects[name] == "camunda"))
            checks.name_anonymous_flows(root)
            checks.local_references(root)
            checks.inline_event_definition_refs(root)
            if self.dialects[name] == "camunda":
                event_names.fold_constant_names(root)
            else:
                checks.iso_timer_literals(root)
                # several flows leaving an activity: explicit split gateways, as the Camunda and
                # Flowable dialects get them (flowable.standard_bpmn); SpiffWorkflow's parser refused them
                flowable_tasks.uncontrolled_flows(root)
            checks.address_bare_receive_tasks(root)
            checks.error_boundaries_interrupt(root)
            self.problems.extend(links.rewrite_links(root, name))
            self.problems.extend(read_compensation(root, name, self.compensation))
            checks.gateway_free_loops(root)
            if self.dialects[name] == "camunda":
                checks.implicit_error_codes(root)
                checks.unconditional_exclusive_flows(root)
                checks.unconditional_inclusive_flows(root)
                flowable_tasks.loop_data_input(root)   # BPMN's own collection: Camunda 7 reads it too
                camunda.mapped_scripts_as_service_tasks(root, self.delegates)
                self.warnings.extend(camunda.unnamed_message_throws(root, name))
            self.problems.extend(checks.static_problems(root, name, called,
                                                        javascript=self.dialects[name] == "camunda",
                                                        flowable=name in self.flowable_files))
            if name not in self.flowable_files:
                self.problems.extend(checks.escalation_and_signal_problems(
                    root, name, escalations=self.dialects[name] == "camunda"))
            if self.dialects[name] == "camunda":
                self.problems.extend(checks.start_event_problems(root, name, flowable=name in self.flowable_files))
                self.problems.extend(checks.unclosed_expression_problems(root, name))
            missing = checks.missing_called_problems(root, name, called, camunda=self.dialects[name] == "camunda")
            (self.warnings if self.dialects[name] == "camunda" else self.problems).extend(missing)
            if self.dialects[name] != "camunda":
                self.problems.extend(beans.reserved_call_problems(root, name))
            if self.dialects[name] == "camunda":
                self.problems.extend(camunda.translate_tree(root, name, self.delegates, self.scripts,
                                                            self.known_operations))
                self.warnings.extend(camunda_decisions.missing_decision_warnings(
                    root, name, {d.get("id", "") for tree in self.dmn.values() for d in tree.iter("{*}decision")}))
                self.warnings.extend(camunda_checks.javascript_bean_warnings(root, name, self.delegates))
                self.warnings.extend(script_resources.unresolved_warnings(
                    root, name, camunda_tasks.mapping_section(self.delegates, "scripts")))
            if self.check is not None:  # deploying (not re-reading a stored definition)
                self.problems.extend(reserved_id_problems(root, name))
                self.problems.extend(checks.expression_problems(root, name, self.check))
                self.problems.extend(limit_checks.limit_problems(root, name))
            self._model_problems(root, name)
        if self.check is not None:
            self.problems.extend(limit_checks.call_cycles(self.trees))
        self._fail_if_problems()
        processes = self._build_specs()
        self._fail_if_problems()
        return ParsedBundle(processes, self.warnings)

    def _fail_if_problems(self) -> None:
        if self.problems:
            problems = {flowable.in_its_words(p, self.flowable_files) for p in self.problems}
            raise DeploymentError(sorted(problems, key=lambda p: (p.file, p.line, p.element_id, p.message)))

    def _read_files(self) -> None:
        for f in self.files:
            lower = f.name.lower()
            try:
                if lower.endswith(BPMN_SUFFIXES):
                    self.trees[f.name] = parse_untrusted(f.content, f.name)
                    self.dialects[f.name] = detect_dialect(f.content)
                    if self.dialects[f.name] == "flowable":
                        self._normalise_flowable(f.name)
                    elif self.dialects[f.name] == "camunda":
                        flowable.standard_bpmn(self.trees[f.name])
                elif lower.endswith(".dmn"):
                    self.dmn[f.name] = parse_untrusted(f.content, f.name)
                elif lower.endswith((".json", ".form")):
                    self._read_json(f)
                elif lower.endswith(SCRIPT_SUFFIXES):
                    self._read_script(f)
                elif not lower.endswith(IGNORED_SUFFIXES):
                    self.problems.append(Problem(f.name, 0, "", "unknown file type (expected .bpmn, .dmn, .json or .form)"))
            except UnsafeXml as exc:
                self.problems.append(exc.problem)
        self._plain_bpmn_joins_camunda()

    def _plain_bpmn_joins_camunda(self) -> None:
        """A file of plain BPMN (no extension of either dialect) deployed with Camunda files is read
        as Camunda too: a plain caller and a Camunda called process must meet in one parser."""
        if "camunda" not in self.dialects.values():
            return
        for f in self.files:
            if self.dialects.get(f.name) == "spiff" and SPIFF.encode() not in f.content:
                self.dialects[f.name] = "camunda"
                flowable.standard_bpmn(self.trees[f.name])

    def _normalise_flowable(self, name: str) -> None:
        """Flowable/Activiti extensions onto their Camunda twins; from here on a Camunda file."""
        problems, warnings = flowable.normalise(self.trees[name], name)
        self.terminate_all |= {(name, i) for i in flowable.terminate_all_ids(self.trees[name])}
        self.terminate_mi |= {(name, i) for i in flowable.terminate_multi_instance_ids(self.trees[name])}
        self.skips.update({(name, i): e for i, e in skip_expressions.expressions(self.trees[name]).items()})
        self.aggregations.update({(name, i): a for i, a in variable_aggregation.definitions(self.trees[name]).items()})
        self.index_variables.update({(name, i): v for i, v in loop_index.definitions(self.trees[name]).items()})
        self.cycle_ends.update({(name, i): e for i, e in cycle_end.definitions(self.trees[name]).items()})
        self.flowable_files.add(name)
        self.problems.extend(problems)
        self.warnings.extend(warnings)
        self.dialects[name] = "camunda"

    def _read_script(self, f: SourceFile) -> None:
        """A script file a model loads with camunda:resource (inlined by the Camunda translation)."""
        if len(f.content) > MAX_JSON_BYTES:
            self.problems.append(Problem(f.name, 1, "", f"file is larger than {MAX_JSON_BYTES} bytes"))
            return
        try:
            self.scripts[f.name] = f.content.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.problems.append(Problem(f.name, 1, "", f"not UTF-8 text: {exc}"))

    def _read_json(self, f: SourceFile) -> None:
        if len(f.content) > MAX_JSON_BYTES:
            self.problems.append(Problem(f.name, 1, "", f"file is larger than {MAX_JSON_BYTES} bytes"))
            return
        try:
            data = json.loads(f.content.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            line = getattr(exc, "lineno", 1)
            self.problems.append(Problem(f.name, line, "", f"not valid JSON: {exc}"))
            return
        base = os.path.basename(f.name)
        if base == camunda.MAPPING_FILE:
            self.problems.extend(camunda.mapping_problems(data, f.name))
            # the whole mapping: topics, delegates, connectors; it comes before any borrowed one
            self.delegates = merge_mappings(data, self.delegates)
        elif is_borrowed_mapping(base):
            self.delegates = merge_mappings(self.delegates, data)
        self.json_files[base] = data

    def _model_problems(self, root: etree._Element, filename: str) -> None:
        """Element metadata problems (forms, service operations) before SpiffWorkflow parses."""
        for proc in root.iter(tag("process")):
            self._model(proc, filename, self.dialects[filename])

    def _parser_for(self, dialect: str) -> Any:
        parser = CamundaDialectParser() if dialect == "camunda" else SpiffDialectParser()
        for name, root in self.dmn.items():
            try:
                parser.add_dmn_xml(camunda_decisions.for_the_library(root), filename=name)
            except (ValidationException, Exception) as exc:  # noqa: BLE001 - parser errors vary
                self.problems.append(_problem_from(exc, name, root))
        for name, root in self.trees.items():
            if self.dialects[name] == dialect:
                try:
                    parser.add_bpmn_xml(reserved_ids.for_the_library(root), filename=name)
                except Exception as exc:  # noqa: BLE001 - SpiffWorkflow raises TypeError/KeyError on bad refs
                    self.problems.append(_problem_from(exc, name, root))
        return parser

    def _build_specs(self) -> dict[str, ParsedProcess]:
        result: dict[str, ParsedProcess] = {}
        models: dict[str, ProcessModel] = {}
        for dialect in sorted(set(self.dialects.values())):
            parser = self._parser_for(dialect)
            if self.problems:
                return result
            for name, root in self.trees.items():
                if self.dialects[name] != dialect:
                    continue
                for proc in root.iter(tag("process")):
                    model = self._model(proc, name, dialect)
                    models[model.key] = model
            for name, root in self.trees.items():
                if self.dialects[name] != dialect:
                    continue
                for proc in root.iter(tag("process")):
                    if proc.get("isExecutable", "true") != "true":
                        continue
                    pid = proc.get("id", "")
                    try:
                        spec = parser.get_spec(pid)
                        subs = self.scopes.subprocess_specs(parser, pid)
                    except Exception as exc:  # noqa: BLE001
                        self.problems.append(_problem_from(exc, name, root))
                        continue
                    for s in [spec, *subs.values()]:
                        self._prepare_spec(s, dialect)
                    branch_merge.attach([spec, *subs.values()])
                    shared_scope.attach(spec, subs)   # last: its sync runs around every other behaviour
                    called = {pid: models[pid], **{k: models[k] for k in subs if k in models}}
                    result[pid] = ParsedProcess(models[pid], spec, subs, called)
        for parsed in result.values():   # after every spec is prepared: handlers join other specs
            compensation.link([parsed.spec, *parsed.subprocess_specs.values()])
        return result

    def _model(self, proc: etree._Element, filename: str, dialect: str) -> ProcessModel:
        def loader(reference: str, node: etree._Element) -> Form | None:
            return self._load_form(reference, node, filename)

        def service(node: etree._Element, problems: list[Problem]) -> Any:
            return camunda.service_call(node, self.delegates, problems, filename)

        infos = elements.element_infos(proc, dialect, loader, self.problems, filename, service)
        for info in infos.values():
            if info.kind in ("serviceTask",) and info.service is None and dialect == "spiff":
                self.problems.append(Problem(filename, info.line, info.id,
                                             "service task names no connector operation (spiffworkflow:serviceTaskOperator)"))
            if info.service and self.known_operations is not None and info.service.topic is None \
                    and info.service.operation not in self.known_operations:  # an unmapped topic may be external
                self.problems.append(Problem(filename, info.line, info.id,
                                             f"unknown connector operation '{info.service.operation}'"))
            if info.service and self.check:
                for pname, expr in info.service.params.items():
                    for msg in self.check(expr, "eval", info.id):
                        self.problems.append(Problem(filename, info.line, info.id, f"parameter '{pname}': {msg}"))
            if self.check and dialect == "camunda":
                self._check_task_expressions(info, filename)
        if dialect == "camunda":
            self.scopes.read(proc, filename, infos, self.check, self.problems)
            self._read_listeners(proc, filename)
        found = self.listeners_by_file.setdefault(filename, {})
        milestones.status_listeners(infos, found)
        group, problems = task_owners.default_group(self.service_files, proc.get("id", ""))
        self.problems.extend(p for p in problems if p not in self.problems)
        named = {element for element, entry in found.items()
                 if any(x.kind == "task" and x.event in task_owners.NAMING_EVENTS for x in entry.own)}
        self.warnings.extend(w for w in task_owners.assign_unowned(infos, group, named, filename)
                             if w not in self.warnings)   # a process's model may be read twice
        name = proc.get("name") or proc.get("id") or ""
        fields = [f.strip() for f in (proc.get(tag("caseFields", SPIFF)) or "").split(",") if f.strip()]
        summary, problems = task_list.summary_field(self.service_files, proc.get("id", ""), fields)
        self.problems.extend(p for p in problems if p not in self.problems)
        sla, problems = case_sla.case_sla(self.service_files, proc.get("id", ""))
        self.problems.extend(p for p in problems if p not in self.problems)
        withdrawn_by, problems = withdrawal.withdrawal_message(self.service_files, proc.get("id", ""), infos)
        self.problems.extend(p for p in problems if p not in self.problems)
        return ProcessModel(key=proc.get("id", ""), name=name, dialect=dialect, elements=infos, case_fields=fields,
                            summary=summary, case_sla=sla, withdrawal=withdrawn_by)

    def _read_listeners(self, proc: etree._Element, filename: str) -> None:
        found = listeners.collect(proc, self.delegates)
        self.listeners_by_file.setdefault(filename, {}).update(found)
        if self.check is not None:
            self.problems.extend(camunda_listeners.problems(found, filename, proc.sourceline or 0, self.check,
                                                            self.known_operations))

    def _check_task_expressions(self, info: ElementInfo, filename: str) -> None:
        """User-task attributes stay JUEL until a work item is projected: check their functions now."""
        assert self.check is not None
        expression = info.properties.get(camunda.EXPRESSION_PROPERTY)
        for msg in self.check(expression, "eval", info.id) if expression else ():
            self.problems.append(Problem(filename, info.line, info.id, f"camunda:expression: {msg}"))
        texts = [info.assignee, info.due_date, info.follow_up_date, info.priority,
                 *info.candidate_groups, *info.candidate_users]
        for text in texts:
            if not text or not juel.is_juel(text):
                continue
            try:
                source = juel.translate(text)
            except juel.JuelError:
                continue  # reported by the Camunda translation
            for msg in self.check(source, "eval", info.id):
                self.problems.append(Problem(filename, info.line, info.id, f"{text!r}: {msg}"))

    def _load_form(self, reference: str, node: etree._Element, filename: str) -> Form | None:
        from engine.runtime import camunda_forms

        element_id, line = node.get("id", ""), node.sourceline or 0
        try:
            if reference == "camunda:formData":
                schema, ui = camunda_forms.form_fields_to_schema(elements.camunda_form_fields(node))
                return self._checked_form(schema, ui, filename, element_id, line)
            if "|" in reference:  # spiff: schema file | ui schema file
                schema_name, ui_name = reference.split("|", 1)
                json_schema = self.json_files.get(os.path.basename(schema_name))
                if json_schema is None:
                    raise ValueError(f"form schema file '{schema_name}' is not part of this deployment")
                ui = self.json_files.get(os.path.basename(ui_name), {}) if ui_name else {}
                return self._checked_form(json_schema, ui, schema_name, element_id, line)
            form_file = _camunda_form_file(reference, self.json_files)
            if form_file is not None:
                schema, ui = camunda_forms.camunda_form_to_schema(form_file)
                return self._checked_form(schema, ui, filename, element_id, line)
        except (ValueError, KeyError, TypeError) as exc:
            self.problems.append(Problem(filename, line, element_id, f"form: {exc}"))
            return None
        self.warnings.append(Problem(filename, line, element_id,
                                     f"form '{reference}' is not a JSON Schema or Camunda Form in this deployment; "
                                     "people can complete it but send no data; declare its fields "
                                     "(camunda:formField, a form file, or the property amtsflow:formFields)"))
        return None

    def _checked_form(self, schema: Any, ui: Any, source: str, element_id: str, line: int) -> Form | None:
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            self.problems.append(Problem(source, line, element_id, f"invalid JSON Schema: {exc.message}"))
            return None
        bounds = date_bounds.problems(schema) + prefill.problems(ui)
        for message in bounds:
            self.problems.append(Problem(source, line, element_id, f"form: {message}"))
        if bounds:
            return None
        return Form(schema=schema, ui_schema=ui if isinstance(ui, dict) else {}, source=source)

    def _prepare_spec(self, spec: Any, dialect: str) -> None:
        reserved_ids.restore_visible_ids(spec)   # first: everything below reads element ids
        prepare_triggers(spec)
        prepare_rearming(spec)
        prepare_multi_instance(spec)
        file = getattr(spec, "file", "")
        # beans the process folder maps, callable from its JavaScript (engine.runtime.script_engine);
        # specs are re-parsed from the stored deployment, so this never enters a case's data
        # Flowable's initial activity without a none start event is the first start event
        # (engine.runtime.initial_start); specs are re-parsed from the source, the mark is never stored
        spec.first_start_is_initial = file in self.flowable_files
        spec.javascript_beans = {**camunda_tasks.bean_functions(self.delegates),
                                 **camunda_tasks.bean_operations(self.delegates)}
        self.scopes.attach(spec)
        tree = self.trees.get(file)
        condition_filters = variable_listeners.filters(tree) if tree is not None and dialect == "camunda" else {}
        for task_spec in spec.task_specs.values():
            if (file, getattr(task_spec, "bpmn_id", None) or "") in self.terminate_all:
                terminate_all.attach(task_spec)
            if (file, getattr(task_spec, "bpmn_id", None) or "") in self.terminate_mi:
                terminate_all.attach_multi_instance(task_spec)
            skip = self.skips.get((file, getattr(task_spec, "bpmn_id", None) or ""))
            if skip is not None and not isinstance(task_spec, MultiInstanceTask):   # each instance is skipped
                skip_expressions.attach(task_spec, skip)
            aggregations = self.aggregations.get((file, getattr(task_spec, "bpmn_id", None) or ""))
            if aggregations and isinstance(task_spec, MultiInstanceTask):
                variable_aggregation.attach(task_spec, aggregations)
            index_variable = self.index_variables.get((file, getattr(task_spec, "bpmn_id", None) or ""))
            if index_variable and isinstance(task_spec, MultiInstanceTask):
                loop_index.attach(task_spec, index_variable)
            definition = getattr(task_spec, "event_definition", None)
            end = self.cycle_ends.get((file, getattr(task_spec, "bpmn_id", None) or ""))
            if end is not None and isinstance(definition, CycleTimerEventDefinition):
                cycle_end.attach(definition, end)
            if definition is not None:
                found = condition_filters.get(getattr(task_spec, "bpmn_id", None) or "")
                if found:
                    variable_listeners.attach_filters(definition, found)
                use_engine_clock(definition)
                catch_any_code(definition)
                if dialect == "spiff":
                    repeat_in_flow(task_spec)
            bound_multi_instance(task_spec)
            if isinstance(task_spec, CamundaScriptTask) and task_spec.resource:
                task_spec.scripts = self.scripts   # loaded when the task runs
        listeners.attach_to_spec(spec, self.listeners_by_file.get(file, {}))
        compensation.attach(spec, self.compensation)


# BORROWED_PREFIX (engine.runtime.call_activity): files of a called process deployed before (engine.services.called)


def is_borrowed_mapping(base: str) -> bool:
    """A called process's camunda-mapping.json that came with its stored files
    (``deployed-KEY-vN-camunda-mapping.json``)."""
    return base.startswith(BORROWED_PREFIX) and base.endswith("-" + camunda.MAPPING_FILE)


def merge_mappings(first: Any, then: Any) -> dict[str, Any]:
    """One camunda-mapping.json from two: every entry of ``first``, and of ``then`` the entries
    ``first`` does not name. Camunda resolves beans and delegates application-wide, so a caller
    and a called process deployed from different folders see each other's mappings; the
    caller's (the upload's) entry wins where both map the same name."""
    merged: dict[str, Any] = {key: (dict(value) if isinstance(value, dict) else value)
                              for key, value in (then if isinstance(then, dict) else {}).items()}
    for key, value in (first if isinstance(first, dict) else {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key].update(value)
        else:
            merged[key] = value
    return merged


def _camunda_form_file(reference: str, json_files: dict[str, Any]) -> Any:
    name = reference.split(":")[-1]
    if os.path.basename(name) in json_files:
        return json_files[os.path.basename(name)]
    for data in json_files.values():  # formRef: the form's id
        if isinstance(data, dict) and data.get("id") == reference and "components" in data:
            return data
    return None


def _caused_by_recursion(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, RecursionError) or "maximum recursion depth" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _problem_from(exc: Exception, filename: str, root: etree._Element) -> Problem:
    element_id = str(getattr(exc, "id", "") or "")
    line = 0
    if element_id:
        found = root.xpath("//*[@id=$i]", i=element_id)
        line = found[0].sourceline if found else 0
    message = str(exc.args[0]) if exc.args else exc.__class__.__name__
    if _caused_by_recursion(exc):
        return Problem(getattr(exc, "file_name", "") or filename, line, element_id,
                       "the process is too long to be read: several hundred elements follow one another in a "
                       "single chain; split it into sub-processes or call activities")
    if isinstance(exc, (TypeError, KeyError, AttributeError)):
        message = f"the model could not be read ({exc.__class__.__name__}: {message}); check message, signal, error and decision references"
    return Problem(getattr(exc, "file_name", "") or filename, line, element_id, message)


