"""Parallel branches write to the case's variables (issue 11): a value one branch sets is not
put back by another branch's older copy when the branches join.

In Camunda 7 every branch of a parallel or inclusive split writes to the process instance's
variables, so a status set by a script in one branch is still set after a clerk completes a
task in the other branch. SpiffWorkflow merged the branches' whole copies at the join, the last
arrival's copy winning, which silently restored the value from before the split. Models are
ours; SQLite and PostgreSQL with the case cache off, so every wait is a save/restore.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.runtime.branch_join import merged
from tests.camunda_scenarios.conftest import Scenario

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <process id="zweige" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>
"""


def _model(gateway: str, branch_a: str, branch_b: str, *, join: bool = True) -> bytes:
    """A split into branch a (element ``a``) and branch b (element ``b``), joined again (or,
    without ``join``, each branch ending at its own end event)."""
    condition = ('<conditionExpression xsi:type="tFormalExpression" '
                 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">${true}</conditionExpression>'
                 if gateway == "inclusiveGateway" else "")
    tail = ("""    <sequenceFlow id="a2" sourceRef="a" targetRef="join"/>
    <sequenceFlow id="b2" sourceRef="b" targetRef="join"/>
    <GATEWAY id="join"/>
    <sequenceFlow id="f2" sourceRef="join" targetRef="danach"/>
    <userTask id="danach"/>
    <sequenceFlow id="f3" sourceRef="danach" targetRef="ende"/>
    <endEvent id="ende"/>
""" if join else """    <sequenceFlow id="a2" sourceRef="a" targetRef="ende_a"/>
    <endEvent id="ende_a"/>
    <sequenceFlow id="b2" sourceRef="b" targetRef="ende_b"/>
    <endEvent id="ende_b"/>
""").replace("GATEWAY", gateway)
    return (HEAD + f"""    <{gateway} id="fork"/>
    <sequenceFlow id="a1" sourceRef="fork" targetRef="a">{condition}</sequenceFlow>
    {branch_a}
    <sequenceFlow id="b1" sourceRef="fork" targetRef="b">{condition}</sequenceFlow>
    {branch_b}
{tail}  </process>
</definitions>
""").encode()


SCRIPT_A = '<scriptTask id="a" scriptFormat="python"><script>status = "geprueft"</script></scriptTask>'
USER_A = '<userTask id="a"/>'
USER_B = '<userTask id="b"/>'


def _deploy(scenario: Scenario, content: bytes) -> None:
    scenario.deploy_files([], extra={"zweige.bpmn": content})


@pytest.mark.parametrize("gateway", ["parallelGateway", "inclusiveGateway"])
def test_a_value_one_branch_set_survives_the_other_branchs_later_arrival(scenario: Scenario, gateway: str) -> None:
    _deploy(scenario, _model(gateway, SCRIPT_A, USER_B))
    case = scenario.start("zweige", {"status": "neu"})
    scenario.complete(case, "b", {})
    assert scenario.waits_at(case) == ["danach"]
    assert scenario.data(case)["status"] == "geprueft"
    scenario.complete(case, "danach", {})
    assert scenario.status(case) == "completed"
    assert scenario.data(case)["status"] == "geprueft"


def test_each_branch_keeps_what_it_changed(scenario: Scenario) -> None:
    _deploy(scenario, _model("parallelGateway", USER_A, USER_B))
    case = scenario.start("zweige", {"x": 0, "y": 0})
    scenario.complete(case, "a", {"x": 1})
    scenario.complete(case, "b", {"y": 2})
    assert {k: scenario.data(case)[k] for k in ("x", "y")} == {"x": 1, "y": 2}


@pytest.mark.parametrize(("first", "second"), [("a", "b"), ("b", "a")])
def test_a_variable_both_branches_changed_keeps_the_later_write(scenario: Scenario, first: str, second: str) -> None:
    _deploy(scenario, _model("parallelGateway", USER_A, USER_B))
    case = scenario.start("zweige", {"entscheidung": "offen"})
    scenario.complete(case, first, {"entscheidung": f"von {first}"})
    scenario.complete(case, second, {"entscheidung": f"von {second}"})
    assert scenario.data(case)["entscheidung"] == f"von {second}"


def test_a_later_write_setting_the_splits_value_back_wins(scenario: Scenario) -> None:
    """Branch a's clerk changes the decision and a waits at the join; branch b's clerk, who saw
    the change, sets it back to the value it had at the split: the later write wins."""
    _deploy(scenario, _model("parallelGateway", USER_A, USER_B))
    case = scenario.start("zweige", {"entscheidung": "offen"})
    scenario.complete(case, "a", {"entscheidung": "abgelehnt"})
    scenario.complete(case, "b", {"entscheidung": "offen"})
    assert scenario.data(case)["entscheidung"] == "offen"


def test_branches_ending_at_their_own_end_events_keep_their_writes(scenario: Scenario) -> None:
    """No join gateway: the process's end merges the branches."""
    _deploy(scenario, _model("parallelGateway", SCRIPT_A, USER_B, join=False))
    case = scenario.start("zweige", {"status": "neu"})
    scenario.complete(case, "b", {})
    assert scenario.status(case) == "completed"
    assert scenario.data(case)["status"] == "geprueft"


def test_merged_lays_each_branchs_changes_over_the_split() -> None:
    base = {"a": 1, "b": [1], "c": "x"}
    assert merged(base, [{"a": 2, "b": [1], "c": "x"}, {"a": 1, "b": [1, 2], "c": "x", "d": 4}]) == \
        {"a": 2, "b": [1, 2], "c": "x", "d": 4}
    assert merged(base, [{**base, "a": 2}, {**base, "a": 3}]) == {"a": 3, "b": [1], "c": "x"}
    # a removal is a change too: the later arrival's write or removal wins
    assert merged(base, [{"a": 2, "b": [1]}, {**base, "a": 3}]) == {"a": 3, "b": [1]}
    assert merged(base, [{**base, "c": "y"}, {"a": 1, "b": [1]}]) == {"a": 1, "b": [1]}
    assert base == {"a": 1, "b": [1], "c": "x"}   # not changed


# --- before the join: a branch sees what another branch wrote -------------------------------

def _checking_model() -> bytes:
    """Branch a sets the status by a script after a clerk's task; branch b's gateway reads it
    after its own clerk's task, then both branches join."""
    return (HEAD + """    <parallelGateway id="fork"/>
    <sequenceFlow id="a1" sourceRef="fork" targetRef="a0"/>
    <userTask id="a0"/>
    <sequenceFlow id="a1b" sourceRef="a0" targetRef="a"/>
    <scriptTask id="a" scriptFormat="python"><script>status = "geprueft"</script></scriptTask>
    <sequenceFlow id="a2" sourceRef="a" targetRef="join"/>
    <sequenceFlow id="b1" sourceRef="fork" targetRef="b"/>
    <userTask id="b"/>
    <sequenceFlow id="b_g" sourceRef="b" targetRef="pruefung"/>
    <exclusiveGateway id="pruefung" default="b_nein"/>
    <sequenceFlow id="b_ja" sourceRef="pruefung" targetRef="b_ok">
      <conditionExpression xsi:type="tFormalExpression"
        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">${status == 'geprueft'}</conditionExpression>
    </sequenceFlow>
    <sequenceFlow id="b_nein" sourceRef="pruefung" targetRef="b_nok"/>
    <userTask id="b_ok"/>
    <userTask id="b_nok"/>
    <sequenceFlow id="b_ok_j" sourceRef="b_ok" targetRef="zusammen"/>
    <sequenceFlow id="b_nok_j" sourceRef="b_nok" targetRef="zusammen"/>
    <exclusiveGateway id="zusammen"/>
    <sequenceFlow id="b_j" sourceRef="zusammen" targetRef="join"/>
    <parallelGateway id="join"/>
    <sequenceFlow id="f2" sourceRef="join" targetRef="danach"/>
    <userTask id="danach"/>
    <sequenceFlow id="f3" sourceRef="danach" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
""").encode()


def _reading_model(first: str, first_id: str, variable: str, extra: str = "", *,
                   branch_a: str = '<userTask id="a"/>', script: str | None = None) -> bytes:
    """Branch a: the clerk's task ``a`` (or ``branch_a``, element ``a``). Branch b: ``first``
    (element ``first_id``), then a script that copies ``variable`` to ``gesehen`` (or runs
    ``script``); both join before the end."""
    return (HEAD + f"""    <parallelGateway id="fork"/>
    <sequenceFlow id="a1" sourceRef="fork" targetRef="a"/>
    {branch_a}
    <sequenceFlow id="a2" sourceRef="a" targetRef="join"/>
    <sequenceFlow id="b1" sourceRef="fork" targetRef="{first_id}"/>
    {first}
    <sequenceFlow id="b2" sourceRef="{first_id}" targetRef="lesen"/>
    <scriptTask id="lesen" scriptFormat="python"><script>{script or f"gesehen = {variable}"}</script></scriptTask>
    <sequenceFlow id="b3" sourceRef="lesen" targetRef="join"/>
    <parallelGateway id="join"/>
    <sequenceFlow id="f2" sourceRef="join" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
{extra}</definitions>
""").encode()


def test_a_branch_sees_a_status_the_other_branch_set_before_the_join(scenario: Scenario) -> None:
    _deploy(scenario, _checking_model())
    case = scenario.start("zweige", {"status": "neu"})
    scenario.complete(case, "a0", {})          # branch a's script sets the status; b's task waits
    scenario.complete(case, "b", {})
    assert scenario.waits_at(case) == ["b_ok"]
    scenario.complete(case, "b_ok", {})
    assert scenario.waits_at(case) == ["danach"]
    assert scenario.data(case)["status"] == "geprueft"


def test_a_branch_that_goes_first_does_not_see_a_later_write(scenario: Scenario) -> None:
    _deploy(scenario, _checking_model())
    case = scenario.start("zweige", {"status": "neu"})
    scenario.complete(case, "b", {})           # the status is still "neu" when b's gateway decides
    assert sorted(scenario.waits_at(case)) == ["a0", "b_nok"]
    scenario.complete(case, "a0", {})
    scenario.complete(case, "b_nok", {})
    assert scenario.data(case)["status"] == "geprueft"


def test_a_clerks_form_in_one_branch_reaches_the_other_branchs_open_task(scenario: Scenario) -> None:
    _deploy(scenario, _reading_model('<userTask id="b"/>', 'b', 'betrag'))
    case = scenario.start("zweige", {"betrag": 0})
    scenario.complete(case, "a", {"betrag": 120})   # b's task is open: it gets the new amount
    scenario.complete(case, "b", {})                # b's script reads it
    assert scenario.status(case) == "completed"
    assert scenario.data(case)["gesehen"] == 120


def test_a_non_interrupting_timers_branch_reaches_the_task_it_is_attached_to(scenario: Scenario) -> None:
    _deploy(scenario, (HEAD.replace('targetRef="fork"', 'targetRef="pruefen"') + """    <userTask id="pruefen"/>
    <boundaryEvent id="erinnerung" attachedToRef="pruefen" cancelActivity="false">
      <timerEventDefinition><timeDuration>P2D</timeDuration></timerEventDefinition>
    </boundaryEvent>
    <sequenceFlow id="t1" sourceRef="erinnerung" targetRef="merken"/>
    <scriptTask id="merken" scriptFormat="python"><script>erinnert = True</script></scriptTask>
    <sequenceFlow id="t2" sourceRef="merken" targetRef="ende_t"/>
    <endEvent id="ende_t"/>
    <sequenceFlow id="m1" sourceRef="pruefen" targetRef="lesen"/>
    <scriptTask id="lesen" scriptFormat="python"><script>gesehen = erinnert</script></scriptTask>
    <sequenceFlow id="m2" sourceRef="lesen" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
""").encode())
    case = scenario.start("zweige", {"erinnert": False})
    scenario.advance(timedelta(days=3))
    assert scenario.waits_at(case) == ["pruefen"]
    scenario.complete(case, "pruefen", {})
    assert scenario.status(case) == "completed"
    assert scenario.data(case)["gesehen"] is True


def test_a_sequential_loops_counter_stays_in_its_branch(scenario: Scenario) -> None:
    _deploy(scenario, _model("parallelGateway", """<userTask id="a">
      <multiInstanceLoopCharacteristics isSequential="true" camunda:collection="${orte}" camunda:elementVariable="ort"/>
    </userTask>""", USER_B))
    case = scenario.start("zweige", {"orte": ["Nord", "Sued"]})
    scenario.complete(case, "a", {"x": 1})
    scenario.complete(case, "a", {"x": 2})
    scenario.complete(case, "b", {})
    data = scenario.data(case)
    assert data["x"] == 2
    assert "ort" not in data and "loopCounter" not in data


def test_a_non_interrupting_event_sub_process_reaches_the_main_flows_open_task(scenario: Scenario) -> None:
    _deploy(scenario, (HEAD.replace('targetRef="fork"', 'targetRef="pruefen"') + """    <userTask id="pruefen"/>
    <sequenceFlow id="m1" sourceRef="pruefen" targetRef="lesen"/>
    <scriptTask id="lesen" scriptFormat="python"><script>gesehen = unterlagen</script></scriptTask>
    <sequenceFlow id="m2" sourceRef="lesen" targetRef="ende"/>
    <endEvent id="ende"/>
    <subProcess id="nachreichung" triggeredByEvent="true">
      <startEvent id="eingang" isInterrupting="false"><messageEventDefinition messageRef="m"/></startEvent>
      <sequenceFlow id="n1" sourceRef="eingang" targetRef="vermerken"/>
      <scriptTask id="vermerken" scriptFormat="python"><script>unterlagen = "vollstaendig"</script></scriptTask>
      <sequenceFlow id="n2" sourceRef="vermerken" targetRef="ende_n"/>
      <endEvent id="ende_n"/>
    </subProcess>
  </process>
  <message id="m" name="unterlagen_nachgereicht"/>
</definitions>
""").encode())
    case = scenario.start("zweige", {"unterlagen": "fehlen"}, business_key="AZ-1")
    scenario.message("unterlagen_nachgereicht", key="AZ-1")
    assert scenario.waits_at(case) == ["pruefen"]
    scenario.complete(case, "pruefen", {})
    assert scenario.status(case) == "completed"
    assert scenario.data(case)["gesehen"] == "vollstaendig"


def test_a_waiting_catch_event_keeps_what_another_branch_wrote(scenario: Scenario) -> None:
    """A waiting event is updated again while it waits (SpiffWorkflow re-inherits its parent's
    data then): what another branch wrote must survive that."""
    _deploy(scenario, _reading_model('<intermediateCatchEvent id="antwort"><messageEventDefinition messageRef="m"/></intermediateCatchEvent>', 'antwort', 'betrag', extra='  <message id="m" name="antwort_da"/>\n'))
    case = scenario.start("zweige", {"betrag": 0}, business_key="AZ-2")
    scenario.complete(case, "a", {"betrag": 75})
    scenario.advance(timedelta(minutes=5))
    scenario.message("antwort_da", key="AZ-2")
    assert scenario.status(case) == "completed"
    assert scenario.data(case)["gesehen"] == 75


def test_a_write_to_a_name_another_branchs_task_holds_locally_is_seen_after_that_task(scenario: Scenario) -> None:
    """Branch b's task has its own local ``hinweis`` (an input mapping): while it runs it sees
    that; after it, branch b reads the case's variable, which branch a has changed meanwhile."""
    _deploy(scenario, _reading_model('<userTask id="b"><extensionElements><camunda:inputOutput><camunda:inputParameter name="hinweis">intern</camunda:inputParameter></camunda:inputOutput></extensionElements></userTask>', 'b', 'hinweis'))
    case = scenario.start("zweige", {"hinweis": "alt"})
    scenario.complete(case, "a", {"hinweis": "neu"})
    scenario.complete(case, "b", {})
    assert scenario.status(case) == "completed"
    assert scenario.data(case)["gesehen"] == "neu"


def test_an_event_sub_process_inside_a_sub_process_keeps_its_later_write(scenario: Scenario) -> None:
    """The sub-process's flow counts, then throws a signal its non-interrupting event sub-process
    catches and counts again: the case goes on with both counts, the later one last."""
    _deploy(scenario, (HEAD.replace('targetRef="fork"', 'targetRef="sp"') + """    <subProcess id="sp">
      <startEvent id="sp_start"/>
      <sequenceFlow id="s1" sourceRef="sp_start" targetRef="zaehlen"/>
      <scriptTask id="zaehlen" scriptFormat="python"><script>zaehler = zaehler + 1</script></scriptTask>
      <sequenceFlow id="s2" sourceRef="zaehlen" targetRef="melden"/>
      <intermediateThrowEvent id="melden"><signalEventDefinition signalRef="sig"/></intermediateThrowEvent>
      <sequenceFlow id="s3" sourceRef="melden" targetRef="sp_ende"/>
      <endEvent id="sp_ende"/>
      <subProcess id="esp" triggeredByEvent="true">
        <startEvent id="esp_start" isInterrupting="false"><signalEventDefinition signalRef="sig"/></startEvent>
        <sequenceFlow id="e1" sourceRef="esp_start" targetRef="nachzaehlen"/>
        <scriptTask id="nachzaehlen" scriptFormat="python"><script>zaehler = zaehler + 1</script></scriptTask>
        <sequenceFlow id="e2" sourceRef="nachzaehlen" targetRef="esp_ende"/>
        <endEvent id="esp_ende"/>
      </subProcess>
    </subProcess>
    <sequenceFlow id="f2" sourceRef="sp" targetRef="danach"/>
    <userTask id="danach"/>
    <sequenceFlow id="f3" sourceRef="danach" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
  <signal id="sig" name="gezaehlt"/>
</definitions>
""").encode())
    case = scenario.start("zweige", {"zaehler": 0})
    assert scenario.waits_at(case) == ["danach"]
    assert scenario.data(case)["zaehler"] == 2


def test_each_firing_of_a_cycle_timer_counts_on_the_last_firings_write(scenario: Scenario) -> None:
    _deploy(scenario, (HEAD.replace('targetRef="fork"', 'targetRef="pruefen"') + """    <userTask id="pruefen"/>
    <boundaryEvent id="mahnung" attachedToRef="pruefen" cancelActivity="false">
      <timerEventDefinition><timeCycle>R3/P1D</timeCycle></timerEventDefinition>
    </boundaryEvent>
    <sequenceFlow id="t1" sourceRef="mahnung" targetRef="zaehlen"/>
    <scriptTask id="zaehlen" scriptFormat="python"><script>mahnungen = mahnungen + 1</script></scriptTask>
    <sequenceFlow id="t2" sourceRef="zaehlen" targetRef="ende_t"/>
    <endEvent id="ende_t"/>
    <sequenceFlow id="m1" sourceRef="pruefen" targetRef="lesen"/>
    <scriptTask id="lesen" scriptFormat="python"><script>gezaehlt = mahnungen</script></scriptTask>
    <sequenceFlow id="m2" sourceRef="lesen" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
</definitions>
""").encode())
    case = scenario.start("zweige", {"mahnungen": 0})
    for _day in range(4):
        scenario.advance(timedelta(days=1, minutes=1))
    assert scenario.waits_at(case) == ["pruefen"]
    scenario.complete(case, "pruefen", {})
    assert scenario.status(case) == "completed"
    assert scenario.data(case)["gezaehlt"] == 3
    assert scenario.data(case)["mahnungen"] == 3


def test_an_error_ending_one_instance_of_a_parallel_loop_ends_the_case_cleanly(scenario: Scenario) -> None:
    """The error's boundary event drops the other instances; a task of a dropped instance that
    still completes has no branch to tell (BoundaryErrorEventTest.testCatchErrorOnParallelMultiInstance)."""
    _deploy(scenario, (HEAD.replace('targetRef="fork"', 'targetRef="pruefungen"') + """    <subProcess id="pruefungen">
      <multiInstanceLoopCharacteristics isSequential="false"><loopCardinality>3</loopCardinality></multiInstanceLoopCharacteristics>
      <startEvent id="p_start"/>
      <sequenceFlow id="p1" sourceRef="p_start" targetRef="pruefen"/>
      <userTask id="pruefen"/>
      <sequenceFlow id="p2" sourceRef="pruefen" targetRef="ok"/>
      <exclusiveGateway id="ok" default="p_normal"/>
      <sequenceFlow id="p_normal" sourceRef="ok" targetRef="p_ende"/>
      <sequenceFlow id="p_fehler" sourceRef="ok" targetRef="p_abbruch">
        <conditionExpression xsi:type="tFormalExpression"
          xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">${abbrechen}</conditionExpression>
      </sequenceFlow>
      <endEvent id="p_ende"/>
      <endEvent id="p_abbruch"><errorEventDefinition errorRef="fehler"/></endEvent>
    </subProcess>
    <boundaryEvent id="gefangen" attachedToRef="pruefungen"><errorEventDefinition/></boundaryEvent>
    <sequenceFlow id="g1" sourceRef="gefangen" targetRef="abgebrochen"/>
    <endEvent id="abgebrochen"/>
    <sequenceFlow id="f2" sourceRef="pruefungen" targetRef="danach"/>
    <userTask id="danach"/>
    <sequenceFlow id="f3" sourceRef="danach" targetRef="ende"/>
    <endEvent id="ende"/>
  </process>
  <error id="fehler" errorCode="ABBRUCH"/>
</definitions>
""").encode())
    case = scenario.start("zweige", {"abbrechen": True})
    scenario.complete_task(scenario.tasks(case)[0]["id"], {"befund": "fehlt"})
    assert scenario.case(case)["incidents"] == []
    assert scenario.status(case) == "completed"


# --- removals: a variable a branch removes is gone for every branch -------------------------

REMOVERS = {   # the script of element ID removing ``x``
    "python del": '<scriptTask id="ID" scriptFormat="python"><script>del x</script></scriptTask>',
    "python execution": '<scriptTask id="ID" scriptFormat="python"><script>execution.removeVariable("x")</script></scriptTask>',
    "javascript": '<scriptTask id="ID" scriptFormat="javascript"><script>execution.removeVariable("x")</script></scriptTask>',
}
HAS_X = 'execution.hasVariable("x")'


@pytest.mark.parametrize("remover", sorted(REMOVERS))
def test_a_variable_one_branch_removed_is_gone_for_the_other_branch(scenario: Scenario, remover: str) -> None:
    """Branch a removes ``x`` at once; branch b's clerk's task waits (a save/restore) and its
    script then reads the case: ``x`` is gone there too, as it is from Camunda's one process
    scope, and stays gone after the join."""
    _deploy(scenario, _reading_model('<userTask id="b"/>', "b", HAS_X, branch_a=REMOVERS[remover].replace("ID", "a")))
    case = scenario.start("zweige", {"x": "alt", "y": 1})
    assert scenario.waits_at(case) == ["b"]
    assert "x" not in scenario.data(case)
    scenario.complete(case, "b", {})
    assert scenario.status(case) == "completed"
    data = scenario.data(case)
    assert data["gesehen"] is False
    assert "x" not in data and data["y"] == 1


@pytest.mark.parametrize("arrives", ["first", "last"])
def test_a_removal_survives_the_join(scenario: Scenario, arrives: str) -> None:
    """The branch that removed ``x`` reaches the join before or after the other branch, whose
    copy still held ``x`` from the split; the join does not bring it back."""
    if arrives == "first":   # branch b removes at once and waits at the join; a's clerk comes later
        _deploy(scenario, _reading_model(REMOVERS["python del"].replace("ID", "weg"), "weg", "1"))
        case = scenario.start("zweige", {"x": "alt"})
        assert scenario.waits_at(case) == ["a"]
        scenario.complete(case, "a", {"y": 2})
    else:                    # a's clerk goes first; branch b removes after its own clerk's task
        _deploy(scenario, _reading_model('<userTask id="b"/>', "b", "", script="del x"))
        case = scenario.start("zweige", {"x": "alt"})
        scenario.complete(case, "a", {"y": 2})
        scenario.complete(case, "b", {})
    assert scenario.status(case) == "completed"
    data = scenario.data(case)
    assert "x" not in data and data["y"] == 2


def test_a_removal_then_a_later_write_in_another_branch_keeps_the_write(scenario: Scenario) -> None:
    """Branch b removes ``x`` and reaches the join; then branch a's clerk sets ``x`` again, to
    the value it had at the split: the later write wins, as in Camunda."""
    _deploy(scenario, _reading_model(REMOVERS["python del"].replace("ID", "weg"), "weg", HAS_X))
    case = scenario.start("zweige", {"x": "alt"})
    assert scenario.waits_at(case) == ["a"]
    assert "x" not in scenario.data(case)
    scenario.complete(case, "a", {"x": "alt"})
    assert scenario.status(case) == "completed"
    data = scenario.data(case)
    assert data["gesehen"] is False
    assert data["x"] == "alt"


def test_a_write_then_a_later_removal_in_another_branch_removes(scenario: Scenario) -> None:
    """Branch a's clerk sets ``x``; later branch b's script removes it: the later removal wins."""
    _deploy(scenario, _reading_model('<userTask id="b"/>', "b", "", script="del x"))
    case = scenario.start("zweige", {"x": "alt"})
    scenario.complete(case, "a", {"x": "neu"})
    assert scenario.data(case)["x"] == "neu"
    scenario.complete(case, "b", {})
    assert scenario.status(case) == "completed"
    assert "x" not in scenario.data(case)
