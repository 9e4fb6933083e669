"""Flowable and Activiti models are read through the Camunda translation (engine.runtime.flowable):
self-written models in both namespaces, parsed without a database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from engine.domain.errors import DeploymentError
from engine.runtime import camunda, flowable
from engine.runtime.namespaces import CAMUNDA, tag
from engine.runtime.parsing import SourceFile, detect_dialect, parse_bundle
from engine.runtime.xmlsafe import parse_untrusted
from engine.services.compat import _checker

MODELS = Path(__file__).resolve().parents[1] / "models" / "flowable"
MAPPING = {"delegates": {"de.musterstadt.GebuehrDelegate": "test.gebuehr"}}


def _file(name: str) -> SourceFile:
    return SourceFile(name, (MODELS / name).read_bytes())


def _mapping(mapping: dict = MAPPING) -> SourceFile:
    return SourceFile("camunda-mapping.json", json.dumps(mapping).encode())


def _normalised(name: str) -> tuple[etree._Element, list, list]:
    root = parse_untrusted((MODELS / name).read_bytes(), name)
    problems, warnings = flowable.normalise(root, name)
    return root, problems, warnings


def _problems(*files: SourceFile) -> list[str]:
    with pytest.raises(DeploymentError) as caught:
        parse_bundle(list(files), _checker())
    return [str(p) for p in caught.value.problems]


def test_dialect_is_detected_by_the_flowable_or_activiti_namespace() -> None:
    assert detect_dialect((MODELS / "antrag.bpmn20.xml").read_bytes()) == "flowable"
    assert detect_dialect((MODELS / "aufruf.bpmn20.xml").read_bytes()) == "flowable"
    assert detect_dialect(b'<definitions xmlns:camunda="http://camunda.org/schema/1.0/bpmn"/>') == "camunda"
    assert detect_dialect(b"<definitions/>") == "spiff"


def test_user_task_attributes_forms_and_start_initiator() -> None:
    bundle = parse_bundle([_file("antrag.bpmn20.xml"), _mapping()], _checker())
    model = bundle.processes["flowable_antrag"].model
    assert model.dialect == "camunda"                 # serialised and run as a Camunda-dialect case
    pruefen, freigeben, start = model.elements["pruefen"], model.elements["freigeben"], model.elements["start"]
    assert pruefen.candidate_groups == ["sachbearbeitung", "${zusatzgruppe}"]
    assert pruefen.candidate_users == ["sb1"]
    assert (pruefen.due_date, pruefen.priority) == ("P14D", "60")
    assert freigeben.assignee == "${antragsteller}"
    assert start.properties[camunda.INITIATOR_PROPERTY] == "antragsteller"
    assert pruefen.form is not None and pruefen.form.schema["required"] == ["genehmigt"]


def test_form_properties_become_a_closed_json_schema() -> None:
    bundle = parse_bundle([_file("antrag.bpmn20.xml"), _mapping()], _checker())
    schema = bundle.processes["flowable_antrag"].model.start_form.schema
    assert list(schema["properties"]) == ["name", "betrag", "art", "kontakt", "geprueft"]  # intern: readable=false
    assert schema["required"] == ["name", "betrag"]
    assert schema["properties"]["betrag"]["type"] == "integer"                  # type long
    assert schema["properties"]["art"]["enum"] == ["standard", "sonder"]
    assert schema["properties"]["art"]["default"] == "standard"
    assert schema["properties"]["geprueft"]["readOnly"] is True                 # writable=false
    assert schema["properties"]["kontakt"]["title"] == "E-Mail"                 # variable="kontakt"
    assert schema["additionalProperties"] is False


def test_delegates_go_through_the_mapping_file_and_conditions_are_translated() -> None:
    bundle = parse_bundle([_file("antrag.bpmn20.xml"), _mapping()], _checker())
    parsed = bundle.processes["flowable_antrag"]
    service = parsed.model.elements["gebuehr"].service
    assert service is not None and service.operation == "test.gebuehr"
    assert service.params == {"satz": "'12'", "betrag": "betrag"}              # field injections
    gateway = parsed.spec.task_specs["weiche"]
    conditions = [c.args[0] if hasattr(c, "args") else c for c, _ in gateway.cond_task_specs]
    assert any("juel_compare('>', betrag, 100)" in str(c) and "and" in str(c) for c in conditions)
    unmapped = _problems(_file("antrag.bpmn20.xml"))
    assert any(":21: gebuehr: flowable:class='de.musterstadt.GebuehrDelegate' is Java code" in p and
               '{"delegates": {"de.musterstadt.GebuehrDelegate": "connector.operation"}}' in p for p in unmapped)


def test_mail_task_becomes_the_mail_connector_with_its_fields() -> None:
    bundle = parse_bundle([_file("antrag.bpmn20.xml"), _mapping()], _checker())
    service = bundle.processes["flowable_antrag"].model.elements["benachrichtigen"].service
    assert service is not None and service.operation == "mail.send_text"
    assert service.params["to"] == "kontakt" and service.params["subject"] == "'Ihr Antrag'"
    assert "juel_text(name)" in service.params["text"] and "juel_text(gebuehr)" in service.params["text"]
    assert "from" not in service.params and service.result_variable == "benachrichtigenMail"
    assert [w.message for w in bundle.warnings] == [
        "mail field 'from' is ignored: the configured sender is used (AMTSFLOW_CONNECTOR_MAIL_FROM)"]


def test_http_task_becomes_the_http_connector() -> None:
    root, problems, _ = _normalised("aufruf.bpmn20.xml")
    assert problems == []
    node = root.find(f".//{tag('serviceTask')}")
    call = camunda.service_call(node, None, [], "aufruf.bpmn20.xml")
    assert call is not None and call.operation == "http.request"
    assert call.params["method"] == "'POST'"
    assert call.params["url"] == "'https://register.example/personen/' + juel_text(id)"
    assert call.params["timeout"] == "2.5"                                       # 2500 ms
    assert call.params["expect"] == "'text'"                                     # Flowable keeps the body as text
    assert "juel_text(id)" in call.params["body_text"]
    assert call.result_variable == "antwort"
    headers = node.find(f".//{tag('inputParameter', CAMUNDA)}[@name='headers']")
    assert {e.get("key"): e.text for e in headers.iter(tag("entry", CAMUNDA))} == {
        "Content-Type": "application/json", "Accept": "application/json"}


def test_async_listeners_call_activities_and_implicit_errors_map_onto_camunda() -> None:
    root, problems, _ = _normalised("aufruf.bpmn20.xml")
    assert problems == []
    assert not [n for n in root.iter() if isinstance(n.tag, str) and etree.QName(n).namespace in flowable.NAMESPACES]
    call = root.find(f".//{tag('callActivity')}")
    ins = [dict(n.attrib) for n in call.iter(tag("in", CAMUNDA))]
    assert {"variables": "all"} in ins and {"businessKey": "${id}"} in ins      # inheritVariables, businessKey
    assert [dict(n.attrib) for n in call.iter(tag("out", CAMUNDA))] == [{"source": "ergebnis", "target": "ergebnis"}]
    assert call.get(tag("calledElementBinding", CAMUNDA)) == "deployment"      # sameDeployment
    [script] = call.iter(tag("script", CAMUNDA))
    assert script.get("scriptFormat") == "javascript" and "setVariable" in script.text
    listener = root.find(f".//{tag('process')}/{tag('extensionElements')}/{tag('executionListener', CAMUNDA)}")
    assert listener.get("expression") == "${protokoll.start(execution)}" and listener.get("event") == "start"
    [error] = root.iter(tag("error"))                                           # errorRef names the code
    assert (error.get("id"), error.get("errorCode")) == ("NICHT_GEFUNDEN", "NICHT_GEFUNDEN")
    antrag, _, _ = _normalised("antrag.bpmn20.xml")
    gebuehr = antrag.find(f".//{tag('serviceTask')}[@id='gebuehr']")
    assert gebuehr.get(tag("asyncBefore", CAMUNDA)) == "true"


def test_what_has_no_counterpart_is_refused_with_its_element() -> None:
    problems = _problems(_file("refused.bpmn20.xml"), _mapping({"delegates": {"de.musterstadt.Warten": "t.w"}}))
    expected = [
        ':8: skip: flowable:whatever="1" has no counterpart here',
        ":15: post: mail field 'htmlVar' is not supported: it evaluates a variable's content as a template",
        ':19: shell: flowable:type="shell" tasks cannot run here',
    ]
    for part in expected:
        assert any(part in p for p in problems), (part, problems)
    assert all(p.startswith("refused.bpmn20.xml:") for p in problems)
    assert not any("terminateAll" in p for p in problems)          # runs: ends the whole case
    assert not any("triggerable" in p for p in problems)           # runs: waits for its trigger message
    assert not any("skipExpression" in p for p in problems)        # runs: skipped when the case switches it on


def test_a_triggerable_service_task_is_marked_and_other_triggerable_tasks_are_refused() -> None:
    from engine.runtime.camunda_tasks import TRIGGERABLE_PROPERTY

    root, _problems, _ = _normalised("refused.bpmn20.xml")
    task = root.find(f".//{tag('serviceTask')}[@id='warten']")
    [prop] = task.iter(tag("property", CAMUNDA))
    assert (prop.get("name"), prop.get("value")) == (TRIGGERABLE_PROPERTY, "true")
    source = (MODELS / "refused.bpmn20.xml").read_text().replace(
        '<serviceTask id="warten" flowable:class="de.musterstadt.Warten" flowable:triggerable="true"/>',
        '<userTask id="warten" flowable:triggerable="true"/>')
    messages = [p.message for p in flowable.normalise(parse_untrusted(source.encode(), "r"), "r")[0]]
    assert any("flowable:triggerable: only service tasks can be triggerable here" in m for m in messages)


def test_harmless_values_of_refused_attributes_pass() -> None:
    source = (MODELS / "refused.bpmn20.xml").read_text()
    root = parse_untrusted(source.replace('flowable:triggerable="true"', 'flowable:triggerable="false"')
                           .replace('flowable:terminateAll="true"', 'flowable:terminateAll="false"').encode(), "r")
    messages = [p.message for p in flowable.normalise(root, "r")[0]]
    assert not any("triggerable" in m or "terminateAll" in m for m in messages)


def test_unknown_extension_elements_are_ignored_with_a_warning() -> None:
    source = (b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
              b'xmlns:activiti="http://activiti.org/bpmn"><process id="p"><userTask id="t"><extensionElements>'
              b'<activiti:strangeProperty name="x"/></extensionElements></userTask></process></definitions>')
    root = parse_untrusted(source, "p.bpmn20.xml")
    problems, warnings = flowable.normalise(root, "p.bpmn20.xml")
    assert problems == []
    assert [str(w) for w in warnings] == ["p.bpmn20.xml:1: t: <flowable:strangeProperty> is ignored: an unknown "
                                          "extension element is data for other tools (Flowable ignores it too)"]


def test_plain_bpmn_with_juel_expressions_is_read_as_camunda() -> None:
    """Flowable's and Camunda's tests write plain BPMN with ${...} conditions: never Python."""
    plain = (b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p">'
             b'<sequenceFlow id="f"><conditionExpression><![CDATA[${input <= 1}]]></conditionExpression>'
             b'</sequenceFlow></process></definitions>')
    assert detect_dialect(plain) == "camunda"
    assert detect_dialect(plain.replace(b"${input <= 1}", b"input <= 1")) == "spiff"


def test_loop_data_input_and_implicit_end_events() -> None:
    source = (b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
              b'xmlns:flowable="http://flowable.org/bpmn"><process id="p"><subProcess id="sub">'
              b'<startEvent id="s"/><sequenceFlow id="f" sourceRef="s" targetRef="t"/>'
              b'<userTask id="t"><multiInstanceLoopCharacteristics><loopDataInputRef>liste</loopDataInputRef>'
              b'<inputDataItem name="eintrag"/></multiInstanceLoopCharacteristics></userTask>'
              b'</subProcess></process></definitions>')
    root = parse_untrusted(source, "p.bpmn20.xml")
    assert flowable.normalise(root, "p.bpmn20.xml")[0] == []
    loop = root.find(f".//{tag('multiInstanceLoopCharacteristics')}")
    assert loop.get(tag("collection", CAMUNDA)) == "${liste}" and loop.get(tag("elementVariable", CAMUNDA)) == "eintrag"
    [end] = root.iter(tag("endEvent"))
    flow = root.find(f".//{tag('sequenceFlow')}[@targetRef='{end.get('id')}']")
    assert flow is not None and flow.get("sourceRef") == "t"


def test_flows_leaving_an_activity_without_a_gateway_get_an_explicit_split() -> None:
    source = (b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p">'
              b'<manualTask id="t" default="f1"/>'
              b'<sequenceFlow id="f1" sourceRef="t" targetRef="a"/>'
              b'<sequenceFlow id="f2" sourceRef="t" targetRef="b"><conditionExpression>${x == 2}'
              b'</conditionExpression></sequenceFlow><sequenceFlow id="f3" sourceRef="t" targetRef="c"/>'
              b'<manualTask id="v" default="h1"/><sequenceFlow id="h1" sourceRef="v" targetRef="a"/>'
              b'<sequenceFlow id="h2" sourceRef="v" targetRef="b"><conditionExpression>${x == 2}'
              b'</conditionExpression></sequenceFlow><sequenceFlow id="h3" sourceRef="v" targetRef="c">'
              b'<conditionExpression>${x == 3}</conditionExpression></sequenceFlow>'
              b'<manualTask id="w"/><sequenceFlow id="k1" sourceRef="w" targetRef="a"/>'
              b'<sequenceFlow id="k2" sourceRef="w" targetRef="b"><conditionExpression>${x == 2}'
              b'</conditionExpression></sequenceFlow>'
              b'<userTask id="u"/><sequenceFlow id="g1" sourceRef="u" targetRef="a"/>'
              b'<sequenceFlow id="g2" sourceRef="u" targetRef="b"/></process></definitions>')
    root = parse_untrusted(source, "p.bpmn")
    flowable.standard_bpmn(root)
    # the default competes with the condition only: f3 (unconditional) leaves a parallel split,
    # f2 and the default f1 an inclusive gateway behind it (BPMN 2.0, 10.3, Activity default)
    inclusive = root.find(f".//{tag('inclusiveGateway')}")
    assert inclusive.get("id") == "t__choice" and inclusive.get("default") == "f1"
    assert root.find(f".//{tag('manualTask')}").get("default") is None
    flows = {f.get("id"): f for f in root.iter(tag("sequenceFlow"))}
    assert flows["f3"].get("sourceRef") == "t__split" and flows["f3"].find(tag("conditionExpression")) is None
    assert {flows["f1"].get("sourceRef"), flows["f2"].get("sourceRef")} == {"t__choice"}
    assert flows["f1"].find(tag("conditionExpression")) is None
    assert (flows["t__split_in"].get("sourceRef"), flows["t__choice_in"].get("sourceRef")) == ("t", "t__split")
    parallel = {g.get("id") for g in root.iter(tag("parallelGateway"))}
    assert parallel == {"t__split", "u__split"}
    # only conditional flows besides the default: one inclusive gateway with the default
    assert {g.get("id"): g.get("default") for g in root.iter(tag("inclusiveGateway"))} == {
        "t__choice": "f1", "v__split": "h1", "w__split": None}
    # no default: an unconditional flow beside conditional ones is always taken
    assert flows["k1"].findtext(tag("conditionExpression")) == "True" and flows["k1"].get("sourceRef") == "w__split"
    assert {f.get("sourceRef") for f in root.iter(tag("sequenceFlow")) if f.get("id") in ("g1", "g2")} == {"u__split"}


_NAMES = b"""<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:flowable="http://flowable.org/bpmn">
  <process id="akte">
    <startEvent id="s"><signalEventDefinition flowable:signalExpression="${variableContainer.definitionKey}-go"/></startEvent>
    <userTask id="pruefen" flowable:taskIdVariableName="${'pruef' + 'Id'}">
      <extensionElements>
        <flowable:taskListener event="create" expression="${execution.setVariable('zuerst', 1)}"/>
      </extensionElements>
    </userTask>
    <intermediateCatchEvent id="warten"><messageEventDefinition flowable:messageExpression="antwort-${nr}"/></intermediateCatchEvent>
    <boundaryEvent id="storno" attachedToRef="pruefen"><messageEventDefinition flowable:messageExpression="antwort-${nr}"/></boundaryEvent>
  </process>
</definitions>"""


def test_task_id_variables_and_name_expressions_are_normalised_onto_the_camunda_dialect() -> None:
    root = parse_untrusted(_NAMES, "akte.bpmn20.xml")
    problems, _ = flowable.normalise(root, "akte.bpmn20.xml")
    assert problems == []
    task = root.find(f".//{tag('userTask')}")
    listeners = task.findall(f"{tag('extensionElements')}/{tag('taskListener', CAMUNDA)}")
    # the model's own create listener first, then the one storing the task id (as Flowable orders them)
    assert [n.get("expression") for n in listeners] == ["${execution.setVariable('zuerst', 1)}", None]
    assert "task.id" in listeners[1].findtext(tag("script", CAMUNDA))
    # the start event's signal was named at deployment; the two catchers share one generated message
    [signal] = root.findall(tag("signal"))
    assert signal.get("name") == "akte-go"
    [message] = root.findall(tag("message"))
    assert message.get("name") == "antwort-${nr}"
    refs = {d.get("messageRef") for d in root.iter(tag("messageEventDefinition"))}
    assert refs == {message.get("id")}


MAIL_WITH_ATTACHMENT = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:flowable="http://flowable.org/bpmn"
             targetNamespace="t">
  <process id="bescheid_versenden">
    <startEvent id="s"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="post"/>
    <serviceTask id="post" flowable:type="mail">
      <extensionElements>
        <flowable:field name="to"><flowable:string>erika@musterstadt.example</flowable:string></flowable:field>
        <flowable:field name="attachments"><flowable:expression>${bescheidDatei}</flowable:expression></flowable:field>
      </extensionElements>
    </serviceTask>
    <sequenceFlow id="f2" sourceRef="post" targetRef="e"/>
    <endEvent id="e"/>
  </process>
</definitions>
"""


def test_mail_attachments_stay_refused_and_say_how_to_send_a_document() -> None:
    """Flowable attaches server files, Java data sources or content items: none reachable here."""
    [problem] = _problems(SourceFile("versand.bpmn20.xml", MAIL_WITH_ATTACHMENT))
    assert problem.startswith("versand.bpmn20.xml:10: post: mail field 'attachments' is not supported")
    assert "files on the engine's server" in problem and "mail.send" in problem and "content_base64" in problem
