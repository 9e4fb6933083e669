"""The JavaScript sandbox for Camunda models: Camunda's script API, and escape attempts that
must all be refused or stopped (no I/O)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from engine.domain.errors import ExpressionError
from engine.runtime.javascript import MAX_BEAN_CALLS, JavaScriptSandbox


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
    "fetch('http://example.org')", "new XMLHttpRequest()", "Java.type('java.io.File')",
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
    assert not {"require", "process", "std", "os", "print", "module", "exports"} & set(names)


def test_console_is_plain_javascript_that_writes_nothing(js: JavaScriptSandbox) -> None:
    """GraalJS (Camunda 7) has console.log; here its methods are frozen no-ops, not host functions."""
    assert js.run("console.log('x', {a: 1}); console.error(); typeof console.log", {}).result == "function"
    assert js.run("Object.isFrozen(console) && console.log('x') === undefined", {}).result is True
    assert js.run("console.log.toString().indexOf('native') < 0", {}).result is True
    assert js.run("console", {"console": 3}).result == 3   # a variable of that name wins


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


# ------------------------------------------------------------------- beans of camunda-mapping.json

def _beans(calls: list[tuple[str, list[Any]]]) -> dict[str, Callable[[list[Any]], Any]]:
    def firstname(args: list[Any]) -> Any:
        calls.append(("user.firstname", args))
        return str(args[0]).split()[0]

    def lookup(args: list[Any]) -> Any:
        calls.append(("user.lookup", args))
        return {"args": args, "list": [1, "zwei", None], "ok": True}

    return {"user.firstname": firstname, "user.lookup": lookup}


def test_mapped_beans_answer_synchronously_with_json_data(js: JavaScriptSandbox) -> None:
    calls: list[tuple[str, list[Any]]] = []
    outcome = js.run("var a = user.firstname(execution.getVariable('starter'));\n"
                     "var l = user.lookup(1, 'x', {k: [true]}, undefined, null);\n"
                     "l.list.push('mine');   // a fresh copy: the next call answers as before\n"
                     "execution.setVariable('vorname', a);\n"
                     "[a, user.firstname('Max Muster'), l.ok, l.args, user.lookup(1, 'x', {k: [true]}, undefined, null).list]",
                     {"starter": "Max Muster"}, beans=_beans(calls))
    assert outcome.result == ["Max", "Max", True, [1, "x", {"k": [True]}, None, None], [1, "zwei", None]]
    assert outcome.variables == {"vorname": "Max"}
    # each different call once per script run (the answers are kept while the script runs again)
    assert calls == [("user.firstname", ["Max Muster"]), ("user.lookup", [1, "x", {"k": [True]}, None, None])]


def test_a_failing_bean_fails_the_script(js: JavaScriptSandbox) -> None:
    def broken(args: list[Any]) -> Any:
        raise ExpressionError("bean call: connector operation 'dir.firstname' failed: 503")

    message = stopped_with(js, "try { user.firstname('x') } catch (e) { 'caught' }", {"user.firstname": broken})
    assert "user.firstname(): bean call: connector operation 'dir.firstname' failed: 503" in message


def test_a_bean_answer_that_is_not_json_data_fails_the_script(js: JavaScriptSandbox) -> None:
    message = stopped_with(js, "user.firstname('x')", {"user.firstname": lambda args: float("nan")})
    assert "user.firstname() answered with a value that is not JSON data" in message


def test_time_in_a_bean_call_is_not_charged_to_the_scripts_cpu_limit(js: JavaScriptSandbox) -> None:
    def busy(args: list[Any]) -> Any:
        end = time.process_time() + 0.7   # more CPU than the script may use (0.5 s)
        while time.process_time() < end:
            pass
        return "fertig"

    # the script itself works 0.1 s (wall clock, so at most that much CPU) after the call
    source = "var v = user.firstname('x'); var t = Date.now(); while (Date.now() - t < 100) {} v"
    assert js.run(source, {}, beans={"user.firstname": busy}).result == "fertig"


def test_arguments_that_change_on_every_run_are_bounded(js: JavaScriptSandbox) -> None:
    calls: list[tuple[str, list[Any]]] = []
    message = stopped_with(js, "user.firstname(String(Math.random()))", _beans(calls))
    assert f"more than {MAX_BEAN_CALLS} times" in message
    assert len(calls) == MAX_BEAN_CALLS


def stopped_with(js: JavaScriptSandbox, source: str, beans: dict[str, Callable[[list[Any]], Any]],
                 variables: dict[str, Any] | None = None) -> str:
    with pytest.raises(ExpressionError) as info:
        js.run(source, variables or {}, element_id="Script_1", beans=beans)
    assert str(info.value).startswith("Script_1: ")
    return str(info.value)


@pytest.mark.parametrize("source", [
    "[typeof __amtsflowBean, typeof __amtsflowCall, typeof __amtsflowInput, typeof __amtsflowAnswers]",
    "var g = Function('return this')(); [typeof g.__amtsflowBean, typeof g.__amtsflowCall, typeof g.__amtsflowInput, "
    "typeof g.__amtsflowAnswers]",
    "[typeof globalThis['__amtsflow' + 'Bean'], typeof globalThis['__amtsflow' + 'Call'], "
    "typeof globalThis.__amtsflowInput, typeof globalThis.answers]",
])
def test_no_host_function_is_reachable_beside_the_mapped_beans(js: JavaScriptSandbox, source: str) -> None:
    assert js.run(source, {}, beans=_beans([])).result == ["undefined"] * 4


def test_the_global_object_holds_only_builtins_and_the_script_api_with_beans(js: JavaScriptSandbox) -> None:
    plain = set(js.run("Object.getOwnPropertyNames(Function('return this')())", {}).result)
    with_beans = set(js.run("Object.getOwnPropertyNames(Function('return this')())", {}, beans=_beans([])).result)
    assert with_beans - plain == {"user"}
    shape = js.run("[Object.getOwnPropertyNames(user).sort(), Object.getPrototypeOf(user) === Object.prototype, "
                   "Object.isFrozen(user), Object.getOwnPropertyDescriptor(globalThis, 'user').writable, "
                   "Object.getOwnPropertyDescriptor(globalThis, 'user').configurable]", {}, beans=_beans([])).result
    assert shape == [["firstname", "lookup"], True, True, False, False]


@pytest.mark.parametrize("source", [
    "user = {firstname: function () { return 'fake'; }}; user.firstname('Max Muster')",
    "try { Object.defineProperty(globalThis, 'user', {value: {firstname: function () { return 'fake'; }}}); } "
    "catch (e) {} user.firstname('Max Muster')",
    "try { delete globalThis.user; } catch (e) {} user.firstname('Max Muster')",
    "try { user.firstname = function () { return 'fake'; }; } catch (e) {} user.firstname('Max Muster')",
    "'use strict'; try { user.firstname = null; } catch (e) {} user.firstname('Max Muster')",
    "try { Object.setPrototypeOf(user, {}); } catch (e) {} user.firstname('Max Muster')",
])
def test_bean_objects_cannot_be_redefined(js: JavaScriptSandbox, source: str) -> None:
    assert js.run(source, {}, beans=_beans([])).result == "Max"


@pytest.mark.parametrize("source", [
    "user.email('x')",                     # a method the mapping does not name
    "user.firstname.constructor('return __amtsflowCall')()('test.anything', 'x')",
    "user.firstname.constructor('return this')().user.delete('x')",
    "nutzer.firstname('x')",               # a bean the mapping does not name
])
def test_unmapped_methods_and_beans_are_not_callable(js: JavaScriptSandbox, source: str) -> None:
    calls: list[tuple[str, list[Any]]] = []
    message = stopped_with(js, source, _beans(calls))
    assert "not a function" in message or "is not defined" in message
    assert calls == []


@pytest.mark.parametrize(("source", "error"), [
    ("user.firstname(function () { return 1; })", "argument 1 is not JSON data (function)"),
    ("user.firstname(Symbol('s'))", "argument 1 is not JSON data (symbol)"),
    ("user.firstname(1n)", "argument 1 is not JSON data (bigint)"),
    ("var a = {}; a.self = a; user.firstname(a)", "circular"),
])
def test_non_json_arguments_are_refused_in_the_sandbox(js: JavaScriptSandbox, source: str, error: str) -> None:
    calls: list[tuple[str, list[Any]]] = []
    assert error.lower() in stopped_with(js, source, _beans(calls)).lower()
    assert calls == []


def test_arguments_reach_the_host_as_json_only(js: JavaScriptSandbox) -> None:
    calls: list[tuple[str, list[Any]]] = []
    js.run("user.lookup({toJSON: function () { return 'als Text'; }}, new Date(0), [function () {}], {f: function () {}}, NaN)",
           {}, beans=_beans(calls))
    assert calls == [("user.lookup", ["als Text", "1970-01-01T00:00:00.000Z", [None], {}, None])]


def test_a_script_cannot_forge_or_hide_a_bean_call(js: JavaScriptSandbox) -> None:
    calls: list[tuple[str, list[Any]]] = []
    outcome = js.run("var forged = 'none'; try { __amtsflowPending = function () { return 'user.x [1]'; }; } "
                     "catch (e) {} try { forged = __amtsflowPending(); } catch (e) {} "
                     "var v; try { v = user.firstname('Max Muster'); } catch (e) { JSON.stringify = function () { return '{}'; }; }"
                     "[forged, v]", {}, beans=_beans(calls))
    assert outcome.result == [None, "Max"]
    assert calls == [("user.firstname", ["Max Muster"])]


def test_a_script_that_catches_the_call_and_loops_is_still_answered(js: JavaScriptSandbox) -> None:
    calls: list[tuple[str, list[Any]]] = []
    outcome = js.run("var v; try { v = user.firstname('Max Muster'); } catch (e) { while (true) {} } v", {},
                     beans=_beans(calls))
    assert outcome.result == "Max"


def test_variables_win_over_beans_and_bean_names_never_replace_builtins(js: JavaScriptSandbox) -> None:
    beans = {**_beans([]), "JSON.parse": lambda args: "fake", "execution.getVariable": lambda args: "fake",
             "task.getName": lambda args: "fake", "a.b.c": lambda args: "fake", "constructor.x": lambda args: "fake"}
    outcome = js.run("[user, typeof JSON.parse('1'), execution.getVariable('user'), typeof constructor]",
                     {"user": "kermit"}, beans=beans)
    assert outcome.result == ["kermit", "number", "kermit", "function"]


def test_running_out_of_memory_while_building_the_error_is_the_memory_limit(js: JavaScriptSandbox) -> None:
    """QuickJS reports "Failed obtaining QuickJS error string" when the memory ran out while it
    built the error's text (seen with the push-arrays bomb): that is the memory limit too."""
    import quickjs

    assert "memory limit" in js._describe(quickjs.JSException("Failed obtaining QuickJS error string"))


def test_a_null_error_is_the_memory_limit_only_when_the_heap_is_full(js: JavaScriptSandbox) -> None:
    """Out of memory, QuickJS sometimes throws null; a script's own `throw null` says null."""
    import quickjs

    class Full:
        def memory(self) -> dict:
            return {"malloc_size": 31_000_000, "malloc_limit": 33_554_432}

    assert "memory limit" in js._describe(quickjs.JSException("null"), Full())
    assert "memory limit" not in stopped(js, "throw null")


def test_process_set_status_records_the_citizens_status(js: JavaScriptSandbox) -> None:
    assert js.run("process.setStatus('Antrag eingegangen'); 1", {}).status == "Antrag eingegangen"
    assert js.run("1", {}).status is None
    assert "non-empty text" in stopped(js, "process.setStatus('  ')")


def test_process_exists_only_for_a_script_that_sets_a_status(js: JavaScriptSandbox) -> None:
    """No other script sees a `process` object; the one it gets has setStatus and nothing else."""
    assert js.run("typeof process", {}).result == "undefined"
    source = "var p = process; process.setStatus('x'); [Object.getOwnPropertyNames(p), Object.isFrozen(p)]"
    assert js.run(source, {}).result == [["setStatus"], True]
    assert "not a function" in stopped(js, "process.setStatus('x'); process.exit(1)")
    assert js.run("process.setStatus('x'); process = 1; typeof process", {}).result == "object"
