"""engine.services.compat.check_paths and `amtsflow check` on self-written Camunda models."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from engine.services.compat import AFTER_MAPPING, BLOCKED, RUNS, bundle_for, check_paths, summary
from webui.cli_compat import check

CAMUNDA = Path(__file__).resolve().parents[1] / "models" / "camunda"


def _copy(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "modelle"
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(CAMUNDA / name, folder / Path(name).name)
    return folder


def test_verdicts_runs_after_mapping_and_blocked(tmp_path):
    folder = _copy(tmp_path, "antrag.bpmn", "fristen.bpmn", "delegates/gebuehr.bpmn", "refused/refused.bpmn")
    reports = {Path(r.file).name: r for r in check_paths([folder])}
    assert reports["antrag.bpmn"].status == RUNS and reports["antrag.bpmn"].processes == ["camunda_antrag"]
    assert reports["fristen.bpmn"].status == RUNS
    assert any("external topic 'remind' runs as connector operation 'camunda.remind'" in n
               for n in reports["fristen.bpmn"].notes)
    gebuehr = reports["gebuehr.bpmn"]
    assert gebuehr.status == AFTER_MAPPING and gebuehr.java == ["berechnen", "buchen"]
    assert gebuehr.mapping_needed == [("delegates", "de.musterstadt.Gebuehr"), ("delegates", "kasse")]
    refused = reports["refused.bpmn"]
    assert refused.status == BLOCKED and refused.scripts == ["groovy", "js", "pruefen"]
    assert all(str(p).startswith(str(folder / "refused.bpmn") + ":") for p in refused.blockers)
    assert any(": f6: expression '${antrag.getBetrag() > 3}'" in str(p) for p in refused.blockers)
    assert gebuehr.deploys_now and not refused.deploys_now
    assert summary(list(reports.values())) == ("2 of 4 models deployable; 1 more deploy with unmapped Java code, which "
                                               "stops a case with an incident until camunda-mapping.json maps it")


def test_a_mapping_file_beside_the_model_makes_it_run(tmp_path):
    folder = _copy(tmp_path, "delegates/gebuehr.bpmn")
    (folder / "camunda-mapping.json").write_text('{"delegates": {"de.musterstadt.Gebuehr": "kasse.gebuehr", '
                                                 '"kasse": "kasse.buchen"}}')
    [report] = check_paths([folder / "gebuehr.bpmn"])
    assert report.status == RUNS and report.mapping_needed == []


def test_bundle_carries_forms_dmn_and_called_processes(tmp_path):
    folder = _copy(tmp_path, "formulare.bpmn", "antrag.form", "entscheidung.form", "service.bpmn")
    names = [p.name for p in bundle_for(folder / "formulare.bpmn")]
    assert names[0] == "formulare.bpmn" and {"antrag.form", "entscheidung.form"} <= set(names)
    assert "service.bpmn" not in names               # not called by formulare.bpmn


def test_cli_prints_per_file_and_the_summary(tmp_path):
    folder = _copy(tmp_path, "antrag.bpmn", "delegates/gebuehr.bpmn", "refused/refused.bpmn")
    result = CliRunner().invoke(check, [str(folder)])
    lines = result.output.splitlines()
    assert result.exit_code == 1
    assert f"{folder / 'antrag.bpmn'}: runs" in lines
    assert f"{folder / 'gebuehr.bpmn'}: runs after mapping" in lines
    assert ('  add to camunda-mapping.json: {"delegates": {"de.musterstadt.Gebuehr": "connector.operation", '
            '"kasse": "connector.operation"}}') in lines
    assert f"{folder / 'refused.bpmn'}: blocked" in lines
    assert any(line.startswith(f"  {folder / 'refused.bpmn'}:7: groovy: ") for line in lines)
    assert "  deploys as it is, with a warning for each entry: a case that reaches unmapped Java code stops " \
           "there with an incident until a new version maps it" in lines
    assert lines[-1] == ("1 of 3 models deployable; 1 more deploy with unmapped Java code, which stops a case with "
                         "an incident until camunda-mapping.json maps it")
    ok = CliRunner().invoke(check, [str(folder / "antrag.bpmn")])
    assert ok.exit_code == 0 and ok.output.splitlines()[-1] == "1 of 1 models deployable"
    missing = CliRunner().invoke(check, [str(folder / "nirgends.bpmn")])
    assert missing.exit_code == 2


def test_a_mapping_given_for_all_files_applies_and_the_folder_mapping_wins(tmp_path):
    folder = _copy(tmp_path, "delegates/gebuehr.bpmn")
    base = {"delegates": {"de.musterstadt.Gebuehr": "kasse.gebuehr", "kasse": "kasse.buchen"}}
    [report] = check_paths([folder / "gebuehr.bpmn"], base_mapping=base)
    assert report.status == RUNS
    (folder / "camunda-mapping.json").write_text('{"delegates": {"kasse": "not an operation"}}')
    [report] = check_paths([folder / "gebuehr.bpmn"], base_mapping=base)
    assert report.status == BLOCKED
    assert any("delegates 'kasse': 'not an operation' is not a connector operation" in str(p)
               for p in report.blockers)


def _process(pid: str, calls: str = "") -> str:
    call = (f'<callActivity id="c" calledElement="{calls}"/><sequenceFlow id="f2" sourceRef="c" targetRef="e"/>'
            if calls else "")
    flow_target = "c" if calls else "e"
    return ('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="t">'
            f'<process id="{pid}" isExecutable="true"><startEvent id="s"/>'
            f'<sequenceFlow id="f1" sourceRef="s" targetRef="{flow_target}"/>{call}<endEvent id="e"/>'
            '</process></definitions>')


def test_bundle_takes_one_file_per_called_process(tmp_path):
    """Test folders define a called process in several files: one of them, named like the process."""
    (tmp_path / "Haupt.testAufruf.bpmn20.xml").write_text(_process("haupt", calls="unter"))
    (tmp_path / "andere.bpmn20.xml").write_text(_process("unter"))
    (tmp_path / "unter.bpmn20.xml").write_text(_process("unter"))
    names = [p.name for p in bundle_for(tmp_path / "Haupt.testAufruf.bpmn20.xml")]
    assert names == ["Haupt.testAufruf.bpmn20.xml", "unter.bpmn20.xml"]
    [report] = check_paths([tmp_path / "Haupt.testAufruf.bpmn20.xml"])
    assert report.status == RUNS, report.blockers


FLOWABLE_BLOCKED = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:flowable="http://flowable.org/bpmn"
             targetNamespace="t">
  <process id="gesperrt" isExecutable="true">
    <startEvent id="s"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="gebuehr"/>
    <serviceTask id="gebuehr" flowable:class="de.musterstadt.Gebuehr"/>
    <sequenceFlow id="f2" sourceRef="gebuehr" targetRef="weiche"/>
    <exclusiveGateway id="weiche" default="f4"/>
    <sequenceFlow id="f3" sourceRef="weiche" targetRef="pruefen">
      <conditionExpression>${pruefer.istZustaendig(antrag)}</conditionExpression>
    </sequenceFlow>
    <sequenceFlow id="f4" sourceRef="weiche" targetRef="pruefen"/>
    <userTask id="pruefen" flowable:skipExpression="eilig"/>
    <sequenceFlow id="f5" sourceRef="pruefen" targetRef="e"/>
    <endEvent id="e"/>
  </process>
</definitions>
"""


def test_cli_prints_each_blocker_once_with_the_mapping_entries_that_unblock(tmp_path):
    model = tmp_path / "gesperrt.bpmn20.xml"
    model.write_text(FLOWABLE_BLOCKED)
    lines = CliRunner().invoke(check, [str(model), "--no-notes"]).output.splitlines()
    assert lines[0] == f"{model}: blocked"
    blockers = [line for line in lines if line.startswith(f"  {model}:")]
    assert len(blockers) == len(set(blockers)) == 3
    assert any(":7: gebuehr: flowable:class='de.musterstadt.Gebuehr' is Java code" in b for b in blockers)
    assert any(":11: f3: " in b and "pruefer.istZustaendig" in b for b in blockers)
    assert any(":14: pruefen: flowable:skipExpression" in b for b in blockers)
    assert ('  add to camunda-mapping.json: {"delegates": {"de.musterstadt.Gebuehr": "connector.operation"}, '
            '"beans": {"pruefer.istZustaendig": "connector.operation"}} '
            '(unblocks the Java code and beans above; 1 blocker remains)') in lines
    assert not any("declare in camunda-mapping.json" in line for line in lines)   # the bean is in the entry above


def test_cli_takes_a_mapping_for_every_file(tmp_path):
    folder = _copy(tmp_path, "delegates/gebuehr.bpmn")
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"delegates": {"de.musterstadt.Gebuehr": "kasse.gebuehr", "kasse": "kasse.buchen"}}')
    result = CliRunner().invoke(check, [str(folder), "--mapping", str(mapping)])
    assert result.exit_code == 0 and result.output.splitlines()[-1] == "1 of 1 models deployable"
    mapping.write_text("{nope")
    assert CliRunner().invoke(check, [str(folder), "--mapping", str(mapping)]).exit_code == 2


LISTENER_CLASSES = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:{ns}="{uri}" targetNamespace="t">
  <process id="hoeren" isExecutable="true">
    <extensionElements><{ns}:executionListener event="start" class="de.musterstadt.Protokoll"/></extensionElements>
    <startEvent id="s"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="pruefen"/>
    <userTask id="pruefen" {ns}:candidateGroups="sachbearbeitung"><extensionElements>
      <{ns}:taskListener event="create" delegateExpression="${{benachrichtigung}}"/>
      <{ns}:taskListener event="complete" class="de.musterstadt.Protokoll"/>
    </extensionElements></userTask>
    <sequenceFlow id="f2" sourceRef="pruefen" targetRef="e"/>
    <endEvent id="e"/>
  </process>
</definitions>
"""


def test_java_listener_classes_and_delegate_expressions_run_after_mapping(tmp_path):
    """A listener's class or delegate expression is Java code: the check names the
    "delegates" entry that maps it to a connector operation, once per class (Camunda and
    Flowable twins alike), and the mapped model deploys."""
    for ns, uri in (("camunda", "http://camunda.org/schema/1.0/bpmn"), ("flowable", "http://flowable.org/bpmn")):
        folder = tmp_path / ns
        folder.mkdir()
        model = folder / "hoeren.bpmn"
        model.write_text(LISTENER_CLASSES.format(ns=ns, uri=uri))
        [report] = check_paths([model])
        assert report.status == AFTER_MAPPING, report.blockers
        assert report.mapping_needed == [("delegates", "de.musterstadt.Protokoll"), ("delegates", "benachrichtigung")]
        lines = CliRunner().invoke(check, [str(model), "--no-notes"]).output.splitlines()
        assert ('  add to camunda-mapping.json: {"delegates": {"de.musterstadt.Protokoll": "connector.operation", '
                '"benachrichtigung": "connector.operation"}}') in lines
        (folder / "camunda-mapping.json").write_text('{"delegates": {"de.musterstadt.Protokoll": "akte.vermerk", '
                                                     '"${benachrichtigung}": "mail.send"}}')
        [report] = check_paths([model])
        assert report.status == RUNS and report.mapping_needed == []


def test_java_delegates_on_message_throw_events_run_after_mapping(tmp_path):
    """A message throw event naming a Java class runs as a service task (engine.runtime.camunda):
    the check names the mapping entry that unblocks it, and with it the model deploys."""
    folder = _copy(tmp_path, "throw_service/message_throw_service.bpmn")
    [report] = check_paths([folder / "message_throw_service.bpmn"])
    assert report.status == AFTER_MAPPING
    assert report.mapping_needed == [("delegates", "de.stadt.Melder"), ("delegates", "de.stadt.Abschluss")]
    (folder / "camunda-mapping.json").write_text('{"delegates": {"de.stadt.Melder": "meldung.senden", '
                                                 '"de.stadt.Abschluss": "meldung.abschliessen"}}')
    [report] = check_paths([folder / "message_throw_service.bpmn"])
    assert report.status == RUNS and report.mapping_needed == []


def test_undeclared_beans_deploy_after_mapping_them_to_connector_operations(tmp_path):
    """Every undeclared bean of the model (two in one text template, where the translation stops at
    the first) becomes a placeholder connector operation in the "after mapping" check."""
    folder = _copy(tmp_path, "beans/bohnen.bpmn", "beans/bohnen_unter.bpmn")   # without its camunda-mapping.json
    [report] = check_paths([folder / "bohnen.bpmn"])
    assert report.status == AFTER_MAPPING, report.remaining
    assert sorted(report.mapping_needed) == [("beans", "app.urlGruppenaufgaben"), ("beans", "formatter.bool"),
                                             ("beans", "user.email"), ("beans", "user.firstname")]
    assert report.bean_snippet() == {}
    [mapped] = check_paths([CAMUNDA / "beans" / "bohnen.bpmn"])
    assert mapped.status == RUNS


def test_a_called_process_deployed_nowhere_is_a_warning_not_a_blocker(tmp_path):
    """As Camunda 7 deploys such a caller (the called process is looked up when a case gets there)."""
    folder = _copy(tmp_path, "calls/call_latest.bpmn")
    [report] = check_paths([folder])
    assert report.status == RUNS and not report.blockers
    assert any(f"{folder / 'call_latest.bpmn'}:7: call: called process 'gebuehr' is not deployed yet; a case that "
               "reaches this call activity stops with an incident until it is" in n for n in report.notes)
