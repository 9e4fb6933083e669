"""A JavaScript script that calls methods on a name it never defines (a Spring bean the mapping
does not declare): a warning at deploy and a hint in the runtime error, naming the "beans"
entries to add. Before, the deploy said nothing and the run failed with a bare ReferenceError."""

from __future__ import annotations

import pytest

from engine.domain.errors import ExpressionError
from engine.runtime.javascript import JavaScriptSandbox, undeclared_objects
from engine.runtime.parsing import SourceFile, parse_bundle

SCRIPT = """
var vorname = user.firstname(execution.getVariable("starterOfInstance"));   // user.ignored() in a comment
var text = "kein.aufruf() im Text";
function gruss(p) { return p.trim(); }
var o = {f: function () { return 1; }};
execution.setVariable("gruss", gruss(vorname) + o.f() + user.lastname("x") + Math.max(1, 2) + JSON.stringify({}));
"""


def test_names_called_without_a_definition_are_found_and_nothing_else() -> None:
    assert undeclared_objects(SCRIPT) == {"user": ["firstname", "lastname"]}
    assert undeclared_objects("var user = {}; user.firstname(1)") == {}
    assert undeclared_objects("const f = (user) => user.firstname(1)") == {}


def test_the_runtime_error_names_the_beans_entries() -> None:
    with pytest.raises(ExpressionError) as err:
        JavaScriptSandbox().run(SCRIPT, {"starterOfInstance": "max"})
    assert "ReferenceError: 'user' is not defined" in err.value.message
    assert 'declare "user.firstname", "user.lastname" under "beans" in camunda-mapping.json' in err.value.message


MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
             targetNamespace="t">
  <process id="gruss" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="skript"/>
    <scriptTask id="skript" scriptFormat="javascript"><script><![CDATA[{script}]]></script></scriptTask>
    <sequenceFlow id="f2" sourceRef="skript" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>"""


def test_deploy_warns_about_the_script_unless_the_bean_is_declared() -> None:
    bundle = parse_bundle([SourceFile("gruss.bpmn", MODEL.replace("{script}", SCRIPT).encode())])
    [warning] = [w for w in bundle.warnings if "is not defined in it" in w.message]
    assert warning.element_id == "skript"
    assert '"user.firstname", "user.lastname" under "beans"' in warning.message
    mapping = b'{"beans": {"user.firstname": "str", "user.lastname": "str"}}'
    declared = parse_bundle([SourceFile("gruss.bpmn", MODEL.replace("{script}", SCRIPT).encode()),
                             SourceFile("camunda-mapping.json", mapping)])
    assert not [w for w in declared.warnings if "is not defined in it" in w.message]
