"""JUEL method calls, Camunda's execution/task objects, beans and '_' names (no I/O)."""

from __future__ import annotations

import pytest

from engine.domain.errors import ExpressionError
from engine.runtime._safe_context import ExecutionContext, ModelScope, TaskContext
from engine.runtime.expressions import SafeEvaluator
from engine.runtime.juel import JuelError, rewrite_beans, translate


@pytest.fixture()
def ev() -> SafeEvaluator:
    return SafeEvaluator(functions={"portal_url": lambda: "https://portal.example"})


def juel(ev: SafeEvaluator, text: str, **variables: object) -> object:
    return ev.evaluate(translate(text), variables)


@pytest.mark.parametrize(("text", "variables", "expected"), [
    ("${x.size()}", {"x": [1, 2, 3]}, 3),
    ("${x.size() > 0}", {"x": []}, False),
    ("${m.size()}", {"m": {"a": 1}}, 1),
    ("${s.length()}", {"s": "abc"}, 3),
    ("${s.isEmpty()}", {"s": ""}, True),
    ("${x.isEmpty()}", {"x": [1]}, False),
    ("${s.contains('a')}", {"s": "Bahn"}, True),
    ("${x.contains('b')}", {"x": ["a", "b"]}, True),
    ("${s.toUpperCase()}", {"s": "Amt"}, "AMT"),
    ("${s.toLowerCase()}", {"s": "Amt"}, "amt"),
    ("${s.trim()}", {"s": "  a b "}, "a b"),
    ("${s.substring(1)}", {"s": "Antrag"}, "ntrag"),
    ("${s.substring(0, 3)}", {"s": "Antrag"}, "Ant"),
    ("${s.indexOf('t')}", {"s": "Antrag"}, 2),
    ("${s.lastIndexOf('a')}", {"s": "Antrag"}, 4),
    ("${s.charAt(0)}", {"s": "Antrag"}, "A"),
    ("${s.startsWith('An')}", {"s": "Antrag"}, True),
    ("${s.endsWith('ag')}", {"s": "Antrag"}, True),
    ("${s.equals('Antrag')}", {"s": "Antrag"}, True),
    ("${s.equalsIgnoreCase('ANTRAG')}", {"s": "Antrag"}, True),
    ("${s.concat('!')}", {"s": "Ja"}, "Ja!"),
    ("${s.replace('a', 'o')}", {"s": "Bahn"}, "Bohn"),
    ("${s.compareTo('b')}", {"s": "a"}, -1),
    ("${x.get(1)}", {"x": ["a", "b"]}, "b"),
    ("${x.indexOf('b')}", {"x": ["a", "b"]}, 1),
    ("${m.get('k')}", {"m": {"k": 5}}, 5),
    ("${m.containsKey('k')}", {"m": {"k": 5}}, True),
    ("${m.containsValue(5)}", {"m": {"k": 5}}, True),
    ("${m.getOrDefault('z', 0)}", {"m": {"k": 5}}, 0),
    ("${m.keySet().contains('k')}", {"m": {"k": 5}}, True),
    ("${n.intValue() + 1}", {"n": 2.7}, 3),
    ("${b.toString()}", {"b": True}, "true"),
    ("${x.toString()}", {"x": [1, "a"]}, "[1, a]"),
    ("${s.toUpperCase().contains('HN')}", {"s": "Bahn"}, True),
    ("${'abc'.length()}", {}, 3),
    ("${_intern == 1}", {"_intern": 1}, True),
    ("${empty _liste}", {"_liste": []}, True),
])
def test_java_methods_on_values(ev: SafeEvaluator, text: str, variables: dict, expected: object) -> None:
    assert juel(ev, text, **variables) == expected


@pytest.mark.parametrize(("text", "variables", "reason"), [
    ("${s.substring(4)}", {"s": "abc"}, "out of range"),
    ("${x.get(5)}", {"x": [1]}, "out of range"),
    ("${s.contains(1)}", {"s": "abc"}, "needs str"),
    ("${n.size()}", {"n": 5}, "method 'size' is not allowed on a int"),
    ("${s.size(1, 2)}", {"s": "a"}, "TypeError"),
])
def test_java_methods_refuse_wrong_use(ev: SafeEvaluator, text: str, variables: dict, reason: str) -> None:
    with pytest.raises(ExpressionError, match=reason):
        juel(ev, text, **variables)


def test_java_methods_are_bounded(ev: SafeEvaluator) -> None:
    big = "x" * 600_000
    with pytest.raises(ExpressionError, match="size limit"):
        juel(ev, "${s.concat(s)}", s=big)


def _execution(data: dict, **meta: object) -> ModelScope:
    facts = {"process_instance_id": "case-1", "business_key": "AZ-7", "activity_id": "Task_1", **meta}
    return ModelScope(data, {"execution": ExecutionContext(data, facts)})


@pytest.mark.parametrize(("text", "expected"), [
    ("${execution.getVariable('a')}", 1),
    ("${execution.getVariable('missing')}", None),
    ("${execution.hasVariable('a')}", True),
    ("${execution.hasVariable('b')}", False),
    ("${execution.getVariableLocal('a')}", 1),
    ("${execution.processInstanceId}", "case-1"),
    ("${execution.processBusinessKey}", "AZ-7"),
    ("${execution.getProcessBusinessKey()}", "AZ-7"),
    ("${execution.currentActivityId}", "Task_1"),
    ("${execution.getVariable('a') + 1 == 2}", True),
])
def test_execution_object(ev: SafeEvaluator, text: str, expected: object) -> None:
    assert ev.evaluate(translate(text), _execution({"a": 1})) == expected


def test_execution_set_variable_writes_the_task_data(ev: SafeEvaluator) -> None:
    data: dict = {}
    ev.evaluate(translate("${execution.setVariable('status', 'in Bearbeitung')}"), _execution(data))
    ev.execute("execution.setVariable('n', len('abc'))\nm = execution.getVariable('n') * 2", _execution(data))
    assert data == {"status": "in Bearbeitung", "n": 3, "m": 6}


@pytest.mark.parametrize("source, reason", [
    ("execution._data", "'_data' is not allowed"),
    ("execution._meta['business_key']", "'_meta' is not allowed"),
    ("execution.__class__", "'__class__' is not allowed"),
    ("execution.__init__", "'__init__' is not allowed"),
    ("execution.getVariable.__self__", "'__self__' is not allowed"),
    ("execution.getVariable", "can only be called"),
    ("execution.setVariable('x', execution)", "cannot be stored"),
    ("execution.setVariable('x', [{'a': execution}])", "cannot be stored"),
    ("execution.setVariable('__class__', 1)", "not allowed"),
    ("execution.variables.__class__", "'__class__' is not allowed"),
    ("__execution", "'__execution' is not allowed"),
    ("_x.__class__", "'__class__' is not allowed"),
])
def test_execution_object_escapes_are_refused(ev: SafeEvaluator, source: str, reason: str) -> None:
    with pytest.raises(ExpressionError, match=reason):
        ev.evaluate(source, _execution({"a": 1, "_x": 1}))


def test_context_objects_cannot_be_assigned_or_stored_by_scripts(ev: SafeEvaluator) -> None:
    data: dict = {}
    with pytest.raises(ExpressionError, match="cannot be stored"):
        ev.execute("y = execution", _execution(data))
    with pytest.raises(ExpressionError, match="cannot be assigned"):
        ev.execute("execution = 1", _execution(data))
    assert data == {}


def test_task_object_in_task_listeners(ev: SafeEvaluator) -> None:
    data: dict = {"pruefer": "sb2"}
    attributes: dict = {"name": "Antrag prüfen", "assignee": None}
    task = TaskContext(data, {"activity_id": "Pruefen", "event_name": "create"}, attributes)
    scope = ModelScope(data, {"task": task, "execution": task.getExecution()})
    assert ev.evaluate(translate("${task.name}"), scope) == "Antrag prüfen"
    assert ev.evaluate(translate("${task.eventName == 'create'}"), scope) is True
    assert ev.evaluate(translate("${task.taskDefinitionKey}"), scope) == "Pruefen"
    ev.evaluate(translate("${task.setAssignee(pruefer)}"), scope)
    ev.execute("task.addCandidateGroup('ordnungsamt')\ntask.setVariable('geprueft', False)", scope)
    assert attributes["assignee"] == "sb2" and attributes["candidate_groups"] == ["ordnungsamt"]
    assert data["geprueft"] is False
    with pytest.raises(ExpressionError, match="must be text"):
        ev.evaluate("task.setAssignee(5)", scope)


def test_underscore_names_are_variables_but_dunders_stay_refused(ev: SafeEvaluator) -> None:
    data = {"_status": "neu"}
    ev.execute("_zaehler = 1\n_status = _status.upper()", data)
    assert data == {"_status": "NEU", "_zaehler": 1}
    assert ev.check("_a + 1") == []
    assert ev.check("__a") and ev.check("a.__class__") and ev.check("a._b")


def test_beans_rewritten_to_engine_functions(ev: SafeEvaluator) -> None:
    functions = {"digitalwf.urlGruppenaufgaben": "portal_url", "user.email": "mail_of"}
    text = rewrite_beans("Link: ${digitalwf.urlGruppenaufgaben()}/aufgaben", functions)
    assert text == "Link: ${portal_url()}/aufgaben"
    assert ev.evaluate(translate(text), {}) == "Link: https://portal.example/aufgaben"
    assert rewrite_beans("${user.email(x) == a.user.email(y)}", functions) == "${mail_of(x) == a.user.email(y)}"
    assert rewrite_beans(r"\${user.email(x)}", functions) == r"\${user.email(x)}"
    assert rewrite_beans("${user.email(x", functions) == "${user.email(x"  # translation reports it


def test_undeclared_bean_is_named(ev: SafeEvaluator) -> None:
    with pytest.raises(JuelError, match='declare "user.email" under "beans"'):
        translate("${user.email(x)}")
    assert "unknown function 'mail_of'" in " ".join(ev.check(translate("${mail_of(x)}")))


@pytest.mark.parametrize(("text", "expected"), [
    ('${customer.prop("age").numberValue() >= 21}', True),
    ('${customer.prop("name").stringValue()}', "Erika"),
    ('${customer.prop("kinder").elements().size()}', 2),
    ('${customer.hasProp("email")}', False),
    ('${customer.prop("aktiv").boolValue()}', True),
    ('${customer.prop("kinder").isArray()}', True),
])
def test_camunda_spin_json_reads(ev: SafeEvaluator, text: str, expected: object) -> None:
    customer = {"age": 34, "name": "Erika", "kinder": [{"n": 1}, {"n": 2}], "aktiv": True}
    assert juel(ev, text, customer=customer) == expected


def test_camunda_spin_missing_property_is_an_error(ev: SafeEvaluator) -> None:
    with pytest.raises(ExpressionError, match="JSON property 'age' not found"):
        juel(ev, '${customer.prop("age")}', customer={})
