"""Expressions declared in another language than the engine's (issue 11: nothing silently
mis-run). A condition whose ``language`` (or the file's ``expressionLanguage``) says Groovy,
XPath or a language unknown here was evaluated as Python; now it is refused at deploy with
``FILE:LINE: element-id: message``. A JavaScript condition runs as JavaScript.

SQLite and PostgreSQL; the scenario fixture keeps no case in memory."""

from __future__ import annotations

import pytest

from engine.domain.errors import DeploymentError
from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy

DEFINITIONS = ('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
               'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="urn:amtsflow:test"')


def gateway_model(condition: str, language: str | None = None, *, definitions: str = "", key: str = "sprachen") -> bytes:
    """start -> exclusive gateway -> 'ja' (flow f_ja with ``condition``) or 'nein' (default flow).
    The flow with the condition is on line 6."""
    lang = f' language="{language}"' if language is not None else ""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'{DEFINITIONS}{definitions}>\n'
            f'<process id="{key}" isExecutable="true">\n'
            '<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="gw"/>\n'
            '<exclusiveGateway id="gw" default="f_nein"/>\n'
            '<sequenceFlow id="f_ja" sourceRef="gw" targetRef="ja">'
            f'<conditionExpression xsi:type="tFormalExpression"{lang}>{condition}</conditionExpression>'
            '</sequenceFlow>\n'
            '<sequenceFlow id="f_nein" sourceRef="gw" targetRef="nein"/>\n'
            '<userTask id="ja"/><sequenceFlow id="f2" sourceRef="ja" targetRef="ende1"/><endEvent id="ende1"/>\n'
            '<userTask id="nein"/><sequenceFlow id="f3" sourceRef="nein" targetRef="ende2"/><endEvent id="ende2"/>\n'
            '</process>\n</definitions>\n').encode()


def refused(scenario, content: bytes, name: str = "sprachen.bpmn") -> list[str]:
    with pytest.raises(DeploymentError) as err:
        deploy(scenario.engine, [SourceFile(name, content)], actor="scenario")
    return [str(p) for p in err.value.problems]


def test_a_groovy_condition_in_plain_bpmn_is_refused_naming_flow_and_line(scenario):
    # valid Python too: it ran as Python before
    lines = refused(scenario, gateway_model("betrag &gt; 100", "groovy"))
    assert any(line.startswith("sprachen.bpmn:6: f_ja: ") and "Groovy" in line for line in lines), lines


def test_an_xpath_condition_is_refused(scenario):
    lines = refused(scenario, gateway_model("true", "http://www.w3.org/1999/XPath"))
    assert any(line.startswith("sprachen.bpmn:6: f_ja: ") and "XPath" in line for line in lines), lines


def test_an_unknown_expression_language_is_refused(scenario):
    lines = refused(scenario, gateway_model("betrag &gt; 100", "xquery"))
    assert any(line.startswith("sprachen.bpmn:6: f_ja: ") and "'xquery'" in line for line in lines), lines


def test_the_definitions_expression_language_applies_to_conditions_without_their_own(scenario):
    lines = refused(scenario, gateway_model("betrag &gt; 100", definitions=' expressionLanguage="http://groovy.codehaus.org/"'))
    assert any(line.startswith("sprachen.bpmn:6: f_ja: ") and "Groovy" in line for line in lines), lines


def test_a_javascript_condition_runs_as_javascript(scenario):
    # JavaScript's loose equality: 1 == '1' holds (in Python it does not); === and && are no Python at all
    scenario.deploy_files([], extra={"sprachen.bpmn": gateway_model(
        "zahl == '1' &amp;&amp; typeof zahl === 'number'", "javascript")})
    case = scenario.start("sprachen", {"zahl": 1})
    assert scenario.waits_at(case) == ["ja"]
    other = scenario.start("sprachen", {"zahl": 2})
    assert scenario.waits_at(other) == ["nein"]


def test_the_definitions_expression_language_javascript_is_respected(scenario):
    scenario.deploy_files([], extra={"sprachen.bpmn": gateway_model(
        "zahl == '1'", definitions=' expressionLanguage="javascript"')})
    assert scenario.waits_at(scenario.start("sprachen", {"zahl": 1})) == ["ja"]


def test_a_javascript_condition_that_sets_variables_is_refused(scenario):
    lines = refused(scenario, gateway_model("execution.setVariable('x', 1); true", "javascript"))
    assert any(line.startswith("sprachen.bpmn:6: f_ja: ") and "setzt oder löscht Variablen" in line
               for line in lines), lines


def test_the_bpmn_default_xpath_on_definitions_changes_nothing(scenario):
    """Modelers write BPMN's default expressionLanguage on every file; Camunda and Flowable
    ignore it, and so does the engine (the condition stays the dialect's own)."""
    scenario.deploy_files([], extra={"sprachen.bpmn": gateway_model(
        "zahl == 1", definitions=' expressionLanguage="http://www.w3.org/1999/XPath"')})
    assert scenario.waits_at(scenario.start("sprachen", {"zahl": 1})) == ["ja"]


def test_a_javascript_condition_runs_in_a_camunda_model(scenario):
    model = gateway_model("zahl === 1", "javascript").replace(
        b'id="defs"', b'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs"')
    scenario.deploy_files([], extra={"sprachen.bpmn": model})
    assert scenario.waits_at(scenario.start("sprachen", {"zahl": 1})) == ["ja"]


def test_a_javascript_loop_cardinality_is_refused(scenario):
    model = gateway_model("zahl == 1").replace(
        b'<userTask id="ja"/>',
        b'<userTask id="ja"><multiInstanceLoopCharacteristics>'
        b'<loopCardinality xsi:type="tFormalExpression" language="javascript">2</loopCardinality>'
        b'</multiInstanceLoopCharacteristics></userTask>')
    lines = refused(scenario, model)
    assert any(": ja: " in line and "JavaScript läuft hier nur in Bedingungen" in line for line in lines), lines


def test_a_script_task_in_an_unknown_language_is_refused(scenario):
    model = gateway_model("zahl == 1").replace(
        b'<userTask id="nein"/>', b'<scriptTask id="nein" scriptFormat="xslt"><script>x = 1</script></scriptTask>')
    lines = refused(scenario, model)
    assert any(": nein: Die Skriptsprache 'xslt' kann hier nicht ausgeführt werden" in line for line in lines), lines


def test_a_javascript_condition_of_a_conditional_event_runs_as_javascript(scenario):
    model = ('<?xml version="1.0" encoding="UTF-8"?>\n'
             f'{DEFINITIONS}>\n<process id="bedingt" isExecutable="true">\n'
             '<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="warten"/>\n'
             '<intermediateCatchEvent id="warten"><conditionalEventDefinition>'
             '<condition xsi:type="tFormalExpression" language="javascript">wert === 5</condition>'
             '</conditionalEventDefinition></intermediateCatchEvent>\n'
             '<sequenceFlow id="f2" sourceRef="warten" targetRef="danach"/>\n'
             '<userTask id="danach"/><sequenceFlow id="f3" sourceRef="danach" targetRef="ende"/><endEvent id="ende"/>\n'
             '</process>\n</definitions>\n').encode()
    scenario.deploy_files([], extra={"bedingt.bpmn": model})
    case = scenario.start("bedingt", {"wert": "5"})
    assert scenario.waits_at(case) == []        # '5' === 5 does not hold in JavaScript
    scenario.set_variables(case, {"wert": 5})
    assert scenario.waits_at(case) == ["danach"]


DMN = ('<?xml version="1.0" encoding="UTF-8"?>\n'
       '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="urn:t">\n'
       '<decision id="stufe" name="Stufe"><decisionTable id="t">\n'
       '<input id="i"><inputExpression id="ie" typeRef="integer"><text>zahl</text></inputExpression></input>\n'
       '<output id="o" name="stufe" typeRef="string"/>\n'
       '<rule id="r"><inputEntry id="e1" expressionLanguage="{language}"><text>&gt; 1</text></inputEntry>'
       '<outputEntry id="o1"><text>"hoch"</text></outputEntry></rule>\n'
       '</decisionTable></decision>\n</definitions>\n')


def test_a_decision_table_cell_in_another_language_is_refused(scenario):
    with pytest.raises(DeploymentError) as err:
        deploy(scenario.engine, [SourceFile("sprachen.bpmn", gateway_model("zahl == 1")),
                                 SourceFile("stufe.dmn", DMN.format(language="groovy").encode())], actor="scenario")
    lines = [str(p) for p in err.value.problems]
    assert any(line.startswith("stufe.dmn:6: e1: ") and "'groovy'" in line for line in lines), lines


def test_a_decision_table_cell_in_feel_or_python_deploys(scenario):
    for language in ("python", "https://www.omg.org/spec/DMN/20191111/FEEL/"):
        deploy(scenario.engine, [SourceFile("sprachen.bpmn", gateway_model("zahl == 1")),
                                 SourceFile("stufe.dmn", DMN.format(language=language).encode())], actor="scenario")


def test_a_javascript_completion_condition_runs_as_javascript(scenario):
    model = gateway_model("zahl == 1").replace(
        b'<userTask id="ja"/>',
        b'<userTask id="ja"><multiInstanceLoopCharacteristics isSequential="true">'
        b'<loopCardinality xsi:type="tFormalExpression">3</loopCardinality>'
        b'<completionCondition xsi:type="tFormalExpression" language="javascript">fertig === true'
        b'</completionCondition></multiInstanceLoopCharacteristics></userTask>')
    scenario.deploy_files([], extra={"sprachen.bpmn": model})
    case = scenario.start("sprachen", {"zahl": 1, "fertig": False})
    scenario.complete(case, "ja", {"fertig": "true"})     # a text: === true does not hold
    assert scenario.waits_at(case) == ["ja"]
    scenario.complete(case, "ja", {"fertig": True})
    assert scenario.status(case) == "completed"


def test_a_groovy_correlation_message_path_is_refused(scenario):
    model = gateway_model("zahl == 1").replace(
        b'<process id=',
        b'<message id="antwort" name="antwort"/>\n<correlationProperty id="aktenzeichen">'
        b'<correlationPropertyRetrievalExpression messageRef="antwort">'
        b'<messagePath language="groovy">payload.az</messagePath></correlationPropertyRetrievalExpression>'
        b'</correlationProperty>\n<process id=')
    lines = refused(scenario, model)
    assert any(line.startswith("sprachen.bpmn:4: ") and "Korrelationsausdruck (messagePath) ist in Groovy" in line
               for line in lines), lines


def test_a_condition_declared_juel_in_plain_bpmn_is_refused(scenario):
    """Without ${...} the file is read as plain BPMN, where JUEL does not run (the text ran as Python)."""
    lines = refused(scenario, gateway_model("zahl == 1", "juel"))
    assert any(line.startswith("sprachen.bpmn:6: f_ja: ") and "als JUEL ausgewiesen" in line for line in lines), lines
