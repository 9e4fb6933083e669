"""engine.runtime.camunda: the deploy-time rewrite of Camunda 7 trees (no I/O)."""

from __future__ import annotations

from lxml import etree

from engine.runtime import camunda
from engine.runtime.namespaces import CAMUNDA, tag

HEAD = ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">'
        '<bpmn:process id="p" isExecutable="true">')
TAIL = "</bpmn:process></bpmn:definitions>"


def _tree(body: str) -> etree._Element:
    return etree.fromstring((HEAD + body + TAIL).encode())


def _messages(body: str, mapping: dict | None = None) -> list[str]:
    return [f"{p.element_id}: {p.message}" for p in camunda.translate_tree(_tree(body), "m.bpmn", mapping)]


def test_topic_resolution_mapping_first_then_the_camunda_connector():
    node = _tree('<bpmn:serviceTask id="s" camunda:type="external" camunda:topic="registerLookup"/>')[0][0]
    assert camunda.implementation(node, None).operation == "camunda.registerLookup"
    mapped = camunda.implementation(node, {"topics": {"registerLookup": "melderegister.find_person"}})
    assert mapped.operation == "melderegister.find_person" and mapped.mapping_entry == ("topics", "registerLookup")


def test_delegates_are_mapped_by_value_or_bare_name_and_older_flat_mappings_still_work():
    node = _tree('<bpmn:serviceTask id="s" camunda:delegateExpression="${mailer}"/>')[0][0]
    assert camunda.implementation(node, {"delegates": {"mailer": "mail.send"}}).operation == "mail.send"
    assert camunda.implementation(node, {"delegates": {"${mailer}": "mail.send"}}).operation == "mail.send"
    assert _messages('<bpmn:serviceTask id="s" camunda:delegateExpression="${mailer}"/>', {"mailer": "mail.send"}) == []
    [message] = _messages('<bpmn:serviceTask id="s" camunda:delegateExpression="${mailer}"/>')
    assert '{"delegates": {"mailer": "connector.operation"}}' in message


def test_camunda_connect_needs_a_connectors_entry_and_passes_its_input_parameters():
    body = ('<bpmn:serviceTask id="s"><bpmn:extensionElements><camunda:connector>'
            '<camunda:inputOutput><camunda:inputParameter name="url">https://example.org/${id}</camunda:inputParameter>'
            '</camunda:inputOutput><camunda:connectorId>http-connector</camunda:connectorId>'
            '</camunda:connector></bpmn:extensionElements></bpmn:serviceTask>')
    [message] = _messages(body)
    assert "camunda:connector 'http-connector'" in message and '"connectors": {"http-connector"' in message
    mapping = {"connectors": {"http-connector": "http.request"}}
    assert _messages(body, mapping) == []
    call = camunda.service_call(_tree(body)[0][0], mapping, [], "m.bpmn")
    assert call.operation == "http.request" and call.params == {"url": "'https://example.org/' + juel_text(id)"}


def test_timer_start_event_cron_stays_a_cron():
    root = _tree('<bpmn:startEvent id="s"><bpmn:timerEventDefinition><bpmn:timeCycle>0/5 0/1 * 1/1 * ?'
                 '</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>'
                 '<bpmn:boundaryEvent id="b" attachedToRef="x"><bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT10M'
                 '</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>')
    assert camunda.translate_tree(root, "m.bpmn", None) == []
    start, boundary = [n.text for n in root.iter(tag("timeCycle"))]
    assert (start, boundary) == ("'0/5 0/1 * 1/1 * ?'", "'R3/PT10M'")  # engine.runtime.cron: at its times


def test_conditional_event_conditions_are_translated():
    root = _tree('<bpmn:intermediateCatchEvent id="c"><bpmn:conditionalEventDefinition><bpmn:condition>'
                 '${not empty akte &amp;&amp; akte.status eq "neu"}</bpmn:condition></bpmn:conditionalEventDefinition>'
                 '</bpmn:intermediateCatchEvent>')
    assert camunda.translate_tree(root, "m.bpmn", None) == []
    assert next(root.iter(tag("condition"))).text == "not is_empty(akte) and juel_compare('==', akte.status, 'neu')"


def test_initiator_becomes_a_start_variable():
    root = _tree('<bpmn:startEvent id="s" camunda:initiator="starter"/>')
    camunda.translate_tree(root, "m.bpmn", None)
    [prop] = root.iter(tag("property", CAMUNDA))
    assert prop.get("name") == camunda.INITIATOR_PROPERTY and prop.get("value") == "starter"


def test_refusals_name_the_element():
    messages = _messages(
        '<bpmn:userTask id="u" camunda:dueDate="morgen" camunda:priority="hoch" camunda:candidateGroups="a, ${x.y()}">'
        '<bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="a">1</camunda:inputParameter>'
        '</camunda:inputOutput></bpmn:extensionElements></bpmn:userTask>'
        '<bpmn:serviceTask id="s" camunda:type="external" camunda:topic="t"><bpmn:extensionElements>'
        '<camunda:inputOutput><camunda:outputParameter name="o"><camunda:script scriptFormat="groovy">r</camunda:script>'
        '</camunda:outputParameter></camunda:inputOutput>'
        '<camunda:executionListener event="start" class="de.X"/></bpmn:extensionElements></bpmn:serviceTask>'
        '<bpmn:callActivity id="c" calledElement="q"><bpmn:extensionElements>'
        '<camunda:in source="a"/><camunda:in variables="all"/></bpmn:extensionElements></bpmn:callActivity>'
        '<bpmn:startEvent id="st"><bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="a"/>'
        '</camunda:inputOutput></bpmn:extensionElements></bpmn:startEvent>'
        '<bpmn:endEvent id="e"><bpmn:extensionElements><camunda:inputOutput><camunda:outputParameter name="a"/>'
        '</camunda:inputOutput></bpmn:extensionElements></bpmn:endEvent>')
    expected = ["u: camunda:dueDate 'morgen' is neither an ISO 8601 date/time",
                "u: camunda:priority 'hoch' is neither a whole number",
                "u: camunda:candidateGroups '${x.y()}': method call",
                "st: camunda:inputOutput mapping unsupported for element type 'startEvent'",
                "e: camunda:outputParameter not allowed for element type 'endEvent'",
                "s: output parameter 'o': groovy script cannot run here",
                "s: execution listener (start): class='de.X' is Java code",
                "c: Missing attribute 'target' when attribute 'source' or 'sourceExpression' is set"]
    for start in expected:
        assert any(m.startswith(start) for m in messages), (start, messages)
    assert len(messages) == len(expected)


def test_mapping_file_problems():
    assert camunda.mapping_problems({"topics": {"a": "x.y"}, "delegates": {}}, "m.json") == []
    problems = [p.message for p in camunda.mapping_problems({"topics": {"a": "nodot"}, "x": {}}, "m.json")]
    assert any("topics 'a': 'nodot' is not a connector operation" in p for p in problems)
    assert any("unknown section 'x'" in p for p in problems)
    assert camunda.mapping_problems([], "m.json")[0].message.startswith("camunda-mapping.json must be a JSON object")
