"""The domain operations other processes may call, and the gateway that calls them.

Domain functions stay as they are — ``fn(store, ...)``. ``OPERATIONS`` is the
allow-list of those a CLI command or a run worker may ask for, by name
(``beliefs.add_credence``; ``experiments.lifecycle.record``). ``call(fn, *args,
**kwargs)`` runs one of them:

* when an owner runs for the home (the app's server or ``cruxlab serve``,
  see ``cruxes.owner``), it is sent there over the owner's socket — the
  arguments as JSON, the answer re-validated here from the function's return
  annotation, an error re-raised as the same exception type with the same
  sentence;
* otherwise it runs here on an embedded store, opened (migrated)
  once per process.

A request that never reached the owner falls back to the embedded store; one
that did is never sent twice (``OwnerLost`` says so), so no acknowledged write
is lost or doubled.

Who is acting is said once per process or thread (``acting``: the CLI's ``--as``
or ``CRUXLAB_USER``) and travels with every request as its ``actor``, never as an
argument: ``perform`` — the one place an operation runs, here or at the owner —
hands that person to the operation's ``actor`` (who makes a write) and ``viewer``
(who is looking) and refuses a caller that names either itself. In team mode
every operation needs someone there (except a worker's reports and ``init``), and
the domain checks their role (``cruxes.team``). A request also says whether its
sender is in team mode, so an owner that is not still checks it: a request may ask
for more checking, never for less.

To make a new domain function callable: add it to ``_register(...)`` below. Its
arguments must be JSON-able (they are re-validated from its annotations on the
owner's side) and its return value a pydantic model, dataclass or plain data.
"""

from __future__ import annotations

import functools
import inspect
import os
import threading
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import to_jsonable_python

from cruxes import (
    annotations,
    beliefs,
    board,
    dashboard,
    dialogues,
    exchange,
    outcomes,
    people,
    predictions,
    projects,
    questions,
    review,
    runs,
    scoring,
    team,
    workspace,
)
from db import paths, wire
from db.errors import InvalidInput, NotFound
from db.store import Store
from experiments import lifecycle

OPERATIONS: dict[str, Callable[..., Any]] = {}
_ACTOR: ContextVar[str | None] = ContextVar("cruxlab_actor", default=None)


def _register(*functions: Callable[..., Any]) -> None:
    for fn in functions:
        name = f"{fn.__module__.removeprefix('cruxes.')}.{fn.__name__}"
        if name in OPERATIONS:
            raise ValueError(f"operation {name} is already registered")
        OPERATIONS[name] = fn


_register(
    workspace.initialise,
    people.add_person,
    people.set_email,
    people.list_people,
    team.activity,
    team.setting_up,
    dialogues.import_dialogue,
    dialogues.list_dialogues,
    dialogues.get_dialogue,
    dialogues.list_candidates,
    dialogues.rename_speaker,
    dialogues.merge_speakers,
    dialogues.map_speaker,
    review.get_candidate,
    review.accept_candidate,
    review.merge_candidate,
    review.reject_candidate,
    review.similar_cruxes,
    beliefs.add_crux,
    beliefs.list_cruxes,
    beliefs.get_crux,
    beliefs.edit_crux,
    beliefs.add_credence,
    questions.add_question,
    questions.list_questions,
    questions.set_question,
    projects.add_project,
    projects.plan_project,
    projects.assign,
    projects.link_crux,
    projects.set_status,
    projects.list_projects,
    predictions.add_prediction,
    predictions.list_predictions,
    runs.start_run,
    runs.start_sweep,
    runs.wait_for,
    runs.wait_for_all,
    runs.get_run,
    runs.run_page,
    runs.compare,
    runs.refresh,
    runs.cancel_run,
    runs.metric_history,
    runs.run_log,
    outcomes.record_outcome,
    outcomes.get_outcome,
    outcomes.list_outcomes,
    outcomes.apply_update,
    annotations.add_tag,
    annotations.remove_tag,
    annotations.tags_of,
    annotations.all_tags,
    annotations.add_note,
    annotations.list_notes,
    dashboard.agenda,
    dashboard.disagreement,
    dashboard.next_projects,
    scoring.calibration,
    board.board,
    board.person_page,
    board.coverage,
    board.project_detail,
    exchange.export_home,
    exchange.import_home,
    exchange.backup_home,
    lifecycle.heartbeat,
    lifecycle.record,
    lifecycle.refresh,
)
NAMES: dict[Callable[..., Any], str] = {fn: name for name, fn in OPERATIONS.items()}
# The parameters the acting person fills: who makes a write, and who is looking.
ACTING = ("actor", "viewer")
# Operations with nobody behind them, even in team mode: setting a home up, a worker's reports.
NOBODY_NEEDED = frozenset(
    {workspace.initialise, lifecycle.heartbeat, lifecycle.record, lifecycle.refresh}
)


class Request(BaseModel):
    """One operation as the wire carries it."""

    op: str
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    actor: str | None = None  # who is acting: fills the operation's actor and viewer
    team: bool = False  # the sender is in team mode (the owner then checks as in team mode)


def current_actor() -> str | None:
    """The person this process (or thread) acts for, if it said."""
    return _ACTOR.get()


@contextmanager
def acting(person: str | None) -> Iterator[None]:
    """Calls inside act for ``person`` (carried to the owner with each request)."""
    token = _ACTOR.set(person)
    try:
        yield
    finally:
        _ACTOR.reset(token)


# ---------------------------------------------------------------- type adapters


@functools.cache
def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn)
    except Exception:  # an annotation that cannot be resolved: leave values as sent
        return {}


@functools.cache
def _adapter(hint: Any) -> TypeAdapter | None:
    if hint in (Any, object, inspect.Parameter.empty):
        return None
    try:
        return TypeAdapter(hint)
    except Exception:  # not a type pydantic knows (a Protocol, a callable)
        return None


def _returns(fn: Callable[..., Any]) -> TypeAdapter | None:
    return _adapter(_hints(fn).get("return", Any))


def bind(fn: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]) -> inspect.BoundArguments:
    """The call's arguments, each re-validated from the function's annotation."""
    name = NAMES[fn]
    try:
        bound = inspect.signature(fn).bind(None, *args, **kwargs)
    except TypeError as exc:
        raise InvalidInput(f"Operation {name} cannot take these arguments ({exc}).") from None
    hints = _hints(fn)
    for param, value in list(bound.arguments.items())[1:]:
        adapter = _adapter(hints.get(param, Any))
        if adapter is None or value is None:
            continue
        try:
            bound.arguments[param] = adapter.validate_python(value)
        except ValidationError as exc:
            message = exc.errors()[0]["msg"]
            raise InvalidInput(f"Operation {name}: {param} {message.lower()}.") from None
    return bound


def dump(fn: Callable[..., Any], result: Any) -> Any:
    """A function's result as JSON-ready data, as its return annotation describes it."""
    adapter = _returns(fn)
    if adapter is not None:
        try:
            return adapter.dump_python(result, mode="json")
        except Exception:  # the annotation is looser than the value: dump what is there
            pass
    return to_jsonable_python(result)


def load(fn: Callable[..., Any], data: Any) -> Any:
    """The owner's answer as the value the function itself would have returned."""
    adapter = _returns(fn)
    return data if adapter is None else adapter.validate_python(data)


def perform(store: Store, fn: Callable[..., Any], bound: inspect.BoundArguments) -> Any:
    """Run ``fn`` with ``bound`` (its arguments, the store's slot left out) for the acting
    person (``current_actor``), who fills its ``actor`` and ``viewer``; a caller that names
    either itself is refused. In team mode the operation needs someone (``team.who``)."""
    named = [p for p in ACTING if p in bound.arguments]
    if named:
        raise InvalidInput(
            f"Operation {NAMES[fn]}: {named[0]} is whoever acts (--as or CRUXLAB_USER), "
            "not an argument."
        )
    actor = current_actor()
    for param in ACTING:
        if param in inspect.signature(fn).parameters:
            bound.arguments[param] = actor
    if fn not in NOBODY_NEEDED and team.enabled_for(store):
        team.who(store, actor)  # refuses nobody, and a person the home does not have
    return fn(store, *bound.args[1:], **bound.kwargs)


def run(store: Store, request: Request) -> Any:
    """Run a request's operation on ``store`` (the owner's side), for its actor."""
    fn = OPERATIONS.get(request.op)
    if fn is None:
        raise NotFound(f"There is no cruxlab operation {request.op!r}.")
    with acting(request.actor), team.required(request.team):
        return perform(store, fn, bind(fn, request.args, request.kwargs))


# ---------------------------------------------------------------- the gateway

_embedded: dict[Path, Store] = {}
_owned: dict[Path, Store] = {}  # homes whose owner runs in this process
_lock = threading.Lock()


def own(home: Path, store: Store | None) -> None:
    """Record (or with None, forget) that this process owns ``home`` with ``store``."""
    with _lock:
        if store is None:
            _owned.pop(home, None)
        else:
            _owned[home] = store


def embedded_store(home: Path) -> Store:
    """This process's store of ``home``, opened (migrated) on first use."""
    with _lock:
        if home not in _embedded:
            _embedded[home] = workspace.open_store(home)
        return _embedded[home]


def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a registered domain operation for ``$CRUXLAB_HOME``: at its owner, or here."""
    name = NAMES.get(fn)
    if name is None:
        raise ValueError(f"{fn.__module__}.{fn.__name__} is not a registered operation")
    home = paths.home()
    store = _owned.get(home)
    if store is None and os.path.lexists(wire.socket_path(home)):
        request = Request(
            op=name,
            args=to_jsonable_python(list(args)),
            kwargs=to_jsonable_python(kwargs),
            actor=current_actor(),
            team=team.enabled(home),
        )
        try:
            return load(fn, wire.post(home, request.model_dump(mode="json")))
        except wire.OwnerUnavailable:
            pass  # nothing was sent: no owner listens, so this process does the work
    bound = inspect.signature(fn).bind(None, *args, **kwargs)
    return perform(store or embedded_store(home), fn, bound)
