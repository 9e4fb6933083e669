"""Deploy-time validation of untrusted uploads: no I/O besides the parser, all-or-nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.domain.errors import DeploymentError
from engine.runtime.expressions import SafeEvaluator
from engine.runtime.parsing import SourceFile, parse_bundle

MODELS = Path(__file__).resolve().parents[1] / "models"
EVALUATOR = SafeEvaluator()


def check(source: str, mode: str, element_id: str) -> list[str]:
    return EVALUATOR.check(source, mode=mode, element_id=element_id)


def problems(*files: tuple[str, str | bytes]) -> list[str]:
    sources = [SourceFile(name, body.encode() if isinstance(body, str) else body) for name, body in files]
    with pytest.raises(DeploymentError) as err:
        parse_bundle(sources, check)
    return [str(p) for p in err.value.problems]


def usertask(**replace: str) -> str:
    text = (MODELS / "usertask.bpmn").read_text()
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


def with_script(script: str, fmt: str = "") -> str:
    attr = f' scriptFormat="{fmt}"' if fmt else ""
    return usertask(**{'<bpmn:userTask id="pruefen" name="Antrag prüfen">':
                       f'<bpmn:scriptTask id="skript"{attr}><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>'
                       '<bpmn:userTask id="pruefen" name="Antrag prüfen">'})


def test_valid_bundle_parses():
    bundle = parse_bundle([SourceFile("usertask.bpmn", (MODELS / "usertask.bpmn").read_bytes())], check)
    model = bundle.processes["usertask"].model
    assert model.element("pruefen").candidate_groups == ["sachbearbeitung"]


def test_xxe_is_refused_and_no_file_is_read():
    xxe = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>')
    [line] = problems(("xxe.bpmn", xxe))
    assert "DTDs and entity declarations are not allowed" in line and "root:" not in line


def test_billion_laughs_is_refused():
    lol = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)) + ']><l>&i;</l>'
    [line] = problems(("lol.bpmn", lol))
    assert line.startswith("lol.bpmn:1: -: DTDs")


def test_entity_without_doctype_keyword_at_start_is_refused():
    sneaky = "\n" * 3 + usertask().replace("<bpmn:definitions", '<!DOCTYPE x [<!ENTITY e "x">]>\n<bpmn:definitions', 1)
    [line] = problems(("sneaky.bpmn", sneaky))
    assert "entity" in line.lower()


def test_oversized_file_is_refused():
    big = usertask().replace("</bpmn:definitions>", "<!--" + "x" * (6 * 1024 * 1024) + "--></bpmn:definitions>")
    [line] = problems(("big.bpmn", big))
    assert "the limit is" in line


def test_broken_xml_names_the_line():
    broken = usertask().replace("</bpmn:process>", "</bpmn:prozess>")
    [line] = problems(("broken.bpmn", broken))
    assert line.startswith("broken.bpmn:16:") and "not well-formed" in line


def test_unknown_references_are_problems_not_crashes():
    text = usertask(**{'<bpmn:endEvent id="end">': '<bpmn:endEvent id="end"><bpmn:messageEventDefinition messageRef="nix"/>',
                       'targetRef="pruefen"/>': 'targetRef="gibtsnicht"/>'})
    lines = problems(("refs.bpmn", text))
    assert any("end: messageRef 'nix' points to no message" in x for x in lines)
    assert any("f1: targetRef 'gibtsnicht' points to no element" in x for x in lines)


@pytest.mark.parametrize("snippet,message", [
    ('<bpmn:complexGateway id="cg"/>', "complex gateways are not supported"),
    ('<bpmn:intermediateThrowEvent id="comp"><bpmn:compensateEventDefinition waitForCompletion="false"/>'
     '</bpmn:intermediateThrowEvent>', 'comp: waitForCompletion="false" is not supported'),
    ('<bpmn:intermediateThrowEvent id="comp"><bpmn:compensateEventDefinition activityRef="nix"/>'
     '</bpmn:intermediateThrowEvent>', "comp: Invalid attribute value for 'activityRef': no activity with id 'nix'"),
    ('<bpmn:intermediateThrowEvent id="link"><bpmn:linkEventDefinition name="L"/></bpmn:intermediateThrowEvent>',
     "link: link throw event 'L' has no link catch event of that name in the same scope"),
    ('<bpmn:callActivity id="call" calledElement="fehlt"/>', "called process 'fehlt' is neither part of this deployment nor deployed before"),
])
def test_constructs_spiffworkflow_would_mis_run_are_refused(snippet, message):
    lines = problems(("m.bpmn", usertask(**{"<bpmn:endEvent": snippet + "<bpmn:endEvent"})))
    assert any(message in x for x in lines), lines


@pytest.mark.parametrize("script,expected", [
    ("__import__('os').system('id')", "'__import__' is not allowed"),
    ("x = ().__class__.__base__.__subclasses__()", "names starting with '_'"),
    ("import os", "import"),
    ("x = open('/etc/passwd').read()", "open"),
    ("def f():\n    pass", "def"),
])
def test_script_escapes_are_refused_at_deploy_time(script, expected):
    lines = problems(("s.bpmn", with_script(script)))
    assert any(": skript: " in x and expected in x for x in lines), lines


def test_groovy_scripts_are_refused():
    lines = problems(("g.bpmn", with_script("println 'hi'", fmt="groovy")))
    assert any("script language 'groovy' cannot run here" in x for x in lines), lines


def test_condition_escape_is_refused():
    text = (MODELS / "antrag.bpmn").read_text().replace("anzahl &lt;= 3", "().__class__.__bases__")
    lines = problems(("antrag.bpmn", text), ("antrag-start.schema.json", (MODELS / "antrag-start.schema.json").read_text()),
                     ("pruefung.schema.json", (MODELS / "pruefung.schema.json").read_text()))
    assert any("f_ja" in x or "gw" in x for x in lines), lines


def test_missing_form_file_and_invalid_schema():
    text = (MODELS / "antrag.bpmn").read_text()
    lines = problems(("antrag.bpmn", text), ("pruefung.schema.json", '{"type": 12}'))
    assert any("antrag-start.schema.json' is not part of this deployment" in x for x in lines), lines
    assert any("invalid JSON Schema" in x for x in lines), lines


def test_service_task_without_operation_and_unknown_file_type():
    text = usertask(**{'<bpmn:userTask id="pruefen" name="Antrag prüfen">': '<bpmn:serviceTask id="svc"/>'
                       '<bpmn:userTask id="pruefen" name="Antrag prüfen">'})
    lines = problems(("svc.bpmn", text), ("notes.exe", b"MZ"))
    assert any("notes.exe:0: -: unknown file type" in x for x in lines), lines
    assert any("svc: service task names no connector operation" in x for x in lines), lines


def test_a_process_id_longer_than_a_process_key_may_be_is_refused_at_deploy() -> None:
    """A start refuses process keys over 200 characters (engine.services.inbound.MAX_NAME_LENGTH):
    such a process deployed, and then no case could ever start."""
    from engine.domain.errors import DeploymentError
    from engine.runtime.parsing import SourceFile, parse_bundle
    from engine.services.inbound import MAX_NAME_LENGTH

    def model(pid: str) -> bytes:
        return (f'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="t">'
                f'<process id="{pid}" isExecutable="true"><startEvent id="s"/>'
                '<sequenceFlow id="f" sourceRef="s" targetRef="e"/><endEvent id="e"/></process></definitions>').encode()

    assert parse_bundle([SourceFile("ok.bpmn", model("p" * MAX_NAME_LENGTH))]).processes
    with pytest.raises(DeploymentError, match="process id is longer than 200 characters"):
        parse_bundle([SourceFile("lang.bpmn", model("p" * (MAX_NAME_LENGTH + 1)))])


def test_a_form_field_prefilled_from_an_unknown_account_attribute_is_refused():
    text = (MODELS / "antrag.bpmn").read_text().replace(
        '<spiffworkflow:property name="formJsonSchemaFilename" value="antrag-start.schema.json"/>',
        '<spiffworkflow:property name="formJsonSchemaFilename" value="antrag-start.schema.json"/>'
        '<spiffworkflow:property name="formUiSchemaFilename" value="antrag-start.uischema.json"/>')
    files = [("antrag.bpmn", text), ("antrag-start.schema.json", (MODELS / "antrag-start.schema.json").read_text()),
             ("pruefung.schema.json", (MODELS / "pruefung.schema.json").read_text())]
    accepted = [*files, ("antrag-start.uischema.json", '{"name": {"ui:prefill": "family_name"}}')]
    parse_bundle([SourceFile(name, body.encode()) for name, body in accepted], check)
    lines = problems(*files, ("antrag-start.uischema.json", '{"name": {"ui:prefill": "steuer_id"}}'))
    assert any("ui:prefill of field 'name' names 'steuer_id'" in x for x in lines), lines
