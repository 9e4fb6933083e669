"""One exception tree for the engine.

Every error carries an English ``message`` for operators and logs and, where a person
sees it, a German ``user_message``. Each names the case, task or file it is about.
"""

from __future__ import annotations

from dataclasses import dataclass


class AmtsflowError(Exception):
    """Base of every error the engine raises on purpose."""

    user_message: str = "Die Aktion konnte nicht ausgeführt werden."

    def __init__(self, message: str, *, user_message: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if user_message is not None:
            self.user_message = user_message


class ConfigurationError(ValueError):
    """A setting (an AMTSFLOW_* environment variable) an operator must correct: its message
    names the variable, what it holds and what it must hold, in one English line. Raised when
    the settings are read, before anything is served or run."""


@dataclass(frozen=True)
class Problem:
    """One validation problem in an uploaded file: ``FILE:LINE: element-id: message``."""

    file: str
    line: int
    element_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.element_id or '-'}: {self.message}"


class DeploymentError(AmtsflowError):
    """A deployment was refused as a whole; ``problems`` lists every reason."""

    user_message = "Die Bereitstellung wurde abgelehnt."

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems) or "deployment refused")
        self.problems = problems


class ExpressionError(AmtsflowError):
    """An expression or script of a model was refused or failed."""

    user_message = "Ein Ausdruck im Prozessmodell konnte nicht ausgewertet werden."

    def __init__(self, message: str, *, expression: str = "", element_id: str = "") -> None:
        prefix = f"{element_id}: " if element_id else ""
        super().__init__(f"{prefix}{message}")
        self.expression = expression
        self.element_id = element_id


class NotFound(AmtsflowError):
    user_message = "Der Eintrag wurde nicht gefunden."


class Conflict(AmtsflowError):
    """Someone else changed the same case first (optimistic locking) or the state forbids it."""

    user_message = (
        "Der Vorgang wurde inzwischen von jemand anderem bearbeitet. "
        "Bitte laden Sie die Seite neu."
    )


class DatabaseBusy(AmtsflowError):
    """The database refused a lock in time (SQLite busy, PostgreSQL deadlock): retry the command.
    Not a Conflict: nobody changed the case, the system is busy (the web answers 503)."""

    user_message = ("Das System ist gerade ausgelastet. Ihre Eingabe wurde nicht gespeichert. "
                    "Bitte versuchen Sie es in einigen Sekunden erneut.")

    def __init__(self, message: str, *, waited: bool = False) -> None:
        super().__init__(message)
        self.waited = waited      # True: the lock wait ran into the busy timeout (SQLite "database is locked")


class DatabaseUnreachable(AmtsflowError):
    """The database does not answer (restarted, failing over, the network to it down): the
    request is answered 503, the operator's log gets one line (engine/outage.py), not a stack."""

    user_message = ("Der Dienst ist gerade nicht erreichbar. Ihre Eingabe wurde nicht gespeichert. "
                    "Bitte versuchen Sie es in einigen Minuten erneut.")


class InvalidInput(AmtsflowError):
    """A value from outside cannot be accepted (not storable, malformed, over a limit); nothing stored."""

    user_message = "Die Anfrage enthält ungültige Angaben."


class AmbiguousCorrelation(Conflict):
    """A message matches waiting subscriptions of more than one case, or several waits of one
    case (``waits``): it is delivered to none."""

    def __init__(self, name: str, key: str | None, cases: list[tuple[str, str | None]], *, waits: int = 0) -> None:
        shown = "; ".join(f"{case_id} ({business_key or 'no business key'})" for case_id, business_key in cases)
        matched = f"{waits} waits of one case" if waits else f"{len(cases)} waiting cases"
        super().__init__(
            f"message '{name}' with key {key!r} matches {matched}, delivered to none: {shown}",
            user_message=f"Die Nachricht „{name}“" + (f" zum Schlüssel „{key}“" if key else "")
            + " passt zu mehreren wartenden Vorgängen und wurde keinem zugestellt: "
            + "; ".join(f"Aktenzeichen {bk or '–'} (Vorgang {case_id})" for case_id, bk in cases)
            + ". Bitte senden Sie sie mit einem eindeutigen Schlüssel.")
        self.name = name
        self.key = key
        self.cases = cases


class InvalidState(AmtsflowError):
    user_message = "Diese Aktion ist im aktuellen Zustand des Vorgangs nicht möglich."


class NoCorrelation(InvalidState):
    """A message that names its receiver (a case, an activity instance's local variables, case
    variables) matches no waiting subscription: it is neither buffered nor starts a case (what
    it names cannot be met by a later subscription or a new case)."""

    user_message = "Kein wartender Vorgang passt zu dieser Nachricht."


class CaseSuspended(InvalidState):
    """The case is suspended: commands wait for the resume (jobs are kept, not dropped)."""

    user_message = "Der Vorgang ist angehalten."


class PermissionDenied(AmtsflowError):
    user_message = "Sie sind für diese Aktion nicht berechtigt."


class FormValidationError(AmtsflowError):
    """Submitted data does not satisfy the form's JSON Schema; nothing was stored."""

    user_message = "Bitte prüfen Sie Ihre Eingaben."

    def __init__(self, message: str, field_errors: dict[str, list[str]]) -> None:
        super().__init__(message)
        self.field_errors = field_errors


class WorkflowFailure(AmtsflowError):
    """The workflow itself failed while running (script error, no outgoing flow ...)."""

    user_message = "Bei der Bearbeitung des Vorgangs ist ein Fehler aufgetreten."
