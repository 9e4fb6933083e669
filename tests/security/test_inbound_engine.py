"""The engine checks data from outside itself, whatever the entry point (API, portal, CLI)."""

from __future__ import annotations

import pytest

from engine.domain.errors import FormValidationError, InvalidInput
from engine.persistence import tables as t
from engine.services import cases, inbound, messages
from engine.services.deploy import deploy, read_paths
from tests.conftest import model


def _count(engine, table) -> int:
    from sqlalchemy import func, select
    with engine.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "a\x00", "\ud800", object()])
def test_start_and_messages_refuse_unstorable_values(engine, value):
    deploy(engine, read_paths([str(model("usertask.bpmn"))]), actor="test")
    with pytest.raises(FormValidationError) as info:
        cases.start_case(engine, "usertask", {"antrag": {"feld": [value]}})
    assert list(info.value.field_errors) == ["antrag.feld.0"]
    with pytest.raises(FormValidationError):
        messages.correlate_message(engine, "zahlung", "K-1", {"x": value})
    assert _count(engine, t.cases) == 0 and _count(engine, t.messages) == 0


@pytest.mark.parametrize("name", ["a\x00b", "\udc80", "", "x" * 201])
def test_names_and_keys_are_checked(engine, name):
    deploy(engine, read_paths([str(model("usertask.bpmn"))]), actor="test")
    with pytest.raises(InvalidInput):
        messages.correlate_message(engine, name, None, {})
    with pytest.raises(InvalidInput):
        messages.broadcast_signal(engine, name, {})
    with pytest.raises(InvalidInput):
        cases.start_case(engine, name, {})
    if name:
        with pytest.raises(InvalidInput):
            cases.start_case(engine, "usertask", {}, business_key=name)
    assert _count(engine, t.cases) == 0 and _count(engine, t.messages) == 0


def test_limits_on_depth_entries_and_size():
    nested: dict = {}
    inner = nested
    for _ in range(inbound.MAX_DATA_DEPTH + 1):
        inner["x"] = {}
        inner = inner["x"]
    for data in (nested, {f"k{i}": 0 for i in range(inbound.MAX_DATA_ENTRIES + 1)},
                 {"t": "x" * (inbound.MAX_DATA_BYTES + 1)}, {1: "not a text key"}):
        with pytest.raises(FormValidationError):
            inbound.check_data(data)
    inbound.check_data({"ok": [1, 2.5, True, None, "Ärger", {"tief": {"er": []}}]})


@pytest.mark.parametrize("text", ["NaN", "-Infinity", "1e309", "[" * 100_000, "{\"a\": 1", b"\xff"])
def test_parse_json_is_strict(text):
    with pytest.raises(InvalidInput):
        inbound.parse_json(text)
