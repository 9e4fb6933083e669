"""Plain BPMN as a conformance suite writes it (no extension namespace; issue 11: nothing is deployed
and then run wrongly). Our own models, each reproducing a case an outside conformance run found:
the engine deployed it and then failed or ran it differently from the BPMN standard.

SQLite and PostgreSQL; the scenario fixture keeps no case in memory, so every wait is a real
save/restore."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.domain.errors import DeploymentError

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="urn:amtsflow:test">\n')


def model(body: str, key: str = "konform", extra: str = "") -> bytes:
    return (HEAD + extra + f'<process id="{key}" isExecutable="true">\n' + body + "\n</process>\n</definitions>\n").encode()


def script(element_id: str, text: str, incoming: str, outgoing: str, inner: str = "") -> str:
    return (f'<scriptTask id="{element_id}" scriptFormat="python"><incoming>{incoming}</incoming>'
            f'<outgoing>{outgoing}</outgoing>{inner}<script>{text}</script></scriptTask>')


def flow(flow_id: str, source: str, target: str, condition: str = "") -> str:
    cond = f'<conditionExpression xsi:type="tFormalExpression">{condition}</conditionExpression>' if condition else ""
    return f'<sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">{cond}</sequenceFlow>'


# --- timers: a bare ISO 8601 value in a file of plain BPMN -------------------------------------

TIMER_CATCH = model(
    '<startEvent id="start"><outgoing>f1</outgoing></startEvent>'
    + flow("f1", "start", "warten")
    + '<intermediateCatchEvent id="warten"><incoming>f1</incoming><outgoing>f2</outgoing>'
      '<timerEventDefinition><timeDuration xsi:type="tFormalExpression">PT1S</timeDuration>'
      '</timerEventDefinition></intermediateCatchEvent>'
    + flow("f2", "warten", "danach")
    + script("danach", "erledigt = True", "f2", "f3")
    + flow("f3", "danach", "ende")
    + '<endEvent id="ende"><incoming>f3</incoming></endEvent>')

TIMER_CYCLE = model(
    '<startEvent id="start"><outgoing>f1</outgoing></startEvent>'
    + flow("f1", "start", "pruefen")
    + '<userTask id="pruefen"><incoming>f1</incoming><outgoing>f2</outgoing></userTask>'
    + flow("f2", "pruefen", "ende")
    + '<endEvent id="ende"><incoming>f2</incoming></endEvent>'
    + '<boundaryEvent id="erinnern" attachedToRef="pruefen" cancelActivity="false"><outgoing>f3</outgoing>'
      '<timerEventDefinition><timeCycle xsi:type="tFormalExpression">R2/PT10S</timeCycle></timerEventDefinition>'
      '</boundaryEvent>'
    + flow("f3", "erinnern", "nachfassen")
    + '<userTask id="nachfassen"><incoming>f3</incoming><outgoing>f4</outgoing></userTask>'
    + flow("f4", "nachfassen", "ende2")
    + '<endEvent id="ende2"><incoming>f4</incoming></endEvent>')


def test_a_bare_iso_duration_in_plain_bpmn_is_a_duration_not_a_variable_name(scenario):
    scenario.deploy_files([], extra={"timer.bpmn": TIMER_CATCH})
    case = scenario.start("konform")
    assert scenario.status(case) == "waiting"                     # at the timer (saved)
    scenario.advance(timedelta(seconds=2))
    assert scenario.status(case) == "completed"
    assert scenario.data(case)["erledigt"] is True


def test_a_bare_iso_cycle_in_plain_bpmn_fires_as_often_as_it_says(scenario):
    scenario.deploy_files([], extra={"cycle.bpmn": TIMER_CYCLE})
    case = scenario.start("konform")
    scenario.advance(timedelta(seconds=11))
    assert scenario.waits_at(case) == ["nachfassen", "pruefen"]
    for _ in range(3):
        scenario.advance(timedelta(seconds=11))
    assert scenario.waits_at(case) == ["nachfassen", "nachfassen", "pruefen"]     # R2: twice, then never again
    for task in scenario.tasks(case):
        scenario.complete_task(task["id"])
    assert scenario.status(case) == "completed"


# --- standard loops ------------------------------------------------------------------------------

def loop_model(condition: str, maximum: str = "", test_before: str = "false") -> bytes:
    attrs = f' testBefore="{test_before}"' + (f' loopMaximum="{maximum}"' if maximum else "")
    loop = (f'<standardLoopCharacteristics{attrs}><loopCondition xsi:type="tFormalExpression">'
            f'{condition}</loopCondition></standardLoopCharacteristics>')
    return model(
        '<startEvent id="start"><outgoing>f1</outgoing></startEvent>'
        + flow("f1", "start", "zaehlen")
        + script("zaehlen", "runden = runden + 1", "f1", "f2", inner=loop)
        + flow("f2", "zaehlen", "pruefen")
        + '<userTask id="pruefen"><incoming>f2</incoming><outgoing>f3</outgoing></userTask>'
        + flow("f3", "pruefen", "ende")
        + '<endEvent id="ende"><incoming>f3</incoming></endEvent>')


@pytest.mark.parametrize("start, rounds", [(0, 3), (1, 2), (5, 1)])
def test_a_juel_loop_condition_loops_while_it_holds(scenario, start, rounds):
    """Do-while (testBefore false): the activity runs once, then as long as ${runden < 3}."""
    scenario.deploy_files([], extra={"loop.bpmn": loop_model("${runden &lt; 3}")})
    case = scenario.start("konform", {"runden": start})
    assert scenario.waits_at(case) == ["pruefen"]
    assert scenario.data(case)["runden"] == start + rounds


def test_a_loop_condition_that_cannot_be_read_is_refused_at_deploy(scenario):
    with pytest.raises(DeploymentError) as err:
        scenario.deploy_files([], extra={"loop.bpmn": loop_model("${runden &lt;}")})
    assert any(p.element_id == "zaehlen" and p.line > 0 for p in err.value.problems)


def test_a_negative_loop_maximum_is_refused_at_deploy(scenario):
    with pytest.raises(DeploymentError) as err:
        scenario.deploy_files([], extra={"loop.bpmn": loop_model("${true}", maximum="-1")})
    [problem] = err.value.problems
    assert (problem.element_id, problem.line) == ("zaehlen", 4)
    assert "loopMaximum '-1'" in problem.message


def test_a_negative_loop_cardinality_is_refused_at_deploy(scenario):
    body = ('<startEvent id="start"><outgoing>f1</outgoing></startEvent>' + flow("f1", "start", "viele")
            + script("viele", "x = 1", "f1", "f2", inner='<multiInstanceLoopCharacteristics isSequential="true">'
                     '<loopCardinality xsi:type="tFormalExpression">-1</loopCardinality>'
                     '</multiInstanceLoopCharacteristics>')
            + flow("f2", "viele", "ende") + '<endEvent id="ende"><incoming>f2</incoming></endEvent>')
    with pytest.raises(DeploymentError) as err:
        scenario.deploy_files([], extra={"mi.bpmn": model(body)})
    [problem] = err.value.problems
    assert problem.element_id == "viele" and "must not be negative" in problem.message


# --- errors and escalations thrown inside an embedded sub-process ------------------------------

def inner_catch_model(kind: str, interrupting: bool, thrower: str) -> bytes:
    """An embedded sub-process whose own event sub-process catches the error or escalation
    thrown inside it (by an end event or an intermediate throw event)."""
    definition = f'<{kind}EventDefinition {kind}Ref="code"/>'
    code = ('<error id="code" errorCode="E-1" name="fehler"/>' if kind == "error"
            else '<escalation id="code" escalationCode="ESC-1" name="hinweis"/>')
    throwing = (f'<endEvent id="werfen"><incoming>h2</incoming>{definition}</endEvent>' if thrower == "end" else
                f'<intermediateThrowEvent id="werfen"><incoming>h2</incoming><outgoing>h3</outgoing>{definition}'
                '</intermediateThrowEvent>' + flow("h3", "werfen", "weiter")
                + '<userTask id="weiter"><incoming>h3</incoming><outgoing>h4</outgoing></userTask>'
                + flow("h4", "weiter", "innenende") + '<endEvent id="innenende"><incoming>h4</incoming></endEvent>')
    return model(
        '<startEvent id="start"><outgoing>f1</outgoing></startEvent>' + flow("f1", "start", "pruefung")
        + '<subProcess id="pruefung"><incoming>f1</incoming><outgoing>f2</outgoing>'
        + f'<subProcess id="behandlung" triggeredByEvent="true">'
          f'<startEvent id="fangen" isInterrupting="{str(interrupting).lower()}"><outgoing>g1</outgoing>{definition}'
          '</startEvent>' + flow("g1", "fangen", "behandeln")
        + '<userTask id="behandeln"><incoming>g1</incoming><outgoing>g2</outgoing></userTask>'
        + flow("g2", "behandeln", "behandelt") + '<endEvent id="behandelt"><incoming>g2</incoming></endEvent>'
        + '</subProcess>'
        + '<startEvent id="innen"><outgoing>h1</outgoing></startEvent>' + flow("h1", "innen", "arbeit")
        + script("arbeit", "gearbeitet = True", "h1", "h2") + flow("h2", "arbeit", "werfen") + throwing
        + '</subProcess>' + flow("f2", "pruefung", "abschluss")
        + '<userTask id="abschluss"><incoming>f2</incoming><outgoing>f3</outgoing></userTask>'
        + flow("f3", "abschluss", "ende") + '<endEvent id="ende"><incoming>f3</incoming></endEvent>',
        extra=code)


@pytest.mark.parametrize("kind", ["error", "escalation"])
def test_an_end_event_is_caught_by_the_event_sub_process_of_its_own_sub_process(scenario, kind):
    scenario.deploy_files([], extra={"inner.bpmn": inner_catch_model(kind, True, "end")})
    case = scenario.start("konform")
    assert scenario.waits_at(case) == ["behandeln"]              # caught inside: nothing escaped
    assert scenario.status(case) == "waiting"
    scenario.complete(case, "behandeln")
    assert scenario.waits_at(case) == ["abschluss"]
    scenario.complete(case, "abschluss")
    assert scenario.status(case) == "completed"


def test_an_escalation_thrown_midway_starts_the_non_interrupting_event_sub_process_beside_the_work(scenario):
    scenario.deploy_files([], extra={"inner.bpmn": inner_catch_model("escalation", False, "intermediate")})
    case = scenario.start("konform")
    assert scenario.waits_at(case) == ["behandeln", "weiter"]
    scenario.complete(case, "weiter")
    assert scenario.waits_at(case) == ["behandeln"]              # the sub-process waits for its event sub-process
    scenario.complete(case, "behandeln")
    assert scenario.waits_at(case) == ["abschluss"]


# --- an interrupting catch acts before anything after the throw runs -----------------------------

def interrupted_model(kind: str, catcher: str) -> bytes:
    """An embedded sub-process throws an escalation or a signal midway; an interrupting boundary
    event on it, or an interrupting event sub-process inside it, catches it. The script after
    the throw divides by zero: if it ran, the case would fail."""
    definition = f'<{kind}EventDefinition {kind}Ref="was"/>'
    declared = ('<escalation id="was" escalationCode="ESC-1" name="hinweis"/>' if kind == "escalation"
                else '<signal id="was" name="abbruch"/>')
    inner_catch = (f'<subProcess id="behandlung" triggeredByEvent="true">'
                   f'<startEvent id="fangen" isInterrupting="true"><outgoing>g1</outgoing>{definition}</startEvent>'
                   + flow("g1", "fangen", "eskaliert")
                   + '<userTask id="eskaliert"><incoming>g1</incoming><outgoing>g2</outgoing></userTask>'
                   + flow("g2", "eskaliert", "behandelt")
                   + '<endEvent id="behandelt"><incoming>g2</incoming></endEvent></subProcess>'
                   if catcher == "event-sub-process" else "")
    boundary = (f'<boundaryEvent id="fangen" attachedToRef="pruefung" cancelActivity="true"><outgoing>b1</outgoing>'
                f'{definition}</boundaryEvent>' + flow("b1", "fangen", "eskaliert")
                + '<userTask id="eskaliert"><incoming>b1</incoming><outgoing>b2</outgoing></userTask>'
                + flow("b2", "eskaliert", "ende2") + '<endEvent id="ende2"><incoming>b2</incoming></endEvent>'
                if catcher == "boundary" else "")
    return model(
        '<startEvent id="start"><outgoing>f1</outgoing></startEvent>' + flow("f1", "start", "pruefung")
        + '<subProcess id="pruefung"><incoming>f1</incoming><outgoing>f2</outgoing>' + inner_catch
        + '<startEvent id="innen"><outgoing>h1</outgoing></startEvent>' + flow("h1", "innen", "werfen")
        + f'<intermediateThrowEvent id="werfen"><incoming>h1</incoming><outgoing>h2</outgoing>{definition}'
          '</intermediateThrowEvent>' + flow("h2", "werfen", "danach")
        + script("danach", "nie = 1 / 0", "h2", "h3") + flow("h3", "danach", "innenende")
        + '<endEvent id="innenende"><incoming>h3</incoming></endEvent></subProcess>'
        + flow("f2", "pruefung", "abschluss") + boundary
        + '<userTask id="abschluss"><incoming>f2</incoming><outgoing>f3</outgoing></userTask>'
        + flow("f3", "abschluss", "ende") + '<endEvent id="ende"><incoming>f3</incoming></endEvent>',
        extra=declared)


@pytest.mark.parametrize("kind", ["escalation", "signal"])
@pytest.mark.parametrize("catcher", ["boundary", "event-sub-process"])
def test_nothing_after_the_throw_runs_once_an_interrupting_catch_took_the_event(scenario, kind, catcher):
    scenario.deploy_files([], extra={"interrupt.bpmn": interrupted_model(kind, catcher)})
    case = scenario.start("konform")
    assert scenario.status(case) == "waiting"                   # the script after the throw never ran
    assert scenario.waits_at(case) == ["eskaliert"]
    scenario.complete(case, "eskaliert")
    if catcher == "event-sub-process":                          # the sub-process ends with its event sub-process
        assert scenario.waits_at(case) == ["abschluss"]
        scenario.complete(case, "abschluss")
    assert scenario.status(case) == "completed"


# --- conditional events that hold as their scope starts -----------------------------------------

def conditional_model(catcher: str, condition: str) -> bytes:
    """An embedded sub-process entered with the condition already holding: an interrupting
    conditional boundary event on it, or an interrupting conditional event sub-process inside
    it, fires before the sub-process's first activity runs (that activity divides by zero)."""
    definition = (f'<conditionalEventDefinition><condition xsi:type="tFormalExpression">{condition}</condition>'
                  '</conditionalEventDefinition>')
    inner_catch = ('<subProcess id="behandlung" triggeredByEvent="true">'
                   f'<startEvent id="fangen" isInterrupting="true"><outgoing>g1</outgoing>{definition}</startEvent>'
                   + flow("g1", "fangen", "sonderfall")
                   + '<userTask id="sonderfall"><incoming>g1</incoming><outgoing>g2</outgoing></userTask>'
                   + flow("g2", "sonderfall", "behandelt")
                   + '<endEvent id="behandelt"><incoming>g2</incoming></endEvent></subProcess>'
                   if catcher == "event-sub-process" else "")
    boundary = ('<boundaryEvent id="fangen" attachedToRef="pruefung" cancelActivity="true"><outgoing>b1</outgoing>'
                f'{definition}</boundaryEvent>' + flow("b1", "fangen", "sonderfall")
                + '<userTask id="sonderfall"><incoming>b1</incoming><outgoing>b2</outgoing></userTask>'
                + flow("b2", "sonderfall", "ende2") + '<endEvent id="ende2"><incoming>b2</incoming></endEvent>'
                if catcher == "boundary" else "")
    return model(
        '<startEvent id="start"><outgoing>f1</outgoing></startEvent>' + flow("f1", "start", "pruefung")
        + '<subProcess id="pruefung"><incoming>f1</incoming><outgoing>f2</outgoing>' + inner_catch
        + '<startEvent id="innen"><outgoing>h1</outgoing></startEvent>' + flow("h1", "innen", "rechnen")
        + script("rechnen", "ergebnis = 100 / teiler", "h1", "h2") + flow("h2", "rechnen", "normalfall")
        + '<userTask id="normalfall"><incoming>h2</incoming><outgoing>h3</outgoing></userTask>'
        + flow("h3", "normalfall", "innenende") + '<endEvent id="innenende"><incoming>h3</incoming></endEvent>'
        + '</subProcess>' + flow("f2", "pruefung", "abschluss") + boundary
        + '<userTask id="abschluss"><incoming>f2</incoming><outgoing>f3</outgoing></userTask>'
        + flow("f3", "abschluss", "ende") + '<endEvent id="ende"><incoming>f3</incoming></endEvent>')


@pytest.mark.parametrize("catcher", ["boundary", "event-sub-process"])
@pytest.mark.parametrize("condition", ["${teiler == 0}", "teiler == 0"])
def test_a_conditional_event_that_holds_as_its_scope_starts_interrupts_before_the_first_activity(
        scenario, catcher, condition):
    scenario.deploy_files([], extra={"bedingt.bpmn": conditional_model(catcher, condition)})
    case = scenario.start("konform", {"teiler": 0})
    assert scenario.status(case) == "waiting"                   # 100 / 0 never ran
    assert scenario.waits_at(case) == ["sonderfall"]
    scenario.complete(case, "sonderfall")
    if catcher == "event-sub-process":
        assert scenario.waits_at(case) == ["abschluss"]
        scenario.complete(case, "abschluss")
    assert scenario.status(case) == "completed"
    other = scenario.start("konform", {"teiler": 4})             # the condition does not hold: the work runs
    assert scenario.waits_at(other) == ["normalfall"]
    assert scenario.data(other)["ergebnis"] == 25


def test_a_receive_task_that_would_start_its_process_is_refused_at_deploy(scenario):
    body = ('<receiveTask id="empfangen" messageRef="antrag" instantiate="true"><outgoing>f1</outgoing></receiveTask>'
            + flow("f1", "empfangen", "ende") + '<endEvent id="ende"><incoming>f1</incoming></endEvent>')
    with pytest.raises(DeploymentError) as err:
        scenario.deploy_files([], extra={"receive.bpmn": model(body, extra='<message id="antrag" name="antrag"/>')})
    assert [(p.element_id, p.line) for p in err.value.problems] == [("empfangen", 4)]
    assert "message start event" in err.value.problems[0].message


def javascript_error_model(throw: str, listener: bool = False) -> bytes:
    """A JavaScript script task that sets a variable and throws a BPMN error (Camunda's scripts do
    ``throw new org.camunda.bpm.engine.delegate.BpmnError(code)``); an error boundary event on
    it leads to a user task. ``listener``: the throw sits in an execution listener's script."""
    code = f'execution.setVariable("vermerk", "geprueft");\n{throw};\nexecution.setVariable("nie", 1);'
    inner = (f'<extensionElements><camunda:executionListener event="start"><camunda:script scriptFormat='
             f'"javascript">{code}</camunda:script></camunda:executionListener></extensionElements>'
             '<script>execution.setVariable("x", 1);</script>' if listener else f"<script>{code}</script>")
    body = ('<startEvent id="start"><outgoing>f1</outgoing></startEvent>' + flow("f1", "start", "pruefen")
            + '<scriptTask id="pruefen" scriptFormat="javascript"><incoming>f1</incoming><outgoing>f2</outgoing>'
            + inner + '</scriptTask>'
            + flow("f2", "pruefen", "weiter") + '<userTask id="weiter"><incoming>f2</incoming><outgoing>f4</outgoing>'
              '</userTask>' + flow("f4", "weiter", "ende") + '<endEvent id="ende"><incoming>f4</incoming></endEvent>'
            + '<boundaryEvent id="abgelehnt" attachedToRef="pruefen"><outgoing>f3</outgoing>'
              '<errorEventDefinition errorRef="fehler" camunda:errorMessageVariable="grund"/></boundaryEvent>'
            + flow("f3", "abgelehnt", "ablehnen")
            + '<userTask id="ablehnen"><incoming>f3</incoming><outgoing>f5</outgoing></userTask>'
            + flow("f5", "ablehnen", "ende2") + '<endEvent id="ende2"><incoming>f5</incoming></endEvent>')
    return model(body, extra='<error id="fehler" errorCode="ABGELEHNT"/>').replace(
        b"<definitions ", b'<definitions xmlns:camunda="http://camunda.org/schema/1.0/bpmn" ')


@pytest.mark.parametrize("throw, message", [
    ('throw new org.camunda.bpm.engine.delegate.BpmnError("ABGELEHNT")', None),
    ('throw new BpmnError("ABGELEHNT", "Frist versäumt")', "Frist versäumt"),
    ('var BpmnError = Java.type("org.camunda.bpm.engine.delegate.BpmnError");\nthrow new BpmnError("ABGELEHNT")', None),
    ("var Fehler = Packages.org.flowable.engine.delegate.BpmnError;\nthrow new Fehler('ABGELEHNT')", None)],
    ids=["camunda-class", "sandbox", "java-type", "packages"])
def test_a_javascript_script_task_throws_a_bpmn_error_that_its_boundary_event_catches(scenario, throw, message):
    """Camunda scripts throw ``new org.camunda.bpm.engine.delegate.BpmnError(code)``: the sandbox
    gives them a BpmnError of its own, so the error reaches its catch event (betsy WCP19_CancelTask)."""
    scenario.deploy_files([], extra={"script_error.bpmn": javascript_error_model(throw)})
    case = scenario.start("konform")
    assert scenario.waits_at(case) == ["ablehnen"]              # not 'weiter'
    data = scenario.data(case)
    assert data["vermerk"] == "geprueft" and "nie" not in data   # set before the throw, nothing after it
    assert data["grund"] == message                              # camunda:errorMessageVariable
    scenario.complete(case, "ablehnen")                          # saved at the wait, loaded again here
    assert scenario.status(case) == "completed"


def test_BoundaryErrorEventTest_testCatchErrorOnJavaScriptScriptTask(scenario):
    """Flowable's BoundaryErrorEventTest.testCatchErrorOnJavaScriptScriptTask: the script throws
    ``Packages.org.flowable.engine.delegate.BpmnError``; the boundary event catches it and the
    process ends (assertProcessEnded). Read from ../shared/corpus (skipped when absent)."""
    scenario.deploy_flowable("event/error/BoundaryErrorEventTest.testCatchErrorOnJavaScriptScriptTask.bpmn20.xml")
    case = scenario.start("catchErrorOnScriptTask")
    assert scenario.status(case) == "completed"


def test_a_listener_script_that_throws_a_bpmn_error_is_refused_at_deploy(scenario):
    """A listener's script cannot end its element with a BPMN error: refused, not run wrongly."""
    with pytest.raises(DeploymentError) as err:
        scenario.deploy_files([], extra={"script_error.bpmn": javascript_error_model(
            'throw new BpmnError("ABGELEHNT")', listener=True)})
    assert [p.element_id for p in err.value.problems] == ["pruefen"]
    assert "BpmnError" in err.value.problems[0].message


# --- a default flow on an activity with conditional and unconditional outgoing flows ------------

def activity_default_model(condition: str = "${art == 'a'}") -> bytes:
    """BPMN 2.0, 10.3 (Activity, attribute ``default``): the default flow receives a token when
    none of the *conditions* on the other outgoing flows holds; an unconditional flow always
    does. So with a conditional flow, an unconditional one and the default, the default is taken
    beside the unconditional one when the condition fails (BPMN 13.2.1; betsy's
    SequenceFlow_ConditionalDefault_Normal). Camunda 7 takes the default only when no other
    flow is taken."""
    return model(
        '<startEvent id="start"><outgoing>f1</outgoing></startEvent>' + flow("f1", "start", "pruefen")
        + '<userTask id="pruefen" default="standard"><incoming>f1</incoming>'
          '<outgoing>standard</outgoing><outgoing>bedingt</outgoing><outgoing>immer</outgoing></userTask>'
        + flow("standard", "pruefen", "regelfall")
        + flow("bedingt", "pruefen", "sonderfall", condition)
        + flow("immer", "pruefen", "ablage")
        + "".join(f'<userTask id="{t}"><incoming>{i}</incoming><outgoing>{o}</outgoing></userTask>'
                  + flow(o, t, f"ende_{t}") + f'<endEvent id="ende_{t}"><incoming>{o}</incoming></endEvent>'
                  for t, i, o in (("regelfall", "standard", "g1"), ("sonderfall", "bedingt", "g2"),
                                  ("ablage", "immer", "g3"))))


@pytest.mark.parametrize("condition", ["${art == 'a'}", "art == 'a'"], ids=["juel", "python"])
@pytest.mark.parametrize("art, waits", [("b", ["ablage", "regelfall"]), ("a", ["ablage", "sonderfall"])])
def test_an_activitys_default_flow_is_taken_when_no_condition_holds_beside_its_unconditional_flows(
        scenario, art, waits, condition):
    """In both expression languages: a Python condition makes the file plain BPMN of the spiff
    dialect, whose parser (SpiffWorkflow's) refused several flows leaving a task."""
    scenario.deploy_files([], extra={"default.bpmn": activity_default_model(condition)})
    case = scenario.start("konform", {"art": art})
    assert scenario.waits_at(case) == ["pruefen"]
    scenario.complete(case, "pruefen")                           # saved at the wait, loaded again here
    assert scenario.waits_at(case) == waits
    for element in waits:
        scenario.complete(case, element)
    assert scenario.status(case) == "completed"


# --- data objects and data associations -----------------------------------------------------------

def data_object_model(io_specification: bool) -> bytes:
    """One script task writes the data object ``antrag``, a later one reads it. With
    ``io_specification`` the associations run through the tasks' declared data output and data
    input (betsy's DataObject_ReadWrite_String); without, as the spiff-arena modeler draws them
    (the data object is read and written under its id)."""
    if io_specification:
        writer = ('<ioSpecification><dataOutput id="ausgabe" name="Ausgabe"/><inputSet/>'
                  '<outputSet><dataOutputRefs>ausgabe</dataOutputRefs></outputSet></ioSpecification>'
                  '<dataOutputAssociation id="schreiben"><sourceRef>ausgabe</sourceRef>'
                  '<targetRef>antrag_ref</targetRef></dataOutputAssociation>')
        reader = ('<ioSpecification><dataInput id="eingabe" name="Eingabe"/>'
                  '<inputSet><dataInputRefs>eingabe</dataInputRefs></inputSet><outputSet/></ioSpecification>'
                  '<dataInputAssociation id="lesen"><sourceRef>antrag_ref</sourceRef>'
                  '<targetRef>eingabe</targetRef></dataInputAssociation>')
    else:
        writer = '<dataOutputAssociation id="schreiben"><targetRef>antrag_ref</targetRef></dataOutputAssociation>'
        reader = ('<property id="platzhalter" name="__targetRef_placeholder"/><dataInputAssociation id="lesen">'
                  '<sourceRef>antrag_ref</sourceRef><targetRef>platzhalter</targetRef></dataInputAssociation>')
    return model(
        '<dataObject id="antrag" name="antrag"/><dataObjectReference id="antrag_ref" dataObjectRef="antrag"/>'
        '<startEvent id="start"><outgoing>f1</outgoing></startEvent>' + flow("f1", "start", "erfassen")
        + script("erfassen", 'antrag = "eingegangen"', "f1", "f2", inner=writer) + flow("f2", "erfassen", "pruefen")
        + '<userTask id="pruefen"><incoming>f2</incoming><outgoing>f3</outgoing></userTask>'
        + flow("f3", "pruefen", "auswerten")
        + script("auswerten", "stand = antrag", "f3", "f4", inner=reader) + flow("f4", "auswerten", "abschluss")
        + '<userTask id="abschluss"><incoming>f4</incoming><outgoing>f5</outgoing></userTask>'
        + flow("f5", "abschluss", "ende") + '<endEvent id="ende"><incoming>f5</incoming></endEvent>')


def test_data_associations_through_a_tasks_io_specification_are_refused_at_deploy(scenario):
    """SpiffWorkflow copies a data object into and out of a task only under the data object's
    own id: a declared data input fed by an association would be missing when the task runs, a
    declared data output would never reach the data object. Refused, not run wrongly."""
    with pytest.raises(DeploymentError) as err:
        scenario.deploy_files([], extra={"daten.bpmn": data_object_model(io_specification=True)})
    problems = sorted((p.element_id, p.line, p.message) for p in err.value.problems)
    assert [(element, line) for element, line, _ in problems] == [("auswerten", 4), ("erfassen", 4)]
    assert "data input 'eingabe'" in problems[0][2] and "data object 'antrag'" in problems[0][2]
    assert "data output 'ausgabe'" in problems[1][2]


def test_a_data_object_written_and_read_under_its_id_reaches_the_later_task(scenario):
    scenario.deploy_files([], extra={"daten.bpmn": data_object_model(io_specification=False)})
    case = scenario.start("konform")
    assert scenario.waits_at(case) == ["pruefen"]
    scenario.complete(case, "pruefen")                          # the data object survives a save/restore
    assert scenario.waits_at(case) == ["abschluss"]
    assert scenario.data(case)["stand"] == "eingegangen"
    scenario.complete(case, "abschluss")
    assert scenario.status(case) == "completed"


# --- a Python script that throws a BPMN error -------------------------------------------------------

def script_error_model(catcher: str, code: str = "ABGELEHNT") -> bytes:
    """A script task writes a variable, then throws BPMN error ``code`` (betsy's WCP19_CancelTask:
    an activity is cancelled by the error it emits). ``catcher``: an error boundary event on the
    script task, one on the embedded sub-process around it, or none. The flow after the script
    task must never run."""
    inner = (script("pruefen", f'vermerk = "geprueft"\nthrow_bpmn_error("{code}", "Frist versäumt")\nnie = 1',
                    "h1", "h2")
             + flow("h2", "pruefen", "weiter")
             + '<userTask id="weiter"><incoming>h2</incoming><outgoing>h3</outgoing></userTask>'
             + flow("h3", "weiter", "innenende") + '<endEvent id="innenende"><incoming>h3</incoming></endEvent>')
    attached = "pruefen" if catcher == "task" else "verfahren"
    boundary = (f'<boundaryEvent id="abgelehnt" attachedToRef="{attached}"><outgoing>b1</outgoing>'
                '<errorEventDefinition errorRef="fehler"/></boundaryEvent>' + flow("b1", "abgelehnt", "ablehnen")
                + '<userTask id="ablehnen"><incoming>b1</incoming><outgoing>b2</outgoing></userTask>'
                + flow("b2", "ablehnen", "ende2") + '<endEvent id="ende2"><incoming>b2</incoming></endEvent>'
                if catcher != "none" else "")
    return model(
        '<startEvent id="start"><outgoing>f1</outgoing></startEvent>' + flow("f1", "start", "verfahren")
        + '<subProcess id="verfahren"><incoming>f1</incoming><outgoing>f2</outgoing>'
        + '<startEvent id="innen"><outgoing>h1</outgoing></startEvent>' + flow("h1", "innen", "pruefen")
        + (inner.replace("</subProcess>", "") if catcher != "task" else inner)
        + (boundary if catcher == "task" else "")
        + '</subProcess>' + flow("f2", "verfahren", "abschluss")
        + '<userTask id="abschluss"><incoming>f2</incoming><outgoing>f3</outgoing></userTask>'
        + flow("f3", "abschluss", "ende") + '<endEvent id="ende"><incoming>f3</incoming></endEvent>'
        + (boundary if catcher == "sub-process" else ""),
        extra='<error id="fehler" errorCode="ABGELEHNT" name="abgelehnt"/>')


CAMUNDA_NS = b'<definitions xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '


@pytest.mark.parametrize("dialect", ["plain", "camunda"])
@pytest.mark.parametrize("catcher", ["task", "sub-process"])
def test_a_python_script_throws_a_bpmn_error_that_an_error_boundary_event_catches(scenario, catcher, dialect):
    content = script_error_model(catcher)
    if dialect == "camunda":
        content = content.replace(b"<definitions ", CAMUNDA_NS)
    scenario.deploy_files([], extra={"script_error.bpmn": content})
    case = scenario.start("konform")
    assert scenario.status(case) == "waiting"
    assert scenario.waits_at(case) == ["ablehnen"]               # neither 'weiter' nor 'abschluss'
    data = scenario.data(case)
    assert "nie" not in data                                     # nothing after the throw ran
    if dialect == "camunda":   # what the script wrote goes with the error, as with an error end event's data
        assert data["vermerk"] == "geprueft" and data["error_message"] == "Frist versäumt"
    scenario.complete(case, "ablehnen")                          # saved at the wait, loaded again here
    if catcher == "task":                                        # caught inside: the sub-process ends normally
        assert scenario.waits_at(case) == ["abschluss"]
        scenario.complete(case, "abschluss")
    assert scenario.status(case) == "completed"


@pytest.mark.parametrize("catcher", ["task", "sub-process"])
def test_an_error_boundary_event_marked_non_interrupting_still_interrupts(scenario, catcher):
    """BPMN 2.0: error events interrupt, always (Flowable runs cancelActivity="false" on an
    error boundary event as interrupting too). Run as written, the script task (or the
    sub-process around it) would wait forever for an end it never reaches."""
    attached = b"pruefen" if catcher == "task" else b"verfahren"
    content = script_error_model(catcher).replace(
        b'<boundaryEvent id="abgelehnt" attachedToRef="' + attached + b'">',
        b'<boundaryEvent id="abgelehnt" attachedToRef="' + attached + b'" cancelActivity="false">')
    assert b'cancelActivity="false"' in content
    scenario.deploy_files([], extra={"script_error.bpmn": content})
    case = scenario.start("konform")
    assert scenario.waits_at(case) == ["ablehnen"]               # 'weiter' never runs
    scenario.complete(case, "ablehnen")
    if catcher == "task":                                        # the sub-process ends on the boundary path
        assert scenario.waits_at(case) == ["abschluss"]
        scenario.complete(case, "abschluss")
    assert scenario.status(case) == "completed"


def test_a_non_interrupting_error_start_event_is_refused_at_deploy(scenario):
    """BPMN 2.0: error start events of event sub-processes interrupt, always; one that does not
    would leave the scope that threw the error running forever."""
    content = script_error_model("none").replace(b'<startEvent id="innen">', (
        '<subProcess id="nebenher" triggeredByEvent="true"><startEvent id="fangen" isInterrupting="false">'
        '<outgoing>e1</outgoing><errorEventDefinition errorRef="fehler"/></startEvent>'
        + flow("e1", "fangen", "behandelt") + '<endEvent id="behandelt"><incoming>e1</incoming></endEvent>'
        '</subProcess><startEvent id="innen">').encode())
    with pytest.raises(DeploymentError) as err:
        scenario.deploy_files([], extra={"script_error.bpmn": content})
    assert [(p.element_id, p.line) for p in err.value.problems] == [("fangen", 4)]
    assert "always interrupts" in err.value.problems[0].message


def test_a_bpmn_error_a_script_throws_that_nothing_catches_fails_the_case_at_the_script_task(scenario):
    scenario.deploy_files([], extra={"script_error.bpmn": script_error_model("none", code="UNBEKANNT")})
    case = scenario.start("konform")
    view = scenario.case(case)
    assert view["status"] == "failed"
    assert "pruefen" in str(view["error"]) and "BPMN error 'UNBEKANNT'" in str(view["error"])
    assert scenario.waits_at(case) == []


def test_a_condition_that_throws_a_bpmn_error_is_refused_at_deploy(scenario):
    body = ('<startEvent id="start"><outgoing>f1</outgoing></startEvent>' + flow("f1", "start", "weiche")
            + '<exclusiveGateway id="weiche" default="f3"><incoming>f1</incoming><outgoing>f2</outgoing>'
              '<outgoing>f3</outgoing></exclusiveGateway>'
            + flow("f2", "weiche", "ende", 'throw_bpmn_error("X")') + flow("f3", "weiche", "ende")
            + '<endEvent id="ende"><incoming>f2</incoming><incoming>f3</incoming></endEvent>')
    with pytest.raises(DeploymentError) as err:
        scenario.deploy_files([], extra={"cond.bpmn": model(body)})
    assert [(p.element_id, p.line) for p in err.value.problems] == [("f2", 4)]
    assert "script task's script only" in err.value.problems[0].message
