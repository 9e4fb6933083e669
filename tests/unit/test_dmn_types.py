"""The typeRef of decision-table inputs and outputs converts values as Camunda 7's
DmnDataTypeTransformers do (engine.runtime.dmn_types), and camunda_decisions wraps the input
expressions and output entries of typed columns in the evaluator's ``dmn_type``."""

from __future__ import annotations

import math

import pytest
from lxml import etree

from engine.runtime.camunda_decisions import decision_problems, for_the_library
from engine.runtime.dmn_types import Unconvertible, convert, java_double_text, known


@pytest.mark.parametrize(("value", "type_ref", "expected"), [
    ("5", "integer", 5), ("+5", "integer", 5), ("-12", "Integer", -12), (5, "integer", 5), (5.0, "integer", 5),
    ("9000000000", "long", 9_000_000_000), (3.0, "LONG", 3),
    ("12.5", "double", 12.5), (" 1e3 ", "double", 1000.0), ("2.5d", "double", 2.5), (".5", "double", 0.5),
    (7, "double", 7.0), ("0x1p3", "double", 8.0),
    ("true", "boolean", True), ("FALSE", "boolean", False), (True, "boolean", True),
    ("Bello", "string", "Bello"), (2, "string", "2"), (2.0, "string", "2.0"), (1e7, "string", "1.0E7"),
    (0.0001, "string", "1.0E-4"), (True, "string", "true"), ({"a": [1, "b"]}, "string", '{"a":[1,"b"]}'),
    ("2024-05-03", "date", "2024-05-03"), ("2024-05-03T10:00:00", "date", "2024-05-03T10:00:00"),
    ("2024-05-03T23:30:00.000Z", "date", "2024-05-03T23:30:00"),
    ("2024-05-03T10:00:00+02:00", "date", "2024-05-03T10:00:00"),
])
def test_values_are_converted_as_camunda_converts_them(value: object, type_ref: str, expected: object) -> None:
    converted = convert(value, type_ref, "Spalte")
    assert converted == expected and type(converted) is type(expected)


@pytest.mark.parametrize(("value", "type_ref"), [
    ("5.0", "integer"), (" 5", "integer"), ("1.000", "integer"), ("zwei", "integer"), (5.5, "integer"),
    (True, "integer"), (2 ** 31, "integer"), ("2147483648", "integer"), (2 ** 63, "long"), ([1], "integer"),
    ("12,5", "double"), ("1_000", "double"), ("", "double"), (False, "double"), ({"a": 1}, "double"),
    ("ja", "boolean"), (" true", "boolean"), (1, "boolean"),
    ("03.05.2024", "date"), ("2024-02-30", "date"), ("2024-05-03 10:00:00", "date"), (20240503, "date"),
])
def test_values_the_type_cannot_take_fail_naming_value_type_and_column(value: object, type_ref: str) -> None:
    with pytest.raises(Unconvertible) as caught:
        convert(value, type_ref, "Anzahl Hunde")
    message = str(caught.value)
    assert "Spalte 'Anzahl Hunde'" in message and f"Typ '{type_ref}'" in message
    assert "lässt sich nicht" in message


def test_the_decimal_comma_is_refused_with_a_hint() -> None:
    with pytest.raises(Unconvertible, match="mit Punkt: 12.5, nicht 12,5"):
        convert("12,5", "double", "Jahreseinkommen")


def test_null_and_unknown_types_stay_as_they_are() -> None:
    assert convert(None, "integer") is None and convert(None, "date") is None
    for type_ref in ("number", "dateTime", "Any", "", "decimal"):
        assert known(type_ref) is None
        assert convert("5", type_ref) == "5"


def test_not_a_number_is_an_input_but_no_output() -> None:
    assert math.isnan(convert("NaN", "double"))
    assert convert("-Infinity", "double") == -math.inf
    with pytest.raises(Unconvertible, match="NaN und Infinity"):
        convert("NaN", "double", "Steuer", output=True)


def test_java_double_text() -> None:
    assert [java_double_text(v) for v in (1.5, 100.0, 1234567.0, 12345678.0, 0.001, 0.00012, -2.5e-10, 0.0)] == [
        "1.5", "100.0", "1234567.0", "1.2345678E7", "0.001", "1.2E-4", "-2.5E-10", "0.0"]


def _table(input_type: str, output_type: str, expression: str = "anzahl_hunde", output: str = '"96"') -> etree._Element:
    return etree.fromstring(f"""<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" namespace="n">
      <decision id="steuer"><decisionTable id="t">
        <input id="i" label="Anzahl Hunde"><inputExpression id="e" typeRef="{input_type}">
          <text>{expression}</text></inputExpression></input>
        <output id="o" name="jahressteuer" typeRef="{output_type}"/>
        <rule id="r"><inputEntry id="a"><text>&gt; 1</text></inputEntry>
          <outputEntry id="b"><text>{output}</text></outputEntry></rule>
      </decisionTable></decision></definitions>""".encode())


def _texts(root: etree._Element) -> list[str | None]:
    return [t.text for t in root.iter("{*}text")]


def test_typed_columns_are_converted_by_the_evaluator() -> None:
    texts = _texts(for_the_library(_table("integer", "Integer")))
    assert texts[0] == "dmn_type((anzahl_hunde), 'integer', 'Anzahl Hunde')"
    assert texts[1] == "(? is not None and ? > (1))"
    assert texts[2] == "dmn_type((\"96\"), 'Integer', 'jahressteuer', True)"
    juel = _texts(for_the_library(_table("double", "boolean", "${antrag.anzahl}", "true")))
    assert juel[0] == "dmn_type((antrag.anzahl), 'double', 'Anzahl Hunde')"
    assert juel[2] == "dmn_type((True), 'boolean', 'jahressteuer', True)"
    dated = _texts(for_the_library(_table("date", "date", "antragsdatum", 'date("2024-01-01")')))
    assert dated[2] == "dmn_type(('2024-01-01'), 'date', 'jahressteuer', True)"


def test_unknown_type_refs_convert_nothing_and_are_not_refused() -> None:
    root = _table("number", "dateTime")
    assert _texts(for_the_library(root))[0] == "anzahl_hunde"
    assert _texts(for_the_library(root))[2] == '"96"'
    assert decision_problems(root, "hundesteuer.dmn") == []
