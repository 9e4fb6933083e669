"""The JavaScript sandbox for Camunda models: Camunda's script API, and escape attempts that
must all be refused or stopped (no I/O)."""

from __future__ import annotations

import time

import pytest

from engine.domain.errors import ExpressionError
from engine.runtime.javascript import JavaScriptSandbox


@pytest.fixture()
def js() -> JavaScriptSandbox:
    return JavaScriptSandbox(max_seconds=0.5, max_memory=16 * 1024 * 1024)


def stopped(js: JavaScriptSandbox, source: str, variables: dict | None = None) -> str:
    with pytest.raises(ExpressionError) as info:
        js.run(source, variables or {}, element_id="Script_1")
    assert str(info.value).startswith("Script_1: ")
    return str(info.value)


# ------------------------------------------------------------------------ Camunda's script API

def test_execution_api_and_completion_value(js: JavaScriptSandbox) -> None:
    outcome = js.run("var sum = execution.getVariable('a') + b;\n"
                     "execution.setVariable('sum', sum);\n"
                     "execution.setVariable('items', [1, {x: 'y'}]);\n"
                     "execution.removeVariable('old');\n"
                     "execution.hasVariable('a') && !execution.hasVariable('zz') ? sum * 2 : -1",
                     {"a": 1, "b": 2, "old": True}, {"process_instance_id": "c-1", "business_key": "AZ 1"})
    assert outcome.result == 6
    assert outcome.variables == {"sum": 3, "items": [1, {"x": "y"}]}
    assert outcome.removed == ["old"]


def test_execution_facts(js: JavaScriptSandbox) -> None:
    facts = {"process_instance_id": "c-1", "business_key": "AZ 1", "activity_id": "T1", "event_name": "start"}
    outcome = js.run("[execution.processInstanceId, execution.getProcessBusinessKey(), "
                     "execution.getCurrentActivityId(), execution.eventName, execution.getVariable('nix')]", {}, facts)
    assert outcome.result == ["c-1", "AZ 1", "T1", "start", None]


def test_task_api_in_task_listeners(js: JavaScriptSandbox) -> None:
    outcome = js.run("task.setAssignee(task.getVariable('who')); task.addCandidateGroup('amt');"
                     "task.setPriority(80); task.name + '/' + task.eventName",
                     {"who": "kermit"}, {"event_name": "create"}, task={"name": "Prüfen"})
    assert outcome.result == "Prüfen/create"
    assert outcome.task == {"assignee": "kermit", "candidate_groups": ["amt"], "priority": 80}


def test_values_cross_as_json_only(js: JavaScriptSandbox) -> None:
    outcome = js.run("execution.setVariable('d', new Date(0)); execution.setVariable('f', function () {});"
                     "execution.setVariable('n', NaN); undefined", {})
    assert outcome.variables == {"d": "1970-01-01T00:00:00.000Z", "f": None, "n": None}
    assert outcome.result is None


def test_each_run_starts_from_a_fresh_heap(js: JavaScriptSandbox) -> None:
    js.run("globalThis.leak = 42; Object.prototype.polluted = true; 1", {})
    assert js.run("[typeof leak, ({}).polluted === undefined]", {}).result == ["undefined", True]


def test_variables_are_readable_as_globals_but_cannot_shadow_builtins(js: JavaScriptSandbox) -> None:
    outcome = js.run("[betrag * 2, typeof JSON.parse, execution.getVariable('JSON')]",
                     {"betrag": 21, "JSON": "x", "execution": "y"})
    assert outcome.result == [42, "function", "x"]


def test_syntax_errors_are_found_at_deploy(js: JavaScriptSandbox) -> None:
    assert js.check("var x = 1; x + 1") == []
    assert "SyntaxError" in js.check("var x = ;")[0]
    assert js.check("while (true) {}") == []  # checked, never run


# ----------------------------------------------------------------------------- escapes

@pytest.mark.parametrize("source", [
    "require('fs')", "process.exit(1)", "std.loadFile('/etc/passwd')", "os.exec(['ls'])", "print('x')",
    "console.log('x')", "fetch('http://example.org')", "new XMLHttpRequest()", "Java.type('java.io.File')",
    "load('nashorn:mozilla_compat.js')", "importPackage(java.io)", "Packages.java.lang.System",
    "setTimeout(function () {}, 1)", "new WebAssembly.Module(new Uint8Array(8))",
])
def test_host_objects_do_not_exist(js: JavaScriptSandbox, source: str) -> None:
    assert "is not defined" in stopped(js, source)


def test_dynamic_import_has_no_module_loader(js: JavaScriptSandbox) -> None:
    outcome = js.run("var r = 'none'; import('os').then(function () { r = 'loaded'; }, function (e) { r = 'refused'; }); r", {})
    assert outcome.result == "none"  # promise jobs never run: nothing is loaded


@pytest.mark.parametrize("source", [
    "this.constructor.constructor('return process')()",
    "(function(){}).constructor('return require')()('fs')",
    "Object.getPrototypeOf(execution).constructor.constructor('return this.process')().mainModule",
    "execution.getVariable.constructor('return globalThis')().require('child_process')",
    "Reflect.getPrototypeOf(Function.prototype).constructor.constructor('return os')()",
])
def test_constructor_tricks_reach_only_the_sandbox(js: JavaScriptSandbox, source: str) -> None:
    message = stopped(js, source)
    assert "is not defined" in message or "not a function" in message or "cannot read property" in message


def test_global_seen_through_function_constructor_holds_only_builtins(js: JavaScriptSandbox) -> None:
    names = js.run("Object.getOwnPropertyNames(Function('return this')()).sort()", {}).result
    assert not {"require", "process", "std", "os", "print", "console", "module", "exports"} & set(names)


def test_prototype_pollution_cannot_forge_the_outcome(js: JavaScriptSandbox) -> None:
    assert "malformed" in stopped(js, "JSON.stringify = function () { return '{\"oops\": 1}'; }; 1")
    assert "malformed" in stopped(js, "JSON.stringify = function () { return 'not json'; }; 1")
    outcome = js.run("try { __amtsflowOutput = null; } catch (e) {} Object.prototype.vars = 1; 7", {})
    assert outcome.result == 7 and outcome.variables == {}


def test_context_objects_cannot_be_replaced(js: JavaScriptSandbox) -> None:
    outcome = js.run("execution = {getVariable: function () { return 'fake'; }}; execution.getVariable('a')", {"a": 1})
    assert outcome.result == 1


@pytest.mark.parametrize("source", [
    "while (true) {}",
    "for (;;) { try { while (true) {} } catch (e) {} }",          # the interrupt cannot be caught
    "function f() { try { for (;;) {} } finally { f(); } } f()",
])
def test_endless_loops_are_stopped(js: JavaScriptSandbox, source: str) -> None:
    started = time.monotonic()
    message = stopped(js, source)
    assert "time limit" in message or "stack overflow" in message
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("source", [
    "var a = []; for (;;) a.push(new Array(100000).fill(1))",
    "var s = 'x'; for (;;) s = s + s",
    "'x'.repeat(1 << 29)",
    "new ArrayBuffer(1 << 30)",
    "var o = {}; for (var i = 0; ; i++) o['k' + i] = i",
])
def test_memory_bombs_are_stopped(js: JavaScriptSandbox, source: str) -> None:
    message = stopped(js, source)
    assert "memory limit" in message or "RangeError" in message or "time limit" in message


@pytest.mark.parametrize("source", [
    "function f() { return f(); } f()",
    "var o = {}; o.toString = function () { return String(o); }; String(o)",
    "JSON.parse('['.repeat(100000) + ']'.repeat(100000))",
])
def test_deep_recursion_is_stopped(js: JavaScriptSandbox, source: str) -> None:
    message = stopped(js, source)
    assert "stack overflow" in message or "InternalError" in message or "memory limit" in message


def test_huge_results_are_refused(js: JavaScriptSandbox) -> None:
    assert "exceed" in stopped(js, "'x'.repeat(2000000)")
    assert "exceed" in stopped(js, "execution.setVariable('big', 'y'.repeat(1500000)); 1")


def test_huge_scripts_are_refused(js: JavaScriptSandbox) -> None:
    assert "longer than" in stopped(js, "1;" * 600_000)
    assert js.check("1;" * 600_000)


def test_a_stopped_script_changes_nothing(js: JavaScriptSandbox) -> None:
    variables = {"a": 1}
    stopped(js, "execution.setVariable('a', 2); while (true) {}", variables)
    assert variables == {"a": 1}


def test_spin_json_reading(js: JavaScriptSandbox) -> None:
    outcome = js.run("var c = S(execution.getVariable('kunde'));"
                     "execution.setVariable('kind', c.prop('kinder').elements()[1].prop('name').stringValue());"
                     "execution.setVariable('json', S('{\"a\": [1, 2]}').prop('a'));"
                     "[c.prop('alter').numberValue() >= 21, c.hasProp('email'), String(S({x: 1}))]",
                     {"kunde": {"alter": 34, "kinder": [{"name": "A"}, {"name": "B"}]}})
    assert outcome.result == [True, False, '{"x":1}']
    assert outcome.variables == {"kind": "B", "json": [1, 2]}
    assert "JSON property 'nix' not found" in stopped(js, "S({}).prop('nix')")
