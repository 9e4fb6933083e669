"""The language each expression of an uploaded model is written in, and whether it runs here.

Issue 11: no model's code may silently run as another language. Formal expressions
(``conditionExpression``, a conditional event's ``condition``, ``completionCondition``,
``loopCardinality``, ``loopCondition``, timer values, a correlation property's ``messagePath``)
name their language in a ``language`` attribute, else the file's
``definitions/@expressionLanguage`` applies. Without either, each
dialect keeps its own default (plain BPMN: the engine's Python subset; Camunda and Flowable:
JUEL for ``${...}`` texts). A declared language decides:

* Python (``python``, ``py``, ``text/x-python``): the safe evaluator, as before.
* JUEL (``juel``): the Camunda dialect translates it (:mod:`engine.runtime.camunda_checks`);
  in plain BPMN it is refused (a file whose expressions are ``${...}`` is read as Camunda's).
* JavaScript (``javascript``, ``js``, ``ecmascript`` ...): conditions of sequence flows and
  conditional events and multi-instance completion conditions run in the QuickJS sandbox
  (:data:`JAVASCRIPT_EXPRESSION` marks their text for
  :class:`engine.runtime.script_engine.SafeScriptEngine`; the marker is a JavaScript comment,
  and no Python parses it). Elsewhere (cardinality, loops, timers) refused.
* Anything else (Groovy, XPath, FEEL, unknown names): refused at deploy.

``definitions/@expressionLanguage="http://www.w3.org/1999/XPath"`` is BPMN's default that
modelers write on every file (Signavio, Activiti/Flowable Designer, Bonita: 270 files of the
corpora, whose expressions are JUEL or Python); Camunda and Flowable ignore the attribute, and
so does this module for that one value. XPath named on an expression itself is refused.

Script tasks of plain BPMN run Python only (``scriptFormat`` empty or a Python name); the
Camunda dialect's scripts are checked in :mod:`engine.runtime.checks` and
:mod:`engine.runtime.camunda_checks`. DMN files: an ``expressionLanguage`` other than Python
or FEEL (the DMN default, read as before), or JUEL on the cells of a decision table and the
definitions (translated by :mod:`engine.runtime.camunda_decisions`), is refused.
"""

from __future__ import annotations

import re

from lxml import etree

from engine.domain.errors import Problem
from engine.runtime.io_mapping import script_language
from engine.runtime.namespaces import owner_id, tag

__all__ = ["JAVASCRIPT_EXPRESSION", "declared_language", "dmn_problems", "expression_problems", "is_javascript",
           "unknown_script_message"]

# Prefix of an expression text that runs as JavaScript (a comment line in JavaScript; never Python).
JAVASCRIPT_EXPRESSION = "// amtsflow: javascript\n"

XPATH = "http://www.w3.org/1999/xpath"
JUEL_NAMES = frozenset({"juel"})
FEEL = re.compile(r"(^|/)feel(/|$)")
JAVASCRIPT_POSITIONS = ("conditionExpression", "condition", "completionCondition")
POSITIONS = (*JAVASCRIPT_POSITIONS, "loopCardinality", "loopCondition", "timeDuration", "timeDate", "timeCycle",
             "messagePath")
TIMERS = ("timeDuration", "timeDate", "timeCycle")
_SETS_VARIABLES = re.compile(r"\b(?:set|remove)Variable(?:Local)?\s*\(")

GERMAN_POSITIONS = {"conditionExpression": "Die Bedingung dieses Sequenzflusses",
                    "condition": "Die Bedingung dieses bedingten Ereignisses",
                    "completionCondition": "Die Abschlussbedingung dieser Mehrfachinstanz",
                    "loopCardinality": "Die Anzahl der Instanzen (loopCardinality)",
                    "loopCondition": "Die Schleifenbedingung",
                    "timeDuration": "Der Zeitgeber-Ausdruck", "timeDate": "Der Zeitgeber-Ausdruck",
                    "timeCycle": "Der Zeitgeber-Ausdruck",
                    "messagePath": "Der Korrelationsausdruck (messagePath)"}


def is_javascript(expression: str) -> bool:
    """Whether an expression text was marked at deploy to run as JavaScript."""
    return expression.startswith(JAVASCRIPT_EXPRESSION)


def declared_language(node: etree._Element, root: etree._Element) -> str | None:
    """The language an expression element declares: its ``language`` attribute, else the
    definitions' ``expressionLanguage`` (except BPMN's default XPath there, see the module)."""
    own = (node.get("language") or "").strip()
    if own:
        return own
    inherited = (root.get("expressionLanguage") or "").strip()
    return inherited if inherited and inherited.lower() != XPATH else None


def expression_problems(root: etree._Element, filename: str, *, camunda: bool) -> list[Problem]:
    """Refuse expressions declared in a language that cannot run in their position; mark the
    JavaScript ones that can (their ``language`` attribute is then dropped, so later checks read
    them as the dialect's own). ``camunda``: the file is read in the Camunda dialect (JUEL runs)."""
    problems: list[Problem] = []
    for node in root.iter(*(tag(name) for name in POSITIONS)):
        language = declared_language(node, root)
        if language is None:
            continue
        position = etree.QName(node).localname
        canonical = _canonical(language)
        message = None
        if canonical == "python" or (canonical == "juel" and camunda):
            continue
        if canonical == "javascript" and position in JAVASCRIPT_POSITIONS:
            text = node.text or ""
            if _SETS_VARIABLES.search(text):
                message = (f"{GERMAN_POSITIONS[position]} ist in JavaScript geschrieben und setzt oder löscht "
                           "Variablen; eine Bedingung darf nur prüfen. Bitte setzen Sie die Variablen in einer "
                           "Skriptaufgabe davor.")
            elif text.strip():
                node.text = JAVASCRIPT_EXPRESSION + text
                node.attrib.pop("language", None)
                continue
            else:
                continue   # no text (a resource): the dialect's checks refuse it
        if message is None:
            message = _refusal(position, language, canonical, camunda)
        problems.append(Problem(filename, node.sourceline or 0, owner_id(node), message))
        node.attrib.pop("language", None)   # reported once here, not again by the dialect's checks
        node.text = "'PT1H'" if position in TIMERS else "False"
    return problems


def unknown_script_message(script_format: str) -> str:
    """Why a plain-BPMN script task in a language not known at all cannot run (the static checks
    refuse Groovy, JavaScript and other known names with their own advice)."""
    return (f"Die Skriptsprache '{script_format}' kann hier nicht ausgeführt werden; Skriptaufgaben laufen hier "
            "in Python (scriptFormat=\"python\" oder ohne scriptFormat). Bitte schreiben Sie das Skript in Python "
            "um oder verlegen Sie die Arbeit in eine Serviceaufgabe mit einem Konnektor.")


DMN_JUEL_ELEMENTS = frozenset({"definitions", "inputExpression", "inputEntry", "outputEntry"})


def dmn_problems(root: etree._Element, filename: str) -> list[Problem]:
    """DMN: every ``expressionLanguage`` must be Python or FEEL (the DMN default, which the
    decision engine reads as it reads cells without the attribute), or JUEL on a decision table's
    cells and the definitions (translated: engine.runtime.camunda_decisions)."""
    problems = []
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        language = (node.get("expressionLanguage") or "").strip()
        if not language or script_language(language) == "python" or FEEL.search(language.lower()):
            continue
        if language.lower() in JUEL_NAMES and etree.QName(node).localname in DMN_JUEL_ELEMENTS:
            continue
        element = node.get("id") or owner_id(node)
        problems.append(Problem(filename, node.sourceline or 0, element,
                                f"Die Ausdruckssprache '{language}' kann in Entscheidungstabellen hier nicht "
                                "ausgeführt werden; Zellen und Ausdrücke werden als FEEL-Vergleiche, als JUEL (${...}) "
                                "oder in Python gelesen. Bitte entfernen Sie expressionLanguage oder schreiben Sie "
                                "die Ausdrücke in einer dieser Sprachen."))
    return problems


def _canonical(language: str) -> str | None:
    lowered = language.strip().lower()
    if lowered in JUEL_NAMES:
        return "juel"
    return script_language(lowered)


def _refusal(position: str, language: str, canonical: str | None, camunda: bool) -> str:
    subject = GERMAN_POSITIONS[position]
    if canonical == "javascript":
        return (f"{subject} ist in JavaScript geschrieben; JavaScript läuft hier nur in Bedingungen von "
                "Sequenzflüssen und bedingten Ereignissen und in Abschlussbedingungen. Bitte schreiben Sie den "
                "Ausdruck ohne language-Attribut" + (" als ${...}-Ausdruck." if camunda else " in Python."))
    if canonical == "juel":
        return (f"{subject} ist als JUEL ausgewiesen, das Modell ist aber kein Camunda- oder Flowable-Modell "
                "(kein ${...}-Ausdruck); bitte entfernen Sie language=\"juel\" und schreiben Sie den Ausdruck in "
                "Python, oder als ${...}-Ausdruck.")
    if language.strip().lower() == XPATH:
        name = "XPath"
    elif "groovy" in language.lower():
        name = "Groovy"
    else:
        name = f"'{language}'"
    instead = "als ${...}-Ausdruck (JUEL)" if camunda else "in Python"
    if position in JAVASCRIPT_POSITIONS:
        instead += " oder in JavaScript (language=\"javascript\")"
    return (f"{subject} ist in {name} geschrieben; diese Sprache kann hier nicht ausgeführt werden. Bitte "
            f"schreiben Sie den Ausdruck {instead}.")
