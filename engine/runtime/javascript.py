"""Inline JavaScript of Camunda models, run in a QuickJS sandbox.

Camunda 7 models carry JavaScript in script tasks, execution/task listeners and
input/output parameters. It runs here in QuickJS (the ``quickjs`` package, pinned in
pyproject.toml), chosen over V8 (mini-racer) for its isolation and hard limits: every run
gets a fresh runtime (about 0.1 ms) that holds nothing but the language's own built-ins;
no file system, network, process, ``require``, module loader, timers or host functions
are ever registered, so a script can reach nothing outside its own heap (bean calls, below,
cross as JSON text between runs, not as host functions). Limits per run:
memory (the runtime's allocator refuses beyond ``max_memory``), CPU time (QuickJS's
interrupt handler, measured in process CPU time) and native stack depth.

Values cross the boundary as JSON text only, in both directions: the variables go in as
one JSON string parsed inside the sandbox, and the outcome (the script's completion value,
the variables it set or removed, changes to the task) comes back as one JSON string whose
size is checked before Python parses it. No Python object is ever handed to the engine.

The Camunda script API that models use is provided as plain JavaScript objects (and
Spin's JSON reading API, ``S(json).prop('a').stringValue()``):
``execution.getVariable/setVariable/hasVariable/removeVariable/getVariables`` (and the
``Local`` variants), ``execution.processInstanceId``/``getProcessBusinessKey()``/
``getCurrentActivityId()``/``getEventName()``, in task listeners ``task.getName()``,
``task.setAssignee()``, ``task.addCandidateGroup()`` and friends, ``console.log()`` and friends
(GraalJS has them; here they write nothing); process variables are
also readable as globals, as in Camunda. The value of the last statement is the script's
result (``camunda:resultVariable``, mapping values).

Beans that the process folder's camunda-mapping.json maps (``"beans": {"user.firstname":
"directory.firstname"}``) are frozen, non-writable global objects whose methods call the mapped
connector operation (or engine function) synchronously, as a JUEL bean call does
(:mod:`engine.runtime.beans`; the caller, engine.runtime.script_engine, passes one host
function per mapped "bean.method"). No host function is registered in the sandbox for this:
the binding refuses host calls while a time limit is set, and the script must keep its CPU
limit. Instead a bean method that is not yet answered records the call (its name and its
arguments as JSON text) in the prelude's closure and throws; :meth:`JavaScriptSandbox.run`
then reads the pending call, checks its name against the mapped beans, makes the call outside
any JavaScript and runs the script again from a fresh heap with the answer known (answers are
keyed by method and arguments; at most :data:`MAX_BEAN_CALLS` different calls). A run that had
a pending call is discarded whatever the script did after it (a script that catches the throw
changes nothing). The time of the call is never charged to the script's CPU limit; each run
has the full limit, and the call is bounded by the host function (the step's time budget).
Arguments must be JSON data; the answer comes back as a fresh JSON copy. In Camunda a bean returns
a Java object that scripts read through its getters (DigiWF's start listeners:
``user.get(starterOfInstance).getSurname()``); the JSON object a bean answers with stands in for
it: ``getX()``/``isX()`` read its property ``x`` (``getURL()``: ``URL``, as java.beans names it),
a property the answer lacks reads null (an unset field), nested objects alike. Beans not mapped
stay undefined; a variable of a bean's name wins over the bean, as in Camunda.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from collections.abc import Callable, Mapping
from typing import Any

from engine.domain.errors import ExpressionError

__all__ = ["JavaScriptSandbox", "ScriptOutcome", "JAVASCRIPT_NAMES", "MAX_BEAN_CALLS", "undeclared_objects"]


def _quickjs() -> Any:
    """QuickJS, loaded with the first script: the package starts with a thread pool module and its
    engine (0.01 s), which every command and process importing the runtime paid before."""
    import quickjs

    return quickjs


def _js_errors() -> tuple[type[Exception], ...]:
    """What a script's failure raises in QuickJS (for ``except``)."""
    js = _quickjs()
    return (js.JSException, js.StackOverflow)


MAX_BEAN_CALLS = 20   # different bean calls (method and arguments) per script run
_STATUS_API = re.compile(r"\bprocess\s*\.\s*setStatus\b")
_BEAN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")

# scriptFormat values that mean JavaScript (lower case)
JAVASCRIPT_NAMES = frozenset({"javascript", "js", "ecmascript", "nashorn", "graal.js", "text/javascript",
                              "application/javascript", "application/x-javascript"})


@dataclass
class ScriptOutcome:
    """What a script did: its completion value and its effects, all plain JSON data."""

    result: Any = None
    variables: dict[str, Any] = field(default_factory=dict)   # set by execution.setVariable
    removed: list[str] = field(default_factory=list)          # removed by execution.removeVariable
    task: dict[str, Any] = field(default_factory=dict)        # task attributes changed by a task listener
    status: str | None = None                                 # process.setStatus(text): the citizen's status
    bpmn_error: tuple[str, str | None] | None = None          # thrown new BpmnError(code, message): (code, message)


# Runs inside the sandbox before the model's script. Reads the input from a global string,
# defines `execution` (and `task`), exposes variables as globals; nothing here is host code.
_PRELUDE = r"""
(function () {
  "use strict";
  var input = JSON.parse(globalThis.__amtsflowInput);
  delete globalThis.__amtsflowInput;
  var vars = input.vars, facts = input.facts, out = {vars: {}, removed: {}, task: {}, status: null};
  var has = function (o, k) { return Object.prototype.hasOwnProperty.call(o, k); };
  var name = function (n) {
    if (typeof n !== "string" || n === "" || n.slice(0, 2) === "__") {
      throw new TypeError("variable name " + String(n) + " is not allowed");
    }
    return n;
  };
  var copy = function (v) { var t = JSON.stringify(v); return t === undefined ? null : JSON.parse(t); };
  var fact = function (k) { return has(facts, k) ? facts[k] : null; };
  var execution = {
    getVariable: function (n) { n = name(n); return has(vars, n) ? vars[n] : null; },
    hasVariable: function (n) { return has(vars, name(n)); },
    setVariable: function (n, v) { n = name(n); vars[n] = copy(v); out.vars[n] = vars[n]; delete out.removed[n]; },
    removeVariable: function (n) { n = name(n); delete vars[n]; delete out.vars[n]; out.removed[n] = true; },
    getVariables: function () { return copy(vars); },
    getVariableNames: function () { return Object.keys(vars); },
    getProcessInstanceId: function () { return fact("process_instance_id"); },
    getProcessBusinessKey: function () { return fact("business_key"); },
    getBusinessKey: function () { return fact("business_key"); },
    getCurrentActivityId: function () { return fact("activity_id"); },
    getCurrentActivityName: function () { return fact("activity_name"); },
    getActivityId: function () { return fact("activity_id"); },
    getEventName: function () { return fact("event_name"); },
    getProcessDefinitionId: function () { return fact("process_key"); },
    getId: function () { return fact("execution_id"); }
  };
  execution.getVariableLocal = execution.getVariable;
  execution.hasVariableLocal = execution.hasVariable;
  execution.setVariableLocal = execution.setVariable;
  execution.removeVariableLocal = execution.removeVariable;
  execution.getVariablesLocal = execution.getVariables;
  ["processInstanceId:getProcessInstanceId", "processBusinessKey:getProcessBusinessKey",
   "businessKey:getBusinessKey", "currentActivityId:getCurrentActivityId",
   "currentActivityName:getCurrentActivityName", "activityId:getActivityId", "eventName:getEventName",
   "processDefinitionId:getProcessDefinitionId", "id:getId"].forEach(function (pair) {
    var p = pair.split(":");
    Object.defineProperty(execution, p[0], {get: execution[p[1]], enumerable: true});
  });
  // Camunda Spin's JSON reading API (S(json).prop('a').stringValue()), in plain JavaScript
  var spin = function (value) {
    var node = {
      prop: function (n) {
        if (value === null || typeof value !== "object" || !has(value, n)) {
          throw new Error("JSON property '" + n + "' not found");
        }
        return spin(value[n]);
      },
      hasProp: function (n) { return value !== null && typeof value === "object" && has(value, n); },
      elements: function () { return (Array.isArray(value) ? value : []).map(spin); },
      fieldNames: function () { return value !== null && typeof value === "object" ? Object.keys(value) : []; },
      stringValue: function () { return value; }, numberValue: function () { return value; },
      boolValue: function () { return value; }, value: function () { return value; },
      isObject: function () { return value !== null && typeof value === "object" && !Array.isArray(value); },
      isArray: function () { return Array.isArray(value); },
      isString: function () { return typeof value === "string"; },
      isNumber: function () { return typeof value === "number"; },
      isBoolean: function () { return typeof value === "boolean"; },
      isNull: function () { return value === null; },
      toString: function () { return JSON.stringify(value); }
    };
    node.toJSON = function () { return value; };
    return node;
  };
  var S = function (input) { return spin(typeof input === "string" ? JSON.parse(input) : copy(input)); };
  var globals = {execution: execution, S: S};
  // Beans of camunda-mapping.json: each mapped method answers from input.answers (keyed by the
  // method and its arguments as JSON) or records the call as pending and stops the run; the host
  // makes the call and runs the script again from a fresh heap (see JavaScriptSandbox.run).
  var parse = JSON.parse, stringify = JSON.stringify, freeze = Object.freeze, answers = input.answers;
  var pending = null, beans = {};
  // A bean's answer stands in for the Java object a Camunda bean returns, which scripts read
  // through its getters (DigiWF: user.get(id).getSurname()): getX() and isX() read property x of
  // a JSON object (named as java.beans.Introspector does: getURL() reads URL), a property the
  // answer lacks reads null (an unset field), nested objects alike. Own properties win; the
  // answer serialises as it came.
  var ProxyOf = Proxy, reflectGet = Reflect.get, keys = Object.keys, isArray = Array.isArray;
  var getter = /^(?:get|is)([A-Z][\s\S]*)$/;
  var property = function (rest) {
    var second = rest.charAt(1);
    return second !== "" && second !== second.toLowerCase() ? rest : rest.charAt(0).toLowerCase() + rest.slice(1);
  };
  var javaBean = function (value) {
    if (value === null || typeof value !== "object") { return value; }
    if (isArray(value)) { return value.map(javaBean); }
    var own = {};
    keys(value).forEach(function (k) { own[k] = javaBean(value[k]); });
    return new ProxyOf(own, {get: function (target, prop, receiver) {
      var match = typeof prop === "string" && !(prop in target) ? getter.exec(prop) : null;
      if (match === null) { return reflectGet(target, prop, receiver); }
      var field = property(match[1]);
      return function () { return has(target, field) ? target[field] : null; };
    }});
  };
  var beanMethod = function (qualified) {
    return function () {
      var args = [];
      for (var i = 0; i < arguments.length; i++) {
        var a = arguments[i], t = typeof a;
        if (t === "function" || t === "symbol" || t === "bigint") {
          throw new TypeError(qualified + "(): argument " + (i + 1) + " is not JSON data (" + t + ")");
        }
        args[i] = a === undefined ? null : a;
      }
      var key = qualified + " " + stringify(args);
      if (has(answers, key)) { return javaBean(parse(answers[key])); }
      if (pending === null) { pending = key; }
      throw new Error("bean call " + qualified + "() is answered by the engine; the script runs again");
    };
  };
  input.beans.forEach(function (qualified) {
    var dot = qualified.indexOf("."), bean = qualified.slice(0, dot);
    // a variable of that name wins, as in Camunda; never the script API's names or built-ins
    if (bean === "task" || has(globals, bean) || has(vars, bean) || bean in globalThis) { return; }
    if (!has(beans, bean)) { beans[bean] = {}; }
    beans[bean][qualified.slice(dot + 1)] = beanMethod(qualified);
  });
  Object.keys(beans).forEach(function (bean) { globals[bean] = freeze(beans[bean]); });
  // process.setStatus(text), as in Camunda listeners of municipal models: the citizen's status
  // (a milestone). Only for a script that uses it, so that no other script sees a `process`.
  // A `process` bean of camunda-mapping.json (DigiWF's has setDescription) gets setStatus beside
  // its mapped methods, unless it maps setStatus itself.
  if (input.statusApi && !has(vars, "process")) {
    var setStatus = function (v) {
      if (typeof v !== "string" || v.trim() === "") { throw new TypeError("setStatus needs a non-empty text"); }
      out.status = v;
    };
    if (!has(globals, "process")) {
      globals.process = freeze({setStatus: setStatus});
    } else if (has(beans, "process") && !has(beans.process, "setStatus")) {
      var merged = {setStatus: setStatus};
      Object.keys(beans.process).forEach(function (m) { merged[m] = beans.process[m]; });
      globals.process = freeze(merged);
    }
  }
  if (input.task) {
    var attrs = input.task, task = Object.create(execution);
    var setter = function (k) {
      return function (v) {
        if (v !== null && typeof v !== "string") { throw new TypeError("task " + k + " must be text"); }
        attrs[k] = v; out.task[k] = v;
      };
    };
    var adder = function (k) {
      return function (names) {
        var list = attrs[k] || (attrs[k] = []);
        (typeof names === "string" ? [names] : names).forEach(function (n) {
          if (typeof n !== "string") { throw new TypeError(k + " must be text"); }
          if (list.indexOf(n) < 0) { list.push(n); }
        });
        out.task[k] = list.slice();
      };
    };
    task.getName = function () { return has(attrs, "name") ? attrs.name : null; };
    task.getDescription = function () { return has(attrs, "description") ? attrs.description : null; };
    task.getAssignee = function () { return has(attrs, "assignee") ? attrs.assignee : null; };
    task.getOwner = function () { return has(attrs, "owner") ? attrs.owner : null; };
    task.getDueDate = function () { return has(attrs, "due_date") ? attrs.due_date : null; };
    task.getPriority = function () { return has(attrs, "priority") ? attrs.priority : 50; };
    task.getTaskDefinitionKey = function () { return fact("activity_id"); };
    task.getId = function () { return fact("task_id"); };
    task.getExecution = function () { return execution; };
    task.getCandidateGroups = function () { return (attrs.candidate_groups || []).slice(); };
    task.setName = setter("name");
    task.setDescription = setter("description");
    task.setAssignee = setter("assignee");
    task.setOwner = setter("owner");
    task.setDueDate = setter("due_date");
    task.setPriority = function (v) {
      if (typeof v !== "number" || v % 1 !== 0) { throw new TypeError("task priority must be a whole number"); }
      attrs.priority = v; out.task.priority = v;
    };
    task.addCandidateGroup = adder("candidate_groups");
    task.addCandidateGroups = adder("candidate_groups");
    task.addCandidateUser = adder("candidate_users");
    task.addCandidateUsers = adder("candidate_users");
    ["name:getName", "assignee:getAssignee", "description:getDescription", "owner:getOwner",
     "priority:getPriority", "dueDate:getDueDate", "taskDefinitionKey:getTaskDefinitionKey",
     "id:getId", "execution:getExecution"].forEach(function (pair) {
      var p = pair.split(":");
      Object.defineProperty(task, p[0], {get: task[p[1]], enumerable: true});
    });
    globals.task = task;
  }
  // throw new BpmnError(code[, message]) ends a script task's script with a BPMN error, as Camunda's
  // org.camunda.bpm.engine.delegate.BpmnError does (engine.runtime.script_errors)
  var thrownErrors = new WeakSet();
  var BpmnError = function (code, message) {
    if (!(this instanceof BpmnError)) { return new BpmnError(code, message); }
    if (typeof code !== "string" || code.trim() === "") {
      throw new TypeError("BpmnError needs an error code (a non-empty text)");
    }
    this.code = code.trim();
    this.message = message === undefined || message === null ? null : String(message);
    thrownErrors.add(this);
  };
  BpmnError.prototype = Object.create(Error.prototype);
  BpmnError.prototype.name = "BpmnError";
  if (!has(vars, "BpmnError")) { globals.BpmnError = BpmnError; }
  // console.log(...) and friends, as GraalJS (Camunda 7's JavaScript engine) has them: here they
  // take any arguments and write nothing; no host function is behind them
  if (!has(vars, "console")) {
    var quiet = function () { return undefined; };
    globals.console = freeze({log: quiet, info: quiet, warn: quiet, error: quiet, debug: quiet, trace: quiet,
                              dir: quiet, table: quiet, assert: quiet, time: quiet, timeEnd: quiet});
  }
  // ... also reached as Java: org.camunda.bpm.engine.delegate.BpmnError (Flowable's, Activiti's),
  // Java.type("...BpmnError"), Packages.org...BpmnError; nothing else of Java is there
  if (input.javaBpmnError) {
    var delegate = function () { return freeze({delegate: freeze({BpmnError: BpmnError})}); };
    var org = freeze({camunda: freeze({bpm: freeze({engine: delegate()})}), flowable: freeze({engine: delegate()}),
                      activiti: freeze({engine: delegate()})});
    if (!has(vars, "org")) { globals.org = org; }
    if (!has(vars, "Packages")) { globals.Packages = freeze({org: org}); }
    if (!has(vars, "Java")) {
      globals.Java = freeze({type: function (n) {
        if (/^org\.(camunda\.bpm|flowable|activiti)\.engine\.delegate\.BpmnError$/.test(n)) { return BpmnError; }
        throw new TypeError("Java.type(" + String(n) + ") is not available: JavaScript runs here without host access");
      }});
    }
  }
  Object.keys(vars).forEach(function (n) {
    if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(n) && !(n in globalThis) && !has(globals, n)) {
      globalThis[n] = vars[n];
    }
  });
  Object.keys(globals).forEach(function (n) {
    Object.defineProperty(globalThis, n, {value: globals[n], writable: false, configurable: false});
  });
  Object.defineProperty(globalThis, "__amtsflowPending", {writable: false, configurable: false,
    value: function () { return pending; }});
  var output = function (result, error) {
    return JSON.stringify({result: result === undefined ? null : result, vars: out.vars,
                           removed: Object.keys(out.removed), task: out.task, status: out.status,
                           bpmnError: error ? {code: error.code, message: error.message} : null});
  };
  Object.defineProperty(globalThis, "__amtsflowOutput", {writable: false, configurable: false,
    value: function (result) { return output(result, null); }});
  Object.defineProperty(globalThis, "__amtsflowThrown", {writable: false, configurable: false,
    value: function (e) {
      if (e !== null && typeof e === "object" && thrownErrors.has(e)) { return output(null, e); }
      throw e;
    }});
})();
"""

# Runs the model's script (a global string) by indirect eval, so its completion value is the result.
# A BpmnError the script throws ends it with its outcome (what it set so far) and the error.
_RUN = ("(function () { try { return __amtsflowOutput((0, eval)(__amtsflowSource)); } "
        "catch (e) { return __amtsflowThrown(e); } })()")
# Java interop of Nashorn/GraalJS that Camunda scripts use; found at deploy instead of failing a case
_JAVA = re.compile(r"\b(?:Java\.(?:type|from|to|extend)|Packages\.[\w.]+|java\.(?:lang|util|io|net|nio|time|math)\.\w+|"
                   r"importPackage|importClass|JavaImporter)\b")
_CHECK = "new Function(__amtsflowSource); true"
# Camunda scripts throw BPMN errors as Java objects (new org.camunda.bpm.engine.delegate.BpmnError(code));
# a script task's script may (it runs in the sandbox's own BpmnError), other scripts are refused at deploy
_BPMN_ERROR = re.compile(r"\bBpmnError\b")
_JAVA_BPMN_ERROR = re.compile(r"\borg\.(?:camunda\.bpm|flowable|activiti)\.engine\.delegate\.BpmnError\b")
# the Java ways to that class a script task's script may use (the sandbox has its own BpmnError there)
_BPMN_ERROR_INTEROP = re.compile(r"""Java\.type\(\s*(["'])org\.(?:camunda\.bpm|flowable|activiti)\.engine\.delegate"""
                                 r"""\.BpmnError\1\s*\)|Packages\.org\.(?:camunda\.bpm|flowable|activiti)\.engine"""
                                 r"""\.delegate\.BpmnError\b""")


class JavaScriptSandbox:
    """Runs model JavaScript with no host access and bounded memory, CPU time and stack."""

    def __init__(self, *, max_seconds: float = 1.0, max_memory: int = 32 * 1024 * 1024,
                 max_stack: int = 256 * 1024, max_size: int = 1_000_000) -> None:
        self.max_seconds = max_seconds
        self.max_memory = max_memory
        self.max_stack = max_stack
        self.max_size = max_size

    def _context(self) -> Any:
        context = _quickjs().Context()
        context.set_memory_limit(self.max_memory)
        context.set_time_limit(self.max_seconds)
        context.set_max_stack_size(self.max_stack)
        return context

    def check(self, source: str, *, script_task: bool = False) -> list[str]:
        """Deploy-time check: does the script parse, and does it not expect Java? (Nothing of it runs.)
        ``script_task``: a script task's own script, which may throw a BpmnError."""
        if not isinstance(source, str):
            return [f"expected text, got {type(source).__name__}"]
        if len(source) > self.max_size:
            return [f"script is longer than {self.max_size} characters"]
        java = _JAVA.search(_BPMN_ERROR_INTEROP.sub("", source) if script_task else source)
        if java is not None:
            return [f"the script uses Java ('{java.group(0)}'), which is not available: JavaScript runs here without "
                    "host access; use plain JavaScript (new Date(0), JSON.parse) and execution.getVariable/setVariable"]
        if _BPMN_ERROR.search(source) and not script_task:
            return ["the script throws a BpmnError, which only a script task's script can do (a listener's or a "
                    "mapping's script would fail the case instead of reaching the error's catch event); let a "
                    "script task or a gateway before an error end event throw it, or let a service task's "
                    "connector report the business error"]
        context = self._context()
        context.set("__amtsflowSource", source)
        try:
            context.eval(_CHECK)
        except _js_errors() as exc:
            return [self._describe(exc)]
        return []

    def run(self, source: str, variables: Mapping[str, Any], facts: Mapping[str, Any] | None = None, *,
            task: dict[str, Any] | None = None, element_id: str = "",
            beans: Mapping[str, Callable[[list[Any]], Any]] | None = None) -> ScriptOutcome:
        """Run ``source`` over a JSON copy of ``variables``; raise ExpressionError on any failure.

        ``beans``: "bean.method" -> the host function that answers it (its arguments as a list of
        JSON data; its value must be JSON data too). A call the script makes stops the run; the
        host answers it and the script runs again from a fresh heap with the answer known (at most
        :data:`MAX_BEAN_CALLS` different calls per script). No host function enters the sandbox."""
        if len(source) > self.max_size:
            raise ExpressionError(f"script is longer than {self.max_size} characters", expression=source,
                                  element_id=element_id)
        beans = {name: call for name, call in (beans or {}).items() if _BEAN.fullmatch(name)}
        answers: dict[str, str] = {}
        while True:
            text, pending = self._run_once(source, variables, facts, task, element_id, sorted(beans), answers)
            if pending is None:
                break
            if len(answers) >= MAX_BEAN_CALLS:
                raise ExpressionError(f"JavaScript: the script calls beans more than {MAX_BEAN_CALLS} times with "
                                      "different arguments (or with arguments that change on every run, such as "
                                      "the time)", expression=source, element_id=element_id)
            answers[pending] = self._answer(pending, beans, source, element_id)
        if not isinstance(text, str) or len(text) > self.max_size:
            raise ExpressionError(f"JavaScript: the script's result and variables exceed {self.max_size} "
                                  "characters of JSON", expression=source, element_id=element_id)
        return _outcome(text, source, element_id)

    def _run_once(self, source: str, variables: Mapping[str, Any], facts: Mapping[str, Any] | None,
                  task: dict[str, Any] | None, element_id: str, beans: list[str],
                  answers: dict[str, str]) -> tuple[Any, str | None]:
        """One run in a fresh runtime: (the outcome's JSON text, None), or (None, the pending bean
        call "bean.method [args as JSON]") when the script called a bean not yet answered."""
        try:
            payload = json.dumps({"vars": dict(variables), "facts": dict(facts or {}), "task": task,
                                  "beans": beans, "answers": answers, "statusApi": _STATUS_API.search(source) is not None,
                                  "javaBpmnError": _JAVA_BPMN_ERROR.search(source) is not None},
                                 default=str, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise ExpressionError(f"the variables cannot be passed to JavaScript: {exc}", expression=source,
                                  element_id=element_id) from None
        context = self._context()
        context.set("__amtsflowInput", payload)
        context.set("__amtsflowSource", source)
        try:
            context.eval(_PRELUDE)
        except _js_errors() as exc:
            raise ExpressionError(f"JavaScript: {self._describe(exc)}", expression=source,
                                  element_id=element_id) from None
        failure: Exception | None = None
        text: Any = None
        try:
            text = context.eval(_RUN)
        except _js_errors() as exc:
            failure = exc
        if beans:   # a pending call outranks whatever the script did after it (a run is discarded)
            try:
                pending = context.eval("__amtsflowPending()")
            except _js_errors():
                pending = None
            if isinstance(pending, str):
                return None, pending
        if failure is not None:
            described = self._describe(failure, context)
            raise ExpressionError(f"JavaScript: {described}{_bean_hint(described, source)}", expression=source,
                                  element_id=element_id) from None
        return text, None

    def _answer(self, pending: str, beans: Mapping[str, Callable[[list[Any]], Any]], source: str,
                element_id: str) -> str:
        """Make the pending bean call on the host; its value as JSON text."""
        name, _, args_text = pending.partition(" ")
        call = beans.get(name)
        try:
            args = json.loads(args_text) if len(args_text) <= self.max_size else None
        except ValueError:
            args = None
        if call is None or not isinstance(args, list):   # never from the prelude; refused all the same
            raise ExpressionError(f"JavaScript: malformed bean call {pending[:100]!r}", expression=source,
                                  element_id=element_id)
        try:
            value = call(args)
        except ExpressionError as exc:
            raise ExpressionError(f"JavaScript: {name}(): {exc.message}", expression=source,
                                  element_id=element_id) from None
        try:
            text = json.dumps(value, default=str, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ExpressionError(f"JavaScript: {name}() answered with a value that is not JSON data: {exc}",
                                  expression=source, element_id=element_id) from None
        if len(text) > self.max_size:
            raise ExpressionError(f"JavaScript: {name}() answered with more than {self.max_size} characters "
                                  "of JSON", expression=source, element_id=element_id)
        return text

    def _describe(self, exc: Exception, context: Any = None) -> str:
        if isinstance(exc, _quickjs().StackOverflow):
            return "stack overflow (recursion too deep)"
        text = str(exc).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        if "interrupted" in first:
            return f"time limit of {self.max_seconds} s CPU exceeded (endless loop?)"
        # Out of memory while QuickJS built the error itself: it says "Failed obtaining QuickJS
        # error string", or the error is null (as after `throw null`, told apart by the heap
        # being at its limit)
        if "out of memory" in first or "Failed obtaining QuickJS error string" in first \
                or (first == "null" and _heap_full(context)):
            return f"memory limit of {self.max_memory // (1024 * 1024)} MB exceeded"
        where = [line.strip() for line in text.splitlines()[1:] if "<input>:" in line]
        line = where[0].rsplit(":", 1)[-1].rstrip(")") if where else ""
        return first[:300] + (f" (script line {line})" if line.isdigit() else "")


# Names a script may call methods on without defining them: JavaScript's globals and what the
# engine gives every script (execution, task, process); a bean is anything else the script calls
# methods on without defining it
_KNOWN_OBJECTS = frozenset({
    "Object", "Array", "String", "Number", "Boolean", "Math", "JSON", "Date", "RegExp", "Error", "TypeError",
    "RangeError", "Promise", "Symbol", "Map", "Set", "WeakMap", "WeakSet", "Reflect", "Proxy", "BigInt", "Intl",
    "globalThis", "console", "execution", "task", "process", "this", "arguments"})
_METHOD_CALL = re.compile(r"(?<![\w$.])([A-Za-z_$][\w$]*)\s*\.\s*([A-Za-z_$][\w$]*)\s*\(")
_UNDEFINED = re.compile(r"ReferenceError: '([A-Za-z_$][\w$]*)' is not defined")
_STRINGS = re.compile(r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"|`(?:[^`\\]|\\.)*`|//[^\n]*|/\*.*?\*/", re.S)


def undeclared_objects(source: str) -> dict[str, list[str]]:
    """Names the script calls methods on (``user.email(x)``) that it never defines (``var``,
    ``let``, ``const``, ``function``, a parameter, an assignment) and that are no JavaScript global
    or engine object: beans, or process variables of that name. name -> the methods called."""
    code = _STRINGS.sub(" ", source)
    defined = set(re.findall(r"\b(?:var|let|const|function|class)\s+([A-Za-z_$][\w$]*)", code))
    defined |= set(re.findall(r"(?<![\w$.])([A-Za-z_$][\w$]*)\s*=(?!=)", code))
    for params in re.findall(r"\(([^()]*)\)\s*(?:=>|\{)", code):
        defined |= set(re.findall(r"[A-Za-z_$][\w$]*", params))
    found: dict[str, set[str]] = {}
    for name, method in _METHOD_CALL.findall(code):
        if name not in defined and name not in _KNOWN_OBJECTS:
            found.setdefault(name, set()).add(method)
    return {name: sorted(methods) for name, methods in sorted(found.items())}


def _bean_hint(message: str, source: str) -> str:
    """For "ReferenceError: 'user' is not defined" in a script that calls ``user.email(...)``: how
    to declare the bean."""
    match = _UNDEFINED.search(message)
    methods = undeclared_objects(source).get(match.group(1), []) if match else []
    if not match or not methods:
        return ""
    entries = ", ".join(f'"{match.group(1)}.{m}"' for m in methods)
    return (f"; if '{match.group(1)}' is a Spring bean, declare {entries} under \"beans\" in camunda-mapping.json "
            "(as an engine function or a connector operation)")


def _heap_full(context: Any) -> bool:
    """Whether the runtime's allocations reached 90 % of its memory limit."""
    try:
        memory = context.memory() if context is not None else {}
        return bool(memory.get("malloc_limit")) and memory.get("malloc_size", 0) >= 0.9 * memory["malloc_limit"]
    except Exception:  # noqa: BLE001 - a diagnosis only
        return False


def _outcome(text: str, source: str, element_id: str) -> ScriptOutcome:
    """Parse the sandbox's answer; a script that replaced the built-ins it relies on (JSON,
    Object) can only make it malformed, which is an error like any other."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not (isinstance(data, dict) and isinstance(data.get("vars"), dict) and isinstance(data.get("task"), dict)
            and isinstance(data.get("removed"), list) and all(isinstance(n, str) for n in data["removed"])):
        raise ExpressionError("JavaScript: the script's outcome is malformed (were JSON or Object replaced?)",
                              expression=source, element_id=element_id)
    status = data.get("status")
    error = data.get("bpmnError")
    thrown = None
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        message = error.get("message")
        thrown = (error["code"], message if isinstance(message, str) else None)
    return ScriptOutcome(data.get("result"), data["vars"], data["removed"], data["task"],
                         status if isinstance(status, str) else None, thrown)
