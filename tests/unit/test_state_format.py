"""Version labels and the SpiffWorkflow migrations adapted to the spec-less state."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS as LIBRARY_MIGRATIONS
from SpiffWorkflow.bpmn.serializer.workflow import VERSION
from SpiffWorkflow.util.task import TaskState

from engine.runtime.state_format import (
    MIGRATIONS, MigrationContext, StoredVersion, UnknownStateVersion, parse_label,
)


def test_labels_round_trip_and_the_pre_owned_label_is_format_1() -> None:
    assert parse_label("amtsflow/3+spiff-1.6") == StoredVersion(3, "1.6")
    assert parse_label(StoredVersion(2, "1.5").label) == StoredVersion(2, "1.5")
    assert parse_label("spiffworkflow-3.2.0/1.5+specless") == StoredVersion(1, "1.5")
    with pytest.raises(UnknownStateVersion):
        parse_label("1")


def test_every_library_serializer_version_since_ours_has_an_adapted_migration() -> None:
    """Fails when SpiffWorkflow is upgraded to a new serializer version: adapt its migration
    (SpiffWorkflow/bpmn/serializer/migration/) to the spec-less state and register it."""
    assert MIGRATIONS.library == VERSION
    chain, version = [], "1.3"
    while version != VERSION:
        assert version in MIGRATIONS.by_spiff, f"no adapted migration from SpiffWorkflow serializer {version}"
        chain.append(version)
        version = MIGRATIONS.by_spiff[version][0]
    assert set(chain) <= set(LIBRARY_MIGRATIONS)   # each adapts one of the library's own


def _spec(**typenames: str) -> Any:
    classes = {name: type(typename, (), {}) for name, typename in typenames.items()}
    return SimpleNamespace(task_specs={name: cls() for name, cls in classes.items()})


def test_spiff_1_3_migration_starts_waiting_multi_instance_tasks_from_the_reparsed_spec() -> None:
    dct: dict[str, Any] = {
        "tasks": {"a": {"task_spec": "mi", "state": TaskState.WAITING},
                  "b": {"task_spec": "plain", "state": TaskState.WAITING}},
        "subprocesses": {"s": {"tasks": {"c": {"task_spec": "loop", "state": TaskState.WAITING}}}},
    }
    context = MigrationContext(_spec(mi="ParallelMultiInstanceTask", plain="UserTask"),
                               {"sub": _spec(loop="StandardLoopTask")})
    MIGRATIONS.migrate(dct, StoredVersion(1, "1.3"), context)
    assert [dct["tasks"]["a"]["state"], dct["tasks"]["b"]["state"],
            dct["subprocesses"]["s"]["tasks"]["c"]["state"]] == [TaskState.STARTED, TaskState.WAITING,
                                                                  TaskState.STARTED]
