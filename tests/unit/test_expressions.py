"""Tests for the safe evaluator of model expressions and scripts (no I/O)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from engine.domain.errors import ExpressionError
from engine.runtime.expressions import SafeEvaluator


@pytest.fixture()
def ev() -> SafeEvaluator:
    return SafeEvaluator()


def refused(ev: SafeEvaluator, source: str, names: dict | None = None, *, script: bool = False,
            element_id: str = "Gateway_1") -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        if script:
            ev.execute(source, dict(names or {}), element_id=element_id)
        else:
            ev.evaluate(source, names or {}, element_id=element_id)
    error = info.value
    assert error.expression == source
    assert error.element_id == element_id
    assert str(error).startswith(f"{element_id}: ")
    return error


# ------------------------------------------------------------------------------ refusals

@pytest.mark.parametrize("source, reason", [
    ("__import__('os')", "'__import__' is not allowed"),
    ("open('/etc/passwd')", "open() is not allowed"),
    ("().__class__.__base__.__subclasses__()", "'__class__' is not allowed"),
    ("(lambda: 0).__globals__", "lambda is not allowed"),
    ("__builtins__", "'__builtins__' is not allowed"),
    ("getattr(x, '__class__')", "getattr() is not allowed"),
    ("'{0.__class__}'.format(1)", "str.format() is not allowed"),
    ("type(1)", "type() is not allowed"),
    ("eval('1')", "eval() is not allowed"),
    ("x._private", "'_private' is not allowed"),
    ("x.__class__", "'__class__' is not allowed"),
    ("sorted(x, key=len)", "does not accept the keyword(s) ['key']"),
    ("x is 1", "only allowed with None"),
    ("[y := 1]", "assignment expressions"),
    ("x[0]()", "only named functions"),
])
def test_dangerous_expressions_are_refused_statically(ev: SafeEvaluator, source: str, reason: str) -> None:
    error = refused(ev, source, {"x": {"_private": 1}})
    assert reason in str(error)
    assert "refused" in str(error)
    assert ev.check(source)  # deploy-time check finds the same problem


def test_function_passed_in_exposes_no_attributes() -> None:
    def helper() -> int:
        return 1

    ev = SafeEvaluator(functions={"helper": helper})
    assert "'__globals__' is not allowed" in str(refused(ev, "f.__globals__", {"f": helper}))
    assert "'__globals__' is not allowed" in str(refused(ev, "helper.__globals__"))
    assert "can only be called" in str(refused(ev, "helper"))


def test_function_stored_in_data_is_not_callable(ev: SafeEvaluator) -> None:
    data = {"f": lambda: "called", "d": {"g": len}}
    assert "unknown function 'f'" in str(refused(ev, "f()", data))
    assert "method 'g' is not allowed" in str(refused(ev, "d.g([])", data))
    assert "only named functions" in str(refused(ev, "d['g']([])", data))
    # reading it is fine, but it never becomes callable
    assert ev.evaluate("d.g is not None", data) is True


@pytest.mark.parametrize("source, reason", [
    ("9**9**9", "4096 bits"),
    ("2**10**8", "4096 bits"),
    ("10**10000", "4096 bits"),
    ("1 << 10**6", "4096 bits"),
    ("(10**1000) * (10**1000)", "4096 bits"),
    ("'a'*10**9", "size limit"),
    ("10**9 * 'a'", "size limit"),
    ("[0]*10**9", "size limit"),
    ("list(range(10**12))", "size limit"),
    ("'x'.zfill(10**9)", "size limit"),
    ("('a'*1000).replace('', 'b'*1000)", "size limit"),
    ("str([[0]*1000]*1000)", "size limit"),
    ("f'{1:>{10**9}}'", "format spec"),
    ("round(5, -10**7)", "at most 1000 digits"),
])
def test_resource_exhaustion_is_refused(ev: SafeEvaluator, source: str, reason: str) -> None:
    assert reason in str(refused(ev, source))


def test_comparing_shared_nested_values_is_bounded(ev: SafeEvaluator) -> None:
    script = "a = [0]*100000\nb = [0]*100000\nx = [a]*1000\ny = [b]*1000\nsame = x == y"
    assert "size limit" in str(refused(ev, script, script=True, element_id="Script_1"))


def test_hashing_deeply_nested_tuples_is_refused() -> None:
    ev = SafeEvaluator(max_steps=10**7)
    script = "t = ()\nfor i in range(5000):\n    t = (t,)\nd = {t: 1}"   # far past MAX_DEPTH, quick under load
    assert "nested more than" in str(refused(ev, script, script=True))


def test_endless_loop_hits_step_limit(ev: SafeEvaluator) -> None:
    error = refused(ev, "while True: pass", script=True, element_id="Task_Loop")
    assert "step limit" in str(error)
    assert str(error).startswith("Task_Loop: ")


def test_long_loop_hits_time_limit() -> None:
    ev = SafeEvaluator(max_steps=10**12, max_seconds=0.05)
    assert "time limit" in str(refused(ev, "x = 1\nwhile x: x = x + 1", script=True))


@pytest.mark.parametrize("script, reason", [
    ("import os", "import is not allowed"),
    ("from os import path", "import is not allowed"),
    ("def f(): pass", "function definitions (def) are not allowed"),
    ("class A: pass", "class definitions are not allowed"),
    ("try:\n    x = 1\nexcept Exception:\n    pass", "try/except is not allowed"),
    ("with x: pass", "'with' is not allowed"),
    ("raise ValueError()", "raise is not allowed"),
    ("global x", "global is not allowed"),
    ("break", "'break' outside a loop"),
])
def test_forbidden_statements_are_refused(ev: SafeEvaluator, script: str, reason: str) -> None:
    names = {"x": 1}
    assert reason in str(refused(ev, script, names, script=True, element_id="Script_1"))


@pytest.mark.parametrize("source, reason", [
    ("1/0", "division by zero"),
    ("missing == 1", "name 'missing' is not defined"),
    ("antrag.fehlt", "key 'fehlt' not found"),
    ("antrag['fehlt']", "key 'fehlt' not found"),
    ("1 + 'a'", "TypeError"),
    ("items[10]", "IndexError"),
    ("int('abc')", "ValueError"),
    ("'%s' % 1", "use an f-string"),
    ("items.nope()", "method 'nope' is not allowed"),
    ("antrag.keys", "key 'keys' not found"),  # a.b on a dict always reads the key
    ("name.lower", "can only be called"),
    ("1 +", "syntax error"),
    ("", "empty expression"),
])
def test_runtime_errors_become_expression_errors(ev: SafeEvaluator, source: str, reason: str) -> None:
    error = refused(ev, source, {"antrag": {"betrag": 1}, "items": [1], "name": "x"})
    assert reason in str(error)


def test_method_whitelist_depends_on_type(ev: SafeEvaluator) -> None:
    assert "not allowed on a int value" in str(refused(ev, "n.append(1)", {"n": 1}))
    assert "not allowed on a str value" in str(refused(ev, "s.append(1)", {"s": "x"}))
    assert "method 'encode' is not allowed" in str(refused(ev, "s.encode()", {"s": "x"}))
    assert "keyword" in str(refused(ev, "items.sort(key=f)", {"items": [1], "f": len}))


# ------------------------------------------------------------------------------ conditions

@pytest.mark.parametrize("source, names, expected", [
    ("a == 'x' and b > 3", {"a": "x", "b": 4}, True),
    ("a == 'x' and b > 3", {"a": "x", "b": 3}, False),
    ("not approved", {"approved": False}, True),
    ("amount >= 100", {"amount": 100}, True),
    ("amount >= 100", {"amount": 99.5}, False),
    ("antrag.betrag > 50", {"antrag": {"betrag": 60}}, True),
    ("antrag.person.name == 'Meier'", {"antrag": {"person": {"name": "Meier"}}}, True),
    ("status in ('neu', 'offen')", {"status": "offen"}, True),
    ("status not in ['neu']", {"status": "neu"}, False),
    ("x is None", {"x": None}, True),
    ("x is not None", {"x": 0}, True),
    ("1 < x <= 3", {"x": 3}, True),
    ("'ja' if ok else 'nein'", {"ok": True}, "ja"),
    ("x or 'default'", {"x": ""}, "default"),
    ("items[-1]", {"items": [1, 2, 3]}, 3),
    ("items[1:]", {"items": [1, 2, 3]}, [2, 3]),
    ("name.strip().lower().startswith('m')", {"name": "  Meier "}, True),
    ("antrag.get('fehlt', 0) + len(antrag.keys())", {"antrag": {"a": 1}}, 1),
    ("is_empty(x)", {"x": None}, True),
    ("is_empty(x)", {"x": ""}, True),
    ("is_empty(x)", {"x": []}, True),
    ("is_empty(x)", {"x": {}}, True),
    ("is_empty(x)", {"x": 0}, False),
    ("is_empty(x)", {"x": ["a"]}, False),
    ("[i * 2 for i in items if i > 1]", {"items": [1, 2, 3]}, [4, 6]),
    ("{k: v for k, v in d.items() if v}", {"d": {"a": 1, "b": 0}}, {"a": 1}),
    ("{x % 2 for x in items}", {"items": [1, 2, 3]}, {0, 1}),
    ("sum(x.betrag for x in posten)", {"posten": [{"betrag": 2}, {"betrag": 3}]}, 5),
    ("any(p > 2 for p in items) and all(p > 0 for p in items)", {"items": [1, 3]}, True),
    ("[*a, *b]", {"a": [1], "b": [2]}, [1, 2]),
    ("{**a, 'y': 2}", {"a": {"x": 1}}, {"x": 1, "y": 2}),
    ("sorted(items, reverse=True)", {"items": [2, 3, 1]}, [3, 2, 1]),
    ("max(items, default=0) + min(1, 2)", {"items": []}, 1),
    ("list(zip(a, range(2)))", {"a": "xy"}, [("x", 0), ("y", 1)]),
    ("round(2.345, 2)", {}, 2.35),
    ("2 ** 10 + (7 // 2) - -1", {}, 1028),
])
def test_conditions(ev: SafeEvaluator, source: str, names: dict, expected: object) -> None:
    assert ev.evaluate(source, names) == expected
    assert ev.check(source) == []


def test_f_strings(ev: SafeEvaluator) -> None:
    names = {"name": "Meier", "betrag": 12.5, "items": [1, "a"], "d": date(2024, 5, 1)}
    assert ev.evaluate("f'Herr {name}: {betrag:.2f} EUR'", names) == "Herr Meier: 12.50 EUR"
    assert ev.evaluate("f'{items} {name!r} {d:%d.%m.%Y} {d}'", names) == \
        "[1, 'a'] 'Meier' 01.05.2024 2024-05-01"
    assert ev.evaluate("f'{betrag!s:>6}'", names) == "  12.5"
    assert ev.evaluate("str({'a': (1,)})", {}) == "{'a': (1,)}"


def test_dates_decimals_and_timedeltas(ev: SafeEvaluator) -> None:
    names = {"frist": date(2024, 1, 31), "jetzt": datetime(2024, 2, 1, 8, 0),
             "betrag": Decimal("10.50"), "tage": timedelta(days=14)}
    assert ev.evaluate("frist + tage > jetzt.date()", names) is True
    assert ev.evaluate("frist.year == 2024 and frist.weekday() == 2", names) is True
    assert ev.evaluate("betrag * 2 == Decimal_value", {**names, "Decimal_value": Decimal("21.00")})
    assert ev.evaluate("betrag > 10", names) is True
    assert ev.evaluate("tage.days", names) == 14


def test_engine_functions_are_callable() -> None:
    fixed = datetime(2024, 3, 1, 12, 0)
    ev = SafeEvaluator(functions={"now": lambda: fixed, "add": lambda a, b=0: a + b})
    assert ev.evaluate("now().year == 2024", {}) is True
    assert ev.evaluate("add(1, b=2)", {}) == 3
    assert "unknown function 'now'" in str(refused(SafeEvaluator(), "now()"))


def test_invalid_function_names_are_rejected() -> None:
    with pytest.raises(ValueError):
        SafeEvaluator(functions={"_secret": len})


def test_names_are_not_modified_by_evaluate(ev: SafeEvaluator) -> None:
    names = {"items": [3, 1, 2]}
    assert ev.evaluate("[x for x in sorted(items)]", names) == [1, 2, 3]
    assert names == {"items": [3, 1, 2]}


# ------------------------------------------------------------------------------ scripts

def test_script_assignments_if_for_and_augmented(ev: SafeEvaluator) -> None:
    names = {"antrag": {"betrag": 120, "posten": [10, 20, 30]}, "status": "neu"}
    ev.execute("""
        summe = 0
        for p in antrag.posten:
            if p == 20:
                continue
            summe += p
        if summe > 30:
            status = 'pruefen'
        elif summe > 10:
            status = 'ok'
        else:
            status = 'klein'
        antrag.geprueft = True
        antrag['notiz'] = f'Summe {summe}'
        erster, *rest = antrag.posten
        a, b = 1, 2
        a, b = b, a
        zaehler: int = 0
        while True:
            zaehler += 1
            if zaehler >= 3:
                break
        liste = []
        liste.append(zaehler)
        liste += [4]
        antrag.posten[0] *= 2
        temp = 1
        del temp
        pass
    """, names, element_id="Script_1")
    assert names["summe"] == 40
    assert names["status"] == "pruefen"
    assert names["antrag"]["geprueft"] is True
    assert names["antrag"]["notiz"] == "Summe 40"
    assert names["antrag"]["posten"] == [20, 20, 30]
    assert (names["erster"], names["rest"]) == (10, [20, 30])
    assert (names["a"], names["b"]) == (2, 1)
    assert names["zaehler"] == 3
    assert names["liste"] == [3, 4]
    assert "temp" not in names
    assert "p" in names  # loop variables stay, as in Python
    assert "i" not in names


def test_comprehension_variables_do_not_leak(ev: SafeEvaluator) -> None:
    names: dict = {"x": "outer", "items": [1, 2]}
    ev.execute("doppelt = [x * 2 for x in items]", names)
    assert names["x"] == "outer"
    assert names["doppelt"] == [2, 4]


def test_script_error_names_line_and_element(ev: SafeEvaluator) -> None:
    error = refused(ev, "a = 1\nb = a / 0", script=True, element_id="Task_9")
    assert str(error) == "Task_9: division by zero (script line 2)"


def test_indented_script_from_xml_is_dedented(ev: SafeEvaluator) -> None:
    names: dict = {}
    ev.execute("\n        x = 1\n        y = x + 1\n    ", names)
    assert names == {"x": 1, "y": 2}


# ------------------------------------------------------------------------------ check()

def test_check_reports_syntax_error_without_running(ev: SafeEvaluator) -> None:
    problems = ev.check("a ==", mode="eval", element_id="Flow_1")
    assert len(problems) == 1
    assert problems[0].startswith("syntax error")


def test_check_reports_forbidden_constructs_without_running(ev: SafeEvaluator) -> None:
    problems = ev.check("import os\nx = open('f')\nwhile True:\n    pass", mode="exec")
    assert problems == ["import is not allowed (line 1)", "open() is not allowed (line 2)"]


def test_check_accepts_good_script(ev: SafeEvaluator) -> None:
    assert ev.check("x = 1\nfor i in range(3):\n    x += i", mode="exec") == []
    assert ev.check("x > 1") == []


def test_check_rejects_unknown_mode(ev: SafeEvaluator) -> None:
    with pytest.raises(ValueError):
        ev.check("1", mode="single")

