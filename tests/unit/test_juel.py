"""Unit tests for the JUEL -> safe-expression translator (engine.runtime.juel)."""

from __future__ import annotations

import ast

import pytest

from engine.runtime._safe_limits import make_builtins
from engine.runtime.juel import JuelError, is_juel, translate, translate_timer


@pytest.mark.parametrize(
    ("juel", "expected"),
    [
        ("${var}", "var"),
        ('${a == "x" && !b}', "juel_compare('==', a, 'x') and not b"),
        ("${a == 'x'}", "juel_compare('==', a, 'x')"),
        ("${a > 3 && !b}", "juel_compare('>', a, 3) and not b"),
        ("${a || b}", "a or b"),
        ("${empty x}", "is_empty(x)"),
        ("${not empty x}", "not is_empty(x)"),
        ("${!empty x}", "not is_empty(x)"),
        ("${antrag.betrag}", "antrag.betrag"),
        ("${antrag.antragsteller.name}", "antrag.antragsteller.name"),
        ("${a['b']}", "a['b']"),
        ('${a["b"].c[0]}', "a['b'].c[0]"),
        ("${a.class}", "a['class']"),  # Python keyword as property name
        ("${true}", "True"),
        ("${false || null}", "False or None"),
        ("${invoiceId != null}", "juel_compare('!=', invoiceId, None)"),
        ("${42}", "42"),
        ("${007}", "7"),
        ("${1.5}", "1.5"),
        ("${2.5e3}", "2500.0"),
        ("${.5}", "0.5"),
        ("${a eq b and c ne d or not e}", "juel_compare('==', a, b) and juel_compare('!=', c, d) or not e"),
        ("${a lt 1 || a gt 2 || a le 3 || a ge 4}", "juel_compare('<', a, 1) or juel_compare('>', a, 2) or juel_compare('<=', a, 3) or juel_compare('>=', a, 4)"),
        ("${a div 2 mod 3}", "juel_arith('%', juel_arith('/', a, 2), 3)"),
        ("${a + b * c - d / e % f}", "juel_arith('-', juel_arith('+', a, juel_arith('*', b, c)), "
         "juel_arith('%', juel_arith('/', d, e), f))"),
        ("${(a + b) * c}", "juel_arith('*', juel_arith('+', a, b), c)"),
        ("${a - (b - c)}", "juel_arith('-', a, juel_arith('-', b, c))"),
        ("${-x}", "-x"),
        ("${-(a + b)}", "-juel_arith('+', a, b)"),
        ("${1 - -2}", "juel_arith('-', 1, -2)"),
        ("${a ? b : c}", "(b if a else c)"),
        ("${a ? b : c ? d : e}", "(b if a else (d if c else e))"),
        ("${gender == 'male' ? 'Herr' : 'Frau'}", "('Herr' if juel_compare('==', gender, 'male') else 'Frau')"),
        ("${(a ? b : c).d}", "(b if a else c).d"),
        # JUEL precedence must survive Python's different rules
        ("${!a == b}", "juel_compare('==', not a, b)"),
        ("${!(a == b)}", "not juel_compare('==', a, b)"),
        ("${a < b == true}", "juel_compare('==', juel_compare('<', a, b), True)"),
        ("${(a || b) && c}", "(a or b) and c"),
        ("${a || b && c}", "a or b and c"),
        ("#{approved}", "approved"),
        ("#{!approved}", "not approved"),
        ("${ score <= 5 }", "juel_compare('<=', score, 5)"),
    ],
)
def test_translate_expressions(juel: str, expected: str) -> None:
    out = translate(juel)
    assert out == expected
    ast.parse(out, mode="eval")


@pytest.mark.parametrize(
    ("juel", "expected"),
    [
        (r"${'it\'s'}", "\"it's\""),
        (r'${"say \"hi\""}', "'say \"hi\"'"),
        (r"${'back\\slash'}", repr("back\\slash")),
        ("${'}'}", "'}'"),
        ("${'Grüße'}", "'Grüße'"),
    ],
)
def test_string_literal_escapes(juel: str, expected: str) -> None:
    out = translate(juel)
    assert out == expected
    assert ast.literal_eval(out) == ast.literal_eval(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Antrag ${nr} eingegangen", "'Antrag ' + juel_text(nr) + ' eingegangen'"),
        ("${vorname} ${nachname}", "juel_text(vorname) + ' ' + juel_text(nachname)"),
        ("Betrag: ${antrag.betrag * 2} EUR", "'Betrag: ' + juel_text(juel_arith('*', antrag.betrag, 2)) + ' EUR'"),
        ("${a ? 'x' : 'y'}!", "juel_text(('x' if a else 'y')) + '!'"),
        ("Kein Ausdruck", "'Kein Ausdruck'"),
        ("It's \"quoted\"", repr("It's \"quoted\"")),
        ("", "''"),
        (r"Preis \${betrag}", "'Preis ${betrag}'"),
    ],
)
def test_translate_composite_and_plain_text(text: str, expected: str) -> None:
    out = translate(text)
    assert out == expected
    ast.parse(out, mode="eval")


def _evaluate(python_expr: str, **variables):
    namespace = {"is_empty": lambda x: x is None or x in ("", [], {}), "str": str, **variables,
                 "juel_arith": make_builtins(1_000_000)["juel_arith"],
                 "juel_compare": make_builtins(1_000_000)["juel_compare"],
                 "juel_text": make_builtins(1_000_000)["juel_text"]}
    return eval(python_expr, {"__builtins__": {}}, namespace)  # test-only, trusted input


@pytest.mark.parametrize(
    ("juel", "variables", "result"),
    [
        ("${!a == b}", {"a": True, "b": False}, True),
        ("${a < b == false}", {"a": 2, "b": 1}, True),
        ("${a > 3 && !b}", {"a": 4, "b": False}, True),
        ("${empty x || x == 'y'}", {"x": ""}, True),
        ("${not empty x}", {"x": []}, False),
        ("${a ? b ? 1 : 2 : 3}", {"a": True, "b": False}, 2),
        ("${10 - 4 - 3}", {}, 3),
        ("${2 * (3 + 4)}", {}, 14),
        ("${7 div 2}", {}, 3.5),
        ("${-a * 2}", {"a": 3}, -6),
        ("Nr. ${n}", {"n": 5}, "Nr. 5"),
        # EL's coercion to String inside a composite text: null is empty, booleans are lower case
        ("Nr. ${n}!", {"n": None}, "Nr. !"),
        ("${a} und ${b}", {"a": True, "b": False}, "true und false"),
        ("${x}€", {"x": 2.5}, "2.5€"),
    ],
)
def test_translation_preserves_semantics(juel: str, variables: dict, result) -> None:
    assert _evaluate(translate(juel), **variables) == result


@pytest.mark.parametrize(
    ("juel", "construct"),
    [
        ("${x.foo()}", "method call 'x.foo"),
        ("${myBean.call(execution)}", "method call 'myBean.call"),
        ("${genderBean.getGenderString(gender)}", "method call 'genderBean.getGenderString"),
        ("${x.foo(a, b)}", "method call"),
        ("${user.email(x)}", 'declare "user.email" under "beans"'),
        ("${(a + b)(1)}", "cannot be called"),
        ("${externalTask.getId()}", "context object 'externalTask'"),
        ("${x = 5}", "assignment"),
        ("${x -> x + 1}", "lambda"),
        ("${a += 'b'}", "concatenation"),
        ("${a; b}", "statement"),
        ("${[1, 2]}", "list literals"),
        ("${ {'a': 1} }", "set/map literals"),
        ("${a instanceof b}", "instanceof"),
        ("${}", "empty expression"),
        ("${a", "unterminated expression"),
        ("${'abc}", "unterminated string"),
        (r"${'a\nb'}", "invalid escape"),
        ("${a +}", "unexpected end"),
        ("${a b}", "unexpected 'b'"),
        ("${a ? b}", "expected ':'"),
        ("${(a}", "expected ')'"),
        ("${a & b}", "unexpected character '&'"),
        ("${class}", "variable name 'class'"),
        ("${$x}", "variable name '$x'"),
        ("${1e999}", "out of range"),
        ("Text ${bean.run()} Text", "method call"),
    ],
)
def test_unsupported_constructs_are_refused(juel: str, construct: str) -> None:
    with pytest.raises(JuelError, match=None) as info:
        translate(juel)
    assert construct in str(info.value)
    assert isinstance(info.value, ValueError)


def test_non_string_is_refused() -> None:
    with pytest.raises(JuelError):
        translate(42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("${a}", True), ("#{a}", True), ("x ${a} y", True), ("plain", False), ("$ {a}", False),
     (r"\${a}", False), ("${", False), ("", False)],
)
def test_is_juel(text: str, expected: bool) -> None:
    assert is_juel(text) is expected


@pytest.mark.parametrize(
    ("timer", "expected"),
    [
        ("PT1H", "'PT1H'"),
        ("P14D", "'P14D'"),
        ("P1Y2M3DT4H5M6S", "'P1Y2M3DT4H5M6S'"),
        ("PT0.5S", "'PT0.5S'"),
        ("P2W", "'P2W'"),
        ("R3/PT10M", "'R3/PT10M'"),
        ("R/P1D", "'R/P1D'"),
        ("R2/2026-01-01T08:00:00Z/P1D", "'R2/2026-01-01T08:00:00Z/P1D'"),
        ("R5/PT1H/2026-06-30T00:00:00+02:00", "'R5/PT1H/2026-06-30T00:00:00+02:00'"),
        ("2026-12-01T08:00:00+01:00", "'2026-12-01T08:00:00+01:00'"),
        ("2026-12-01", "'2026-12-01'"),
        ("  PT1H\n", "'PT1H'"),
        ("${frist}", "frist"),
        ("${eilig ? 'PT1H' : 'P3D'}", "('PT1H' if eilig else 'P3D')"),
        ("PT${minuten}M", "'PT' + juel_text(minuten) + 'M'"),
    ],
)
def test_translate_timer(timer: str, expected: str) -> None:
    out = translate_timer(timer)
    assert out == expected
    ast.parse(out, mode="eval")


@pytest.mark.parametrize(
    "timer",
    ["PT1X", "P", "PT", "P1DT", "P1.5DT2H", "P1W2D", "pt1h", "garbage", "'P14X'", "R3/PT10M/PT1H",
     "R/2026-01-01/2026-02-01", "Rx/PT1H", "2026-13-01", "", "   ", "0 0 8 1 * MON", "0 0 0 1 1 ? 2000",
     "0 0 8 LW * ?", "61 * * * * ?", "${x.y()}"],
)
def test_translate_timer_refuses_garbage(timer: str) -> None:
    with pytest.raises(JuelError):
        translate_timer(timer)


def test_cron_timer_error_names_the_problem() -> None:
    with pytest.raises(JuelError, match="either a day of month or a day of week"):
        translate_timer("0 0 8 1 * MON")


@pytest.mark.parametrize(
    "cron", ["0/5 0/1 * 1/1 * ?", "* * * * * ?", "0 0/5 * * * ?", "0 */15 * * * ?", "0 0 0/2 * * ? *",
             "0 0 8 ? * MON-FRI", "0/7 * * * * ?", "0 0 12 1 * ?", "0 0 0/5 * * ?", "0 15 10 ? * 6#3"],
)
def test_a_cron_timer_stays_a_cron(cron: str) -> None:
    """Quartz crons run at the times they describe (engine.runtime.cron), not as ISO cycles."""
    assert translate_timer(cron) == repr(cron)


@pytest.mark.parametrize("quoted", ["'P14D'", '"PT0.002S"', "'R3/PT10M'", "'2026-12-01T08:00:00+01:00'"])
def test_timer_already_written_as_a_python_string_literal_is_accepted(quoted: str) -> None:
    assert translate_timer(quoted) == repr(quoted[1:-1])
