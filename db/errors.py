"""The project's own exception types: errors a person can cause and fix.

Every message is one sentence that says what was wrong and what to do. The CLI
prints it and exits 2; the app shows it with ``st.error``.
"""


class CruxlabError(Exception):
    """A problem with the user's input or environment, explained in one sentence."""


class InvalidInput(CruxlabError):
    """A value, file or parameter that cannot be accepted as given."""


class NotFound(CruxlabError):
    """A referenced object (crux, person, run, ...) does not exist."""


class Conflict(CruxlabError):
    """The action is not allowed in the object's current state."""


class StaleWrite(Conflict):
    """Someone else changed the object since it was read; reload and retry."""


class StoreBusy(CruxlabError):
    """Another process held the database for longer than the lock timeout."""


# Every error type a person can cause, by name: how the owner's answers carry them.
ERRORS: dict[str, type[CruxlabError]] = {
    cls.__name__: cls
    for cls in (CruxlabError, InvalidInput, NotFound, Conflict, StaleWrite, StoreBusy)
}
