"""The case-state format amtsflow owns: its version, read on every load, and its migrations.

A stored state is SpiffWorkflow's dictionary form of a workflow *without its spec* (the spec
is re-parsed from the deployed sources), written as JSON. Its version has two parts, both
stored in ``cases.serializer_version`` as ``amtsflow/<N>+spiff-<V>``:

- ``N``, our format: what our converters and runtime extensions put into the state (internal
  data keys, the called-process ``spec`` on sub-workflows, ...). Bumped when that changes; a
  migration from N to N+1 is registered with :meth:`StateMigrations.ours`.
- ``V``, SpiffWorkflow's serializer version the state was written with
  (``SpiffWorkflow.bpmn.serializer.workflow.VERSION``). When an upgraded library ships a new
  serializer version, its migration is adapted to the spec-less form and registered with
  :meth:`StateMigrations.spiff` under the version it upgrades from.

Loading applies SpiffWorkflow's migrations first (the library's changes are the older layer),
then ours. A state newer than this code, or one with a gap in the chain, is refused with a
message saying so, never guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from SpiffWorkflow.bpmn.serializer.workflow import VERSION as LIBRARY_SERIALIZER_VERSION
from SpiffWorkflow.util.task import TaskState

FORMAT = 3
LEGACY = {  # labels written before the format was ours (up to commit 39bc60e)
    "spiffworkflow-3.2.0/1.5+specless": (1, "1.5"),
}
_LABEL = re.compile(r"^amtsflow/(\d+)\+spiff-([0-9.]+)$")


class UnknownStateVersion(Exception):
    """A stored state this code cannot read (newer, or no migration path)."""


@dataclass(frozen=True)
class StoredVersion:
    format: int
    spiff: str

    @property
    def label(self) -> str:
        return f"amtsflow/{self.format}+spiff-{self.spiff}"


def parse_label(label: str) -> StoredVersion:
    if label in LEGACY:
        fmt, spiff = LEGACY[label]
        return StoredVersion(fmt, spiff)
    match = _LABEL.match(label or "")
    if match is None:
        raise UnknownStateVersion(f"unknown case-state version {label!r}")
    return StoredVersion(int(match.group(1)), match.group(2))


@dataclass
class MigrationContext:
    """What a migration may look at besides the state: the parsed process (spec) it belongs to."""

    spec: Any
    subprocess_specs: dict[str, Any]

    def typename(self, task_spec_name: str) -> str | None:
        """The class name of a task spec, looked up in the main spec, then the sub-process specs."""
        for spec in (self.spec, *self.subprocess_specs.values()):
            task_spec = spec.task_specs.get(task_spec_name) if spec is not None else None
            if task_spec is not None:
                return type(task_spec).__name__
        return None


Migration = Callable[[dict[str, Any], MigrationContext], None]


def each_task(dct: dict[str, Any]) -> list[dict[str, Any]]:
    """Every task dict of a spec-less state: the workflow's and its sub-workflows'."""
    tasks = list(dct["tasks"].values())
    for sub in dct.get("subprocesses", {}).values():
        tasks.extend(sub["tasks"].values())
    return tasks


@dataclass
class StateMigrations:
    """The registered migrations and the version this code writes."""

    current: int = FORMAT
    library: str = LIBRARY_SERIALIZER_VERSION
    by_format: dict[int, Migration] = field(default_factory=dict)
    by_spiff: dict[str, tuple[str, Migration]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return StoredVersion(self.current, self.library).label

    def ours(self, from_format: int) -> Callable[[Migration], Migration]:
        """Register the migration of our format ``from_format`` -> ``from_format + 1``."""
        def register(fn: Migration) -> Migration:
            self.by_format[from_format] = fn
            return fn
        return register

    def spiff(self, from_version: str, to_version: str) -> Callable[[Migration], Migration]:
        """Register SpiffWorkflow's serializer migration ``from_version`` -> ``to_version``,
        adapted to the spec-less state."""
        def register(fn: Migration) -> Migration:
            self.by_spiff[from_version] = (to_version, fn)
            return fn
        return register

    def migrate(self, dct: dict[str, Any], stored: StoredVersion, context: MigrationContext) -> dict[str, Any]:
        """Bring ``dct`` from ``stored`` to the current version, in place (returned for convenience)."""
        if stored.format > self.current:
            raise UnknownStateVersion(f"case state has format {stored.format}, this code reads up to {self.current}; "
                                      "run the newer amtsflow")
        spiff = stored.spiff
        while spiff != self.library:
            if spiff not in self.by_spiff:
                raise UnknownStateVersion(f"no migration from SpiffWorkflow serializer {spiff} to {self.library}")
            spiff, step = self.by_spiff[spiff]
            step(dct, context)
        for version in range(stored.format, self.current):
            if version not in self.by_format:
                raise UnknownStateVersion(f"no migration from case-state format {version} to {version + 1}")
            self.by_format[version](dct, context)
        return dct


MIGRATIONS = StateMigrations()


@MIGRATIONS.spiff("1.3", "1.4")
def _spiff_1_3_multi_instance_states(dct: dict[str, Any], context: MigrationContext) -> None:
    """SpiffWorkflow's ``update_mi_states`` (1.3 -> 1.4) on a spec-less state: a reached
    multi-instance or loop task is STARTED, no longer WAITING. The library reads the typename
    from ``dct['spec']``; we read it from the re-parsed spec."""
    looping = {"StandardLoopTask", "SequentialMultiInstanceTask", "ParallelMultiInstanceTask"}
    for task in each_task(dct):
        if task["state"] == TaskState.WAITING and context.typename(task["task_spec"]) in looping:
            task["state"] = TaskState.STARTED


@MIGRATIONS.spiff("1.4", "1.5")
def _spiff_1_4_event_gateway_children(dct: dict[str, Any], context: MigrationContext) -> None:
    """SpiffWorkflow's ``update_event_gateway_children`` (1.4 -> 1.5) changes only the spec
    (the gateway's children get a none event); a spec-less state has nothing to change, the
    re-parsed spec is already in the new form."""


@MIGRATIONS.ours(1)
def _format_1_late_bound_calls(dct: dict[str, Any], context: MigrationContext) -> None:
    """Format 2 adds the internal-data key ``called_definition`` (call_activity.BOUND): the
    definition a call activity bound when it started (``latest`` resolved per case). A
    format-1 state has no such call: its calls ran the version bundled with the caller, which
    the loaded specs still hold; nothing to change."""


@MIGRATIONS.ours(2)
def _format_2_shared_instance_variables(dct: dict[str, Any], context: MigrationContext) -> None:
    """Format 3 adds the internal-data keys of parallel multi-instance instances
    (:mod:`engine.runtime.shared_scope`): ``shared_seen`` (a task's fingerprints of the loop's
    variables it last synced), ``shared_written`` (on a running loop: what its instances wrote)
    and ``shared_left`` (only while a task completes, never stored). A format-2 state has none:
    its running instances each hold the copy of the data they were given when the loop started,
    and the loop's data holds what the instances completed before them merged. Nothing is
    changed here; the first sync of such a task counts what it holds of the loop's variables as
    synced (so it takes the values the completed instances wrote, not its copy from before) and
    a variable only it holds as its own write, which then reaches the loop."""
