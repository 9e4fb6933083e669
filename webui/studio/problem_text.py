"""German wording of the deploy check's problems for the studio (process owners read German).

The engine reports problems in English for operators (``FILE:LINE: element-id: message``). The
studio shows each as file, line, element and a German message. The patterns below cover the
messages process owners meet most (forbidden script constructs, unknown functions and connector
operations, damaged files, archives, tasks nobody gets); a message no pattern knows is shown as
the engine wrote it, marked as English (``lang="en"``) so that screen readers pronounce it right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from engine.domain.errors import Problem

CONSTRUCTS = {
    "import": "import", "function definitions (def)": "Funktionsdefinitionen (def)",
    "class definitions": "Klassendefinitionen", "lambda": "lambda", "'with'": "with", "try/except": "try/except",
    "raise": "raise", "global": "global", "nonlocal": "nonlocal", "yield": "yield", "await": "await",
    "return": "return", "assignment expressions (:=)": "Zuweisungsausdrücke (:=)", "assert": "assert",
    "async for": "async for", "match": "match", "async comprehensions": "async-Comprehensions",
}

Rule = tuple["re.Pattern[str]", Callable[["re.Match[str]"], str]]


def _q(text: str) -> str:
    return f"„{text.strip(chr(39))}“"


def _construct(m: re.Match[str]) -> str:
    what = m["what"]
    german = CONSTRUCTS.get(what)
    if german is None:
        return f"{_q(what)} ist nicht erlaubt"
    plural = what.endswith(("definitions", "expressions (:=)", "(def)", "comprehensions"))
    return f"{german} {'sind' if plural else 'ist'} in Skripten und Ausdrücken nicht erlaubt"


RULES: list[Rule] = [
    (re.compile(r"^(?P<msg>.+) \(line (?P<line>\d+)\)$"),
     lambda m: f"{german(m['msg'])} (Zeile {m['line']} des Skripts)"),
    (re.compile(r"^parameter '(?P<name>[^']+)': (?P<msg>.+)$"),
     lambda m: f"Parameter {_q(m['name'])}: {german(m['msg'])}"),
    (re.compile(r"^form: (?P<msg>.+)$"), lambda m: f"Formular: {german(m['msg'])}"),
    (re.compile(r"^syntax error: (?P<msg>.+)$"), lambda m: f"Syntaxfehler: {m['msg']}"),
    (re.compile(r"^unknown function '(?P<name>[^']+)' \(only built-in and engine-provided functions can be called\)$"),
     lambda m: f"Unbekannte Funktion {_q(m['name'])}: aufrufen lassen sich nur die eingebauten und die von der "
               "Engine bereitgestellten Funktionen"),
    (re.compile(r"^(?P<name>\w+)\(\) is not allowed$"), lambda m: f"Die Funktion {m['name']}() ist nicht erlaubt"),
    (re.compile(r"^method '(?P<name>[^']+)' is not allowed$"), lambda m: f"Die Methode {_q(m['name'])} ist nicht erlaubt"),
    (re.compile(r"^name '(?P<name>[^']+)' is not allowed .*$"),
     lambda m: f"Der Name {_q(m['name'])} ist nicht erlaubt (Namen, die mit „__“ beginnen, sind gesperrt)"),
    (re.compile(r"^attribute '(?P<name>[^']+)' is not allowed .*$"),
     lambda m: f"Das Attribut {_q(m['name'])} ist nicht erlaubt (Namen, die mit „_“ beginnen, sind gesperrt)"),
    (re.compile(r"^str\.format\(\) is not allowed .*$"),
     lambda m: "str.format() ist nicht erlaubt (darüber ließen sich Attribute erreichen); bitte einen f-String verwenden"),
    (re.compile(r"^the id '(?P<id>[^']+)' of this (?P<kind>\w+) contains '#', .*$"),
     lambda m: f"Die ID {_q(m['id'])} enthält „#“, das in einer XML-ID nicht vorkommen darf. Bitte geben Sie dem "
               f"Element ({m['kind']}) eine andere ID."),
    (re.compile(r"^(?P<what>.+?) (?:is|are) not allowed$"), _construct),
    (re.compile(r"^(?P<what>\w+) is not supported$"), lambda m: f"{_q(m['what'])} wird nicht unterstützt"),
    (re.compile(r"^operator @ is not supported$"), lambda m: "Der Operator @ wird nicht unterstützt"),
    (re.compile(r"^'is' and 'is not' are only allowed with None; use == or !=$"),
     lambda m: "„is“ und „is not“ sind nur mit None erlaubt; bitte == oder != verwenden"),
    (re.compile(r"^unknown connector operation '(?P<op>[^']+)'$"),
     lambda m: f"Unbekannte Connector-Operation {_q(m['op'])}"),
    (re.compile(r"^service task names no connector operation .*$"),
     lambda m: "Die Serviceaufgabe nennt keine Connector-Operation (spiffworkflow:serviceTaskOperator)"),
    (re.compile(r"^not well-formed XML: (?P<msg>.+)$"), lambda m: f"Kein wohlgeformtes XML: {m['msg']}"),
    (re.compile(r"^not valid JSON: (?P<msg>.+)$"), lambda m: f"Kein gültiges JSON: {m['msg']}"),
    (re.compile(r"^not UTF-8 text: .*$"), lambda m: "Die Datei ist kein UTF-8-Text"),
    (re.compile(r"^empty document$"), lambda m: "Das Dokument ist leer"),
    (re.compile(r"^not a BPMN, DMN, form \(\.json/\.form\) or ZIP file$"),
     lambda m: "Keine BPMN-, DMN-, Formular- (.json/.form) oder ZIP-Datei"),
    (re.compile(r"^unknown file type .*$"), lambda m: "Unbekannter Dateityp (erwartet: .bpmn, .dmn, .json oder .form)"),
    (re.compile(r"^no model files uploaded$"), lambda m: "Es wurden keine Modelldateien hochgeladen"),
    (re.compile(r"^(?:nothing to deploy: no BPMN file given|no BPMN file in the deployment)$"),
     lambda m: "Die Bereitstellung enthält keine BPMN-Datei"),
    (re.compile(r"^not a valid ZIP archive$"), lambda m: "Kein gültiges ZIP-Archiv"),
    (re.compile(r"^unsafe path in archive: (?P<path>.+)$"), lambda m: f"Unsicherer Pfad im Archiv: {m['path']}"),
    (re.compile(r"^archive unpacks to too much data \(zip bomb\?\)$"),
     lambda m: "Das Archiv entpackt zu viel mehr Daten (ZIP-Bombe?)"),
    (re.compile(r"^(?P<n>\d+) entries; at most (?P<max>\d+)$"),
     lambda m: f"{m['n']} Einträge im Archiv; erlaubt sind höchstens {m['max']}"),
    (re.compile(r"^the archive holds no BPMN, DMN or form files$"),
     lambda m: "Das Archiv enthält keine BPMN-, DMN- oder Formulardateien"),
    (re.compile(r"^DTDs and entity declarations are not allowed .*$"),
     lambda m: "DTDs und Entity-Deklarationen sind nicht erlaubt (Schutz vor XXE und Entity-Expansion)"),
    (re.compile(r"^user task is in no lane and names no candidate group, candidate user or assignee: "
                r"it is offered to the default group '(?P<g>[^']+)'.*$"),
     lambda m: f"Die Benutzeraufgabe liegt in keiner Lane und nennt keine Gruppe, Person oder Bearbeitung: "
               f"sie geht an die Standardgruppe {_q(m['g'])} (service.toml standardgruppe)"),
    (re.compile(r"^user task is in no lane and names no candidate group, candidate user or assignee: "
                r"it is offered to the process owners.*$"),
     lambda m: "Die Benutzeraufgabe liegt in keiner Lane und nennt keine Gruppe, Person oder Bearbeitung: sie geht "
               "an die Prozessverantwortlichen (in service.toml mit standardgruppe eine Gruppe wählen)"),
]


def german(message: str) -> str:
    """The German wording of one engine message, or the message itself when no rule knows it."""
    for pattern, render in RULES:
        match = pattern.match(message)
        if match:
            return render(match)
    return message


@dataclass(frozen=True)
class ShownProblem:
    file: str
    line: int
    element: str
    message: str
    translated: bool          # False: the engine's English message (shown with lang="en")
    technical: str            # FILE:LINE: element-id: message, as operators and logs have it


def shown(problem: Problem) -> ShownProblem:
    text = german(problem.message)
    return ShownProblem(problem.file, problem.line, problem.element_id, text, text != problem.message, str(problem))

