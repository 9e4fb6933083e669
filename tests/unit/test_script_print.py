"""print() in model scripts: one engine log line per call, bounded and escaped (no I/O)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from engine.domain.errors import ExpressionError
from engine.runtime import budget
from engine.runtime._safe_limits import MAX_PRINTED_CHARS, MAX_PRINTED_LINES
from engine.runtime.expressions import SafeEvaluator


@pytest.fixture()
def printed(caplog: pytest.LogCaptureFixture) -> Iterator[list[str]]:
    """The messages amtsflow.script logs during the test (the list fills as they come)."""
    caplog.set_level(logging.INFO, logger="amtsflow.script")
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    handler = Collect()
    logging.getLogger("amtsflow.script").addHandler(handler)
    yield seen
    logging.getLogger("amtsflow.script").removeHandler(handler)


def test_print_logs_the_values_as_str_gives_them(printed: list[str]) -> None:
    names = {"value": "Beispiel", "quantity": 1}
    SafeEvaluator().execute('print(f"Value: {value} / Quantity {quantity}")\nprint(value, quantity, [1, "a"], sep="|")',
                            names, element_id="Activity_Print")
    assert printed == ["script output: Value: Beispiel / Quantity 1", "script output: Beispiel|1|[1, 'a']"]
    assert names["value"] == "Beispiel"   # the script goes on after printing


def test_print_passes_the_deploy_time_check() -> None:
    assert SafeEvaluator().check("print('x', end='')\nprint()", mode="exec") == []
    problems = SafeEvaluator().check("print('x', file=None)", mode="exec")
    assert problems and "does not accept the keyword(s) ['file']" in problems[0]


def test_printed_control_characters_cannot_forge_log_lines(printed: list[str]) -> None:
    SafeEvaluator().execute("print(name)", {"name": "Max\nERROR forged line\r\x1b[31m"}, element_id="T")
    assert printed == ["script output: Max\\nERROR forged line\\r\\x1b[31m"]


def test_print_refuses_objects_and_odd_separators(printed: list[str]) -> None:
    ev = SafeEvaluator()
    with pytest.raises(ExpressionError, match="sep must be a text or None"):
        ev.execute("print(1, 2, sep=3)", {}, element_id="T")
    with pytest.raises(ExpressionError, match="cannot be converted to text"):
        ev.execute("print(f)", {"f": object()}, element_id="T")
    assert printed == []


def test_a_long_line_is_cut(printed: list[str]) -> None:
    SafeEvaluator().execute("print('x' * 5000)\nprint(*(['y' * 1000] * 50))", {}, element_id="T")
    assert [line.endswith(" ... (cut)") for line in printed] == [True, True]
    shown = [line.removeprefix("script output: ").removesuffix(" ... (cut)") for line in printed]
    assert [len(text) for text in shown] == [MAX_PRINTED_CHARS, MAX_PRINTED_CHARS]
    assert set(shown[0]) == {"x"} and shown[1].startswith("y" * 1000 + " y")


def test_a_command_logs_at_most_so_many_lines(printed: list[str]) -> None:
    with budget.command(budget.Limits()):
        SafeEvaluator().execute("for i in range(1000):\n    print(i)", {}, element_id="T")
    assert len(printed) == MAX_PRINTED_LINES + 1
    assert printed[-2] == f"script output: {MAX_PRINTED_LINES - 1}"
    assert "the rest is not logged" in printed[-1]
