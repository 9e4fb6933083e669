"""bench/compat_run.py's driver: a user task that comes back whatever is entered lets time pass."""

from __future__ import annotations

from datetime import timedelta

from engine.bootstrap import bootstrap
from engine.ports import FakeClock
from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from engine.settings import Settings

from bench.compat_run import run_case

# Asks again until the answer is 'Yes' (the driver enters something else); a boundary timer on
# the loop's sub-process ends the wait after an hour.
LOOP = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="t">
  <process id="pester" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="loop"/>
    <subProcess id="loop">
      <startEvent id="s2"/>
      <sequenceFlow id="f2" sourceRef="s2" targetRef="ask"/>
      <userTask id="ask" name="Sind wir da?"/>
      <sequenceFlow id="f3" sourceRef="ask" targetRef="gw"/>
      <exclusiveGateway id="gw" default="again"/>
      <sequenceFlow id="yes" sourceRef="gw" targetRef="e2">
        <conditionExpression>answer == 'Yes'</conditionExpression>
      </sequenceFlow>
      <sequenceFlow id="again" sourceRef="gw" targetRef="ask"/>
      <endEvent id="e2"/>
    </subProcess>
    <boundaryEvent id="fedUp" attachedToRef="loop">
      <timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition>
    </boundaryEvent>
    <sequenceFlow id="f4" sourceRef="loop" targetRef="end"/>
    <sequenceFlow id="f5" sourceRef="fedUp" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>"""


def test_a_loop_the_driver_cannot_leave_ends_by_its_timer(sqlite_url: str) -> None:
    clock = FakeClock()
    engine = bootstrap(Settings(database_url=sqlite_url), clock=clock)
    try:
        deploy(engine, [SourceFile("pester.bpmn", LOOP)])
        started = clock.now()
        assert run_case(engine, clock, "pester", 20) == ""
        assert clock.now() - started >= timedelta(hours=1)
    finally:
        engine.db.dispose()
