"""Domain errors.

Hierarchy::

    DomainError
    ├── IllegalTransition      a stage cannot move from one state to another
    ├── NotFound               a region, network, stage or organisation does not exist
    ├── InvalidInput           a value given to a use case is malformed or inconsistent
    │   ├── FieldError         … in one named field (forms and file rows report the field)
    │   └── AlreadyRecorded    the same submission was taken already (a replay or a concurrent twin)
    ├── TemplateError          a process template (TOML) is malformed
    └── NotAllowed             the acting person's role or scope does not allow the action

Messages are German where a user reads them (CLI, dashboard).
"""

from __future__ import annotations

from collections.abc import Sequence


class DomainError(Exception):
    """Base class of every error the domain raises on purpose."""


class IllegalTransition(DomainError):
    """A stage transition that the state machine or the exit criteria refuse."""

    def __init__(
        self,
        stage: str,
        from_state: str,
        to_state: str,
        unmet: Sequence[str] = (),
        why: str = "",
    ) -> None:
        self.stage = stage
        self.from_state = from_state
        self.to_state = to_state
        self.unmet = list(unmet)
        self.why = why
        text = f"Stufe '{stage}': Übergang {from_state} → {to_state} nicht möglich"
        if why:
            text += f": {why}"
        if self.unmet:
            text += ". Offene Kriterien: " + "; ".join(self.unmet)
        super().__init__(text)


class NotFound(DomainError):
    """A referenced entity does not exist."""

    def __init__(self, what: str, key: str) -> None:
        self.what = what
        self.key = key
        super().__init__(f"{what} '{key}' nicht gefunden")


class InvalidInput(DomainError):
    """Input to a use case is malformed; the message names the field and the reason."""


class TemplateError(DomainError):
    """A process template cannot be loaded; the message names the file and the key."""


class FieldError(InvalidInput):
    """One field's value is refused; ``field`` names it (forms mark it, file imports map it to a column)."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class NotAllowed(DomainError):
    """The acting person may not do this (role or scope); dashboards answer 403."""


class AlreadyRecorded(InvalidInput):
    """The same submission was taken already (a replayed form, or its twin sent at the same moment):
    nothing new is stored; doors show the message as a notice, not as an error."""

    MESSAGE = "Diese Eingabe ist bereits erfasst; es wurde nichts doppelt gespeichert."

    def __init__(self, message: str = MESSAGE) -> None:
        super().__init__(message)
