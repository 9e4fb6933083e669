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
    "bpmn/data/timer-cycle.bpmn": "calls print() and a function the test harness injects",
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
