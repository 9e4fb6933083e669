"""Message and signal start events of event sub-processes whose names are expressions (Camunda 7,
issue 11). Each scope instance (the case, an embedded sub-process instance) subscribes when it
starts, under the names its expressions yield from the variables it starts with; later
changes do not move the subscriptions. A name that cannot be evaluated when its scope starts
fails the case with an incident (Camunda fails the command); a retry after the variable is set
subscribes. Interrupting and non-interrupting, in the process and in an embedded sub-process;
SQLite and PostgreSQL, a save/restore at every wait (the scenario harness runs without a case
cache)."""

from __future__ import annotations

import pytest

from engine.services import incidents
from tests.camunda_scenarios.conftest import Scenario
from tests.camunda_scenarios.test_event_name_expressions import FOLDER, MSG, subscriptions

MODEL = FOLDER / "antrag_ereignisse.bpmn"


def test_the_process_scope_subscribes_with_the_variables_it_starts_with(scenario: Scenario) -> None:
    scenario.deploy_files([MODEL])
    case = scenario.start("antragEreignisse", {"aktenzeichen": "A-1"})
    # the script task renamed the file before the first wait: the names stay those of the start
    assert scenario.data(case)["aktenzeichen"] == "NEU"
    assert subscriptions(scenario, "message", case) == ["ruecknahme-A-1"]
    assert subscriptions(scenario, "signal", case) == ["hinweis-A-1"]
    assert scenario.waits_at(case) == ["pruefen"]

    assert scenario.signal("hinweis-NEU") == 0
    assert scenario.signal("hinweis-A-1") == 1                # non-interrupting: the main path goes on
    assert scenario.waits_at(case) == ["hinweisLesen", "pruefen"]
    assert subscriptions(scenario, "signal", case) == ["hinweis-A-1"]
    assert scenario.signal("hinweis-A-1") == 1                # and it can start again
    assert scenario.waits_at(case) == ["hinweisLesen", "hinweisLesen", "pruefen"]

    assert scenario.message("ruecknahme-NEU", to_case=case, any_key=True, buffer=False).status != "delivered"
    assert scenario.message("ruecknahme-A-1", to_case=case, any_key=True).status == "delivered"
    assert scenario.waits_at(case) == ["ruecknahmeBearbeiten"]   # interrupting: the rest of the case is gone
    assert subscriptions(scenario, "message", case) == [] and subscriptions(scenario, "signal", case) == []
    scenario.complete(case, "ruecknahmeBearbeiten")
    assert scenario.status(case) == "completed"


def test_an_embedded_sub_process_subscribes_when_it_starts(scenario: Scenario) -> None:
    scenario.deploy_files([MODEL])
    case = scenario.start("antragEreignisse", {"aktenzeichen": "A-2"})
    assert subscriptions(scenario, "message", case) == ["ruecknahme-A-2"]   # the sub-process has not started

    scenario.complete(case, "pruefen", {"nachforderung": "N-7"})
    # resolved when the sub-process started, before its script task renamed the request
    assert subscriptions(scenario, "message", case) == ["ruecknahme-A-2", "unterlagen-N-7"]
    assert subscriptions(scenario, "signal", case) == ["erinnerung-N-7", "hinweis-A-2"]
    assert scenario.waits_at(case) == ["warten"]

    assert scenario.signal("erinnerung-GEAENDERT") == 0
    assert scenario.signal("erinnerung-N-7") == 1             # non-interrupting, inside the sub-process
    assert scenario.waits_at(case) == ["erinnerungLesen", "warten"]

    assert scenario.message("unterlagen-N-7", to_case=case, any_key=True).status == "delivered"
    # interrupting: the sub-process's other paths (and its event sub-process instance) are gone
    assert scenario.waits_at(case) == ["unterlagenPruefen"]
    assert subscriptions(scenario, "message", case) == ["ruecknahme-A-2"]
    assert subscriptions(scenario, "signal", case) == ["hinweis-A-2"]
    scenario.complete(case, "unterlagenPruefen")
    assert scenario.waits_at(case) == ["abschliessen"]
    assert scenario.data(case)["nachforderung"] == "GEAENDERT"   # the script had run before the first wait
    assert subscriptions(scenario, "message", case) == ["ruecknahme-A-2"]
    scenario.complete(case, "abschliessen")
    assert scenario.status(case) == "completed"
    assert subscriptions(scenario, "message", case) == [] and subscriptions(scenario, "signal", case) == []


def test_each_sub_process_instance_resolves_its_own_names(scenario: Scenario) -> None:
    scenario.deploy_files([MODEL])
    erste = scenario.start("antragEreignisse", {"aktenzeichen": "A-3"})
    zweite = scenario.start("antragEreignisse", {"aktenzeichen": "B-4"})
    scenario.complete(erste, "pruefen", {"nachforderung": "X"})
    scenario.complete(zweite, "pruefen", {"nachforderung": "Y"})
    assert subscriptions(scenario, "message", erste) == ["ruecknahme-A-3", "unterlagen-X"]
    assert subscriptions(scenario, "message", zweite) == ["ruecknahme-B-4", "unterlagen-Y"]
    assert scenario.message("unterlagen-Y", any_key=True).status == "delivered"   # it reaches its one subscriber
    assert scenario.waits_at(zweite) == ["unterlagenPruefen"]
    assert scenario.waits_at(erste) == ["warten"]


def test_a_variable_missing_when_the_process_starts_fails_the_case_with_an_incident(scenario: Scenario) -> None:
    scenario.deploy_files([MODEL])
    case = scenario.start("antragEreignisse", {"antrag": "Bewohnerparken"})
    found = scenario.case(case)
    assert found["status"] == "failed"
    assert found["data"]["antrag"] == "Bewohnerparken"                # nothing of the application lost
    [incident] = incidents.list_incidents(scenario.engine, case_id=case)
    assert incident["element_id"] in ("zurueckgenommen", "hingewiesen")
    assert "${aktenzeichen}" in incident["message"] and "aktenzeichen" in incident["message"]
    assert subscriptions(scenario, "message", case) == [] and subscriptions(scenario, "signal", case) == []

    scenario.set_variables(case, {"aktenzeichen": "C-5"})           # no second incident for the same failure
    assert len(incidents.list_incidents(scenario.engine, case_id=case)) == 1
    incidents.retry_incident(scenario.engine, incident["id"], actor="betrieb")
    assert scenario.status(case) != "failed"
    assert subscriptions(scenario, "message", case) == ["ruecknahme-C-5"]
    assert subscriptions(scenario, "signal", case) == ["hinweis-C-5"]
    assert scenario.message("ruecknahme-C-5", to_case=case, any_key=True).status == "delivered"
    assert scenario.waits_at(case) == ["ruecknahmeBearbeiten"]


def test_a_variable_missing_when_the_sub_process_starts_fails_the_case_with_an_incident(scenario: Scenario) -> None:
    scenario.deploy_files([MODEL])
    case = scenario.start("antragEreignisse", {"aktenzeichen": "A-6"})
    scenario.complete(case, "pruefen")
    assert scenario.status(case) == "failed"
    [incident] = incidents.list_incidents(scenario.engine, case_id=case)
    assert incident["element_id"] in ("unterlagenEingegangen", "erinnert")
    assert "${nachforderung}" in incident["message"]
    assert subscriptions(scenario, "message", case) == ["ruecknahme-A-6"]   # the process's own are kept

    incidents.retry_incident(scenario.engine, incident["id"], actor="betrieb")   # still missing: fails again
    [again] = incidents.list_incidents(scenario.engine, case_id=case)
    assert again["id"] != incident["id"] and scenario.status(case) == "failed"

    scenario.set_variables(case, {"nachforderung": "N-8"})
    incidents.retry_incident(scenario.engine, again["id"], actor="betrieb")
    assert scenario.status(case) != "failed"
    assert subscriptions(scenario, "message", case) == ["ruecknahme-A-6", "unterlagen-N-8"]
    assert scenario.message("unterlagen-N-8", to_case=case, any_key=True).status == "delivered"
    assert scenario.waits_at(case) == ["unterlagenPruefen"]


@pytest.mark.corpus
def test_MessageEventSubprocessTest_testExpressionInMessageNameInInterruptingSubProcessDefinition(
        scenario: Scenario) -> None:
    scenario.deploy_camunda(MSG + "MessageEventSubprocessTest.testExpressionInMessageNameInInterruptingSubProcessDefinition"
                                  ".bpmn20.xml")
    case = scenario.start("process")
    assert subscriptions(scenario, "message", case) == ["newMessage-foo"]
    scenario.message("newMessage-foo", to_case=case, any_key=True)   # messageEventReceived(name, executionId)
    assert scenario.waits_at(case) == ["eventSubProcessTask"]
    scenario.complete(case, "eventSubProcessTask")
    assert scenario.status(case) == "completed"



def test_each_multi_instance_and_called_process_instance_subscribes_under_its_own_name(scenario: Scenario) -> None:
    scenario.deploy_files([FOLDER / "teile_ereignisse.bpmn"])
    case = scenario.start("teileEreignisse", {"liste": ["a", "b"], "kennung": "K-1"})
    assert subscriptions(scenario, "message", case) == ["teil-a", "teil-b"]   # one per instance, its element
    assert scenario.message("teil-b", to_case=case, any_key=True).status == "delivered"
    assert scenario.waits_at(case) == ["teilBearbeiten", "teilMeldungLesen"]   # only instance b interrupted
    assert subscriptions(scenario, "message", case) == ["teil-a"]
    scenario.complete(case, "teilMeldungLesen")
    scenario.complete(case, "teilBearbeiten")
    # the called process subscribes when it starts, with the variables it was called with
    assert subscriptions(scenario, "message", case) == ["aufgerufen-K-1"]
    assert scenario.waits_at(case) == ["aWarten"]
    assert scenario.message("aufgerufen-K-1", to_case=case, any_key=True).status == "delivered"
    assert scenario.waits_at(case) == ["aMeldungLesen", "aWarten"]          # non-interrupting
    scenario.complete(case, "aMeldungLesen")
    scenario.complete(case, "aWarten")
    assert scenario.status(case) == "completed"
    assert subscriptions(scenario, "message", case) == []
