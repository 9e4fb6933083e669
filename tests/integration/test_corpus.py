"""Models written by others: what raw SpiffWorkflow completes, the engine completes too."""

from __future__ import annotations

import pytest

from tests.corpus_runner import CORPUS, raw_completing, run_engine

SPIFF = CORPUS / "spiffworkflow-tests"

# Models whose scripts do what the safe evaluator refuses on purpose (uploaded models must
# not run arbitrary Python). Each entry names the file and the reason.
REFUSED_BY_DESIGN: dict[str, str] = {
    "bpmn/data/ScriptTest.bpmn": "defines a function in a script task (def is refused)",
    "bpmn/data/random_fact.bpmn": "defines functions and calls functions the test harness injects",
    "bpmn/data/timer-cycle.bpmn": "calls a function the test harness injects (custom_function)",
    "spiff/data/script_task_with_unit_tests.bpmn": "calls locals()",
    "spiff/data/spiff_properties.bpmn": "names a form schema file that the corpus does not contain "
                                        "(forms are validated at deploy time)",
}


@pytest.mark.corpus
@pytest.mark.skipif(not SPIFF.is_dir(), reason="../shared/corpus/spiffworkflow-tests is not present")
def test_every_model_raw_spiffworkflow_completes_also_completes_through_the_engine(sqlite_url, clock):
    from engine.bootstrap import bootstrap
    from engine.settings import Settings

    engine = bootstrap(Settings(database_url=sqlite_url), clock=clock)
    raw = raw_completing(SPIFF)
    assert len(raw) > 20, "the corpus should hold a good number of runnable models"
    failures = {}
    for result in raw:
        name = str(result.file.relative_to(SPIFF))
        if name in REFUSED_BY_DESIGN:
            continue
        reason = run_engine(engine, result.file, result.process_id)
        if reason:
            failures[f"{name}#{result.process_id}"] = reason
    engine.db.dispose()
    assert failures == {}, "\n".join(f"{k}: {v}" for k, v in sorted(failures.items()))



@pytest.mark.corpus
@pytest.mark.skipif(not SPIFF.is_dir(), reason="../shared/corpus/spiffworkflow-tests is not present")
@pytest.mark.parametrize("files,process_id,printed", [
    (["bpmn/data/transaction.bpmn"], "Main_Process", ["Value: "]),
    # prints three variables, one of them written by the called process
    (["bpmn/data/call_activity_call_activity.bpmn", "bpmn/data/call_activity_end_event.bpmn"], "Process_8200379",
     ["some string", "World", "Mike"]),
])
def test_models_whose_scripts_print_run_and_their_output_is_logged(sqlite_url, caplog, files, process_id, printed):
    """SpiffWorkflow's script engine prints to standard output; here print() writes the engine log."""
    import logging

    from bench.compat_run import run_case
    from engine.bootstrap import bootstrap
    from engine.ports import FakeClock
    from engine.runtime.parsing import SourceFile
    from engine.services.deploy import deploy
    from engine.settings import Settings

    caplog.set_level(logging.INFO, logger="amtsflow.script")
    clock = FakeClock()
    engine = bootstrap(Settings(database_url=sqlite_url), clock=clock)
    try:
        deploy(engine, [SourceFile(name, (SPIFF / name).read_bytes()) for name in files])
        assert run_case(engine, clock, process_id, 50) == ""
    finally:
        engine.db.dispose()
    lines = [r.getMessage() for r in caplog.records if r.name == "amtsflow.script"]
    assert lines and all(line.startswith("script output: ") for line in lines)
    for text in printed:
        assert any(text in line for line in lines), lines
