"""``cruxlab demo``: a small, true example of the whole loop, seeded in resumable steps.

A mentor (Mara) and a scholar (Theo) disagree about whether attention-pattern
methods can be trusted; their dialogue yields cruxes with both credences, one
project with pre-registered predictions, and one finished ``induction_heads``
run on the ``induction-2l`` organism whose outcome has been applied. The run
is real: its numbers come from the model, not from this file. A second, not yet
run project (with an effort estimate, a due date two weeks out, blind
predictions from both), tags and notes give the dashboard, the ranking and the
board something true to show.

Seeding is a list of steps, each of which first looks for what it would make
and makes only what is missing, so a demo interrupted at any point (a killed
process, a full disk, a failed run) is finished by the next ``cruxlab demo``:
it ends in the complete state, whatever state it starts from. The run step
waits for the run's worker (a separate process that outlives an interrupted
demo) with no deadline, passing on its progress (the organism's training steps
and loss on first use). Progress goes to ``demo.json`` in the home, which the
app shows while seeding is under way; one lock lets one process seed a home at
a time (a second one follows the first one's progress, then checks every step).

Each step's reads and writes are domain operations made through ``do(fn, *args)``:
``seed_demo(store)`` makes them on a store in this process (the tests, an owner);
``cruxlab demo`` passes ``cruxes.api.call``, so they go to the home's owner while
one runs (the app's server may start, or stop, while the demo seeds) and are
made here otherwise. Either way the acting person (``cruxes.api.acting``) goes with
each operation: whoever seeds (in team mode, a mentor) enters everything; with
nobody named, the demo's mentor Mara sets it up and each person enters their own
credences, predictions and notes.
"""

from __future__ import annotations

import fcntl
import inspect
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from cruxes import annotations, beliefs, outcomes, predictions, projects, review, runs, team
from cruxes.dialogues import import_dialogue, list_candidates
from cruxes.errors import CruxlabError
from cruxes.models import DemoProgress, RunQuery, RunView
from cruxes.people import add_person, list_people
from cruxes.workspace import home_of
from db import paths
from db.store import Store
from db.util import now
from experiments.executors import pid_alive
from experiments.folders import read_json, write_json_atomic

DEMO_TITLE = "Demo: can we trust attention-pattern methods?"
DEMO_DIALOGUE = """\
Mara: Before you scale anything up, I want to know whether our tools find mechanisms we already understand. I'm skeptical that attention-pattern scores recover known circuits reliably; my guess is 35% that they would pass a clean test.
Theo: I think they do recover them in small models. Induction heads are the best-understood circuit we have, and I'd bet 70% that a plain attention score picks out the layer-1 heads in a two-layer model.
Mara: Then that is our crux: attention-pattern scores recover known induction heads in a small model well enough to count as ground truth.
Theo: We could train a tiny attention-only model on repeated random tokens, where induction is the only way to lower the loss, and measure the best head's induction score.
Mara: Good. I'd be excited about that project if we write down our predictions before the run, with a threshold of 0.5 on the best head's score.
Theo: A second question is whether any of this transfers. I'm not sure mechanistic methods will beat simple probing baselines on a practical task within three years; maybe 40%.
Mara: I doubt it more than you do, maybe 25%, but a clean result on the small model would not move me much on that one.
"""

CRUXES = {
    # phrase in the accepted quote → the crux statement we keep
    "attention-pattern scores recover": "Attention-pattern scores recover the known induction "
    "heads of a small model well enough to serve as ground truth.",
    "beat simple probing baselines": "Mechanistic methods will beat simple probing baselines "
    "on a practical task within three years.",
}
CREDENCES = [  # (crux index, person, value, reason)
    (0, "Mara", 0.35, "Attention scores have fooled us before."),
    (0, "Theo", 0.70, "Induction heads are the clearest circuit we know."),
    (1, "Mara", 0.25, "Baselines are strong and rarely reported."),
    (1, "Theo", 0.40, "Unsure; depends on the task."),
]
PROJECT_TITLE = "Do attention scores find the induction heads in induction-2l?"
PROJECT_SUMMARY = (
    "Run induction_heads on organism:induction-2l, whose layer-1 heads are known to do "
    "induction, and check the best head's induction score against the pre-registered "
    "threshold of 0.5."
)
PREDICTIONS = [  # (person, p_positive, if_positive, if_negative): implied priors match
    ("Mara", 0.6, 0.45, 0.20),
    ("Theo", 0.9, 0.75, 0.25),
]

FOLLOW_UP_TITLE = "Does the induction score still find the heads from 8 sequences?"
FOLLOW_UP_SUMMARY = (
    "Rerun induction_heads on organism:induction-2l with n_sequences=8: if attention "
    "scores need many samples to find heads we know are there, they make a weak ground truth."
)
FOLLOW_UP_EFFORT_DAYS = 2.0
FOLLOW_UP_DUE_IN = timedelta(days=14)
FOLLOW_UP_PREDICTIONS = [  # made after the first outcome moved Mara to 0.45, Theo to 0.75
    ("Mara", 0.5, 0.55, 0.35),
    ("Theo", 0.8, 0.80, 0.55),
]
TAGS = [  # (kind, index into the demo's cruxes or projects, tag)
    ("crux", 0, "attention"),
    ("crux", 1, "baselines"),
    ("project", 0, "induction"),
    ("project", 1, "induction"),
    ("project", 1, "sample-efficiency"),
]
RUN_NOTE = ("Theo", "The **layer-1** heads stand out in the heatmap, as the organism promises.")
FOLLOW_UP_NOTE = ("Mara", "Keep the seed of run 1 so that *only* the sample size changes.")


@dataclass(frozen=True)
class DemoResult:
    seeded: bool  # whether this call made anything (False: the demo was already complete)
    dialogue_id: int
    project_id: int
    run_id: int
    outcome_id: int


DEMO_TEMPLATE = "induction_heads"
PROGRESS_FILE = "demo.json"
LOG_FILE = "demo.log"
Report = Callable[[float, str], None]  # progress within a step: fraction, message
Watch = Callable[[DemoProgress], None]
Do = Callable[..., Any]  # do(fn, *args, **kwargs): the domain operation fn(store, *args, ...)


@dataclass
class Seeding:
    """What the steps have found or made so far, and who makes it."""

    do: Do
    me: str | None = None  # whoever seeds; None: nobody named (outside team mode)
    changed: bool = False
    dialogue_id: int = 0
    crux_ids: list[int] = field(default_factory=list)
    project_ids: list[int] = field(default_factory=list)
    run_id: int = 0
    outcome_id: int = 0

    def made(self) -> None:
        self.changed = True

    def lead(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Set up something (a write): as whoever seeds, else as the demo's mentor."""
        return self.by(self.me or "Mara", fn, *args, **kwargs)

    def own(self, person: str, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Enter ``person``'s own credence, prediction or note: as whoever seeds, else as them."""
        return self.by(self.me or person, fn, *args, **kwargs)

    def by(self, actor: str | None, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        from cruxes import api  # api registers the domain's operations, this module's too

        with api.acting(actor):
            return self.do(fn, *args, **kwargs)


def _people(s: Seeding, report: Report) -> None:
    names = {p.name for p in s.do(list_people)}
    for name, role in (("Mara", "mentor"), ("Theo", "scholar")):
        if name not in names:
            s.by(s.me, add_person, name, role)
            s.made()


def _dialogue(s: Seeding, report: Report) -> None:
    # A re-import of the same text returns the dialogue already stored.
    imported = s.lead(import_dialogue, DEMO_DIALOGUE, title=DEMO_TITLE)
    s.dialogue_id = imported.dialogue.id
    if imported.created:
        s.made()


def _cruxes(s: Seeding, report: Report) -> None:
    candidates = s.do(list_candidates, s.dialogue_id)
    for phrase, statement in CRUXES.items():
        c = next(c for c in candidates if phrase in c.quote and c.kind == "crux")
        crux_id = c.crux_id
        if crux_id is None:
            crux_id = s.lead(review.accept_candidate, c.id, statement=statement).id
            s.made()
        s.crux_ids.append(crux_id)


def _credences(s: Seeding, report: Report) -> None:
    for index, person, value, reason in CREDENCES:
        crux_id = s.crux_ids[index]
        history = s.do(beliefs.get_crux, crux_id).history
        if not any(h.person_name == person and h.reason == reason for h in history):
            s.own(person, beliefs.add_credence, crux_id, person, value, reason=reason)
            s.made()


def _project(s: Seeding, title: str, **fields) -> int:
    """The demo project called ``title``, created and assigned to Theo if need be."""
    project = next((p for p in s.do(projects.list_projects) if p.title == title), None)
    if project is None:
        project = s.lead(
            projects.add_project, title, crux_ids=[s.crux_ids[0]], mentor="Mara", **fields
        )
        s.made()
    if project.status == "proposed":
        s.lead(projects.assign, project.id, "Theo")
        s.made()
    s.project_ids.append(project.id)
    return project.id


def _predict(s: Seeding, project_id: int, rows) -> None:
    """Pre-register (person, P, c₊, c₋) predictions on max_induction_score > 0.5, once each."""
    for person, p, c_pos, c_neg in rows:
        seen = s.own(person, predictions.list_predictions, project_id)
        if any(x.person_name == person for x in seen):
            continue
        s.own(
            person,
            predictions.add_prediction,
            project_id,
            s.crux_ids[0],
            person,
            metric="max_induction_score",
            op=">",
            threshold=0.5,
            p_positive=p,
            if_positive=c_pos,
            if_negative=c_neg,
        )
        s.made()


def _first_project(s: Seeding, report: Report) -> None:
    project_id = _project(s, PROJECT_TITLE, summary=PROJECT_SUMMARY)
    if not _demo_runs(s, project_id):  # predictions freeze with the first run
        _predict(s, project_id, PREDICTIONS)


def _demo_runs(s: Seeding, project_id: int) -> list[RunView]:
    """The project's runs of the demo's template, oldest first, with finished and lost ones
    recorded (a refresh: a worker killed with an interrupted demo is failed here)."""
    query = RunQuery(project_id=project_id, template=DEMO_TEMPLATE, limit=None, descending=False)
    ids = s.do(runs.run_page, query).table.column("id").to_pylist()
    if ids:
        s.do(runs.refresh, ids)
    return [s.do(runs.get_run, run_id) for run_id in ids]


def _run(s: Seeding, report: Report) -> None:
    """A succeeded run: found, waited for (a worker left by an interrupted demo), or started."""
    project_id = s.project_ids[0]
    started_here = set()
    while True:
        mine = _demo_runs(s, project_id)
        done = next((r for r in mine if r.status == "succeeded" and r.recorded), None)
        if done is not None:
            s.run_id = done.id
            return
        failed = [r for r in mine if r.id in started_here and r.finished and r.recorded]
        if failed:
            raise CruxlabError(
                f"The demo's run {failed[0].id} failed: {failed[0].error or 'see its log'}; "
                "run `cruxlab demo` again to retry."
            )
        run = next((r for r in mine if not r.recorded), None)
        if run is None:
            run = s.lead(runs.start_run, project_id, DEMO_TEMPLATE)
            started_here.add(run.id)
            s.made()
        _follow(s, run, report)


def _follow(s: Seeding, run: RunView, report: Report, poll_s: float = 1.0) -> None:
    """Report a run's progress until it is recorded (a lost worker is recorded as failed)."""
    while not run.recorded:
        report(run.progress, run.message or f"run {run.id} is {run.status}")
        run = s.do(runs.wait_for, run.id, timeout=poll_s)
    report(1.0, f"run {run.id} {run.status}")


def _outcome(s: Seeding, report: Report) -> None:
    project_id = s.project_ids[0]
    outcome = next(iter(s.do(outcomes.list_outcomes, project_id)), None)
    if outcome is None:
        outcome = s.lead(
            outcomes.record_outcome,
            project_id,
            s.run_id,
            note="Demo: checked against both predictions.",
        )
        s.made()
    if any(not e.applied for e in outcome.evaluations):
        s.lead(outcomes.apply_update, outcome.id)
        s.made()
    s.outcome_id = outcome.id


def _follow_up(s: Seeding, report: Report) -> None:
    project_id = _project(
        s,
        FOLLOW_UP_TITLE,
        summary=FOLLOW_UP_SUMMARY,
        effort_days=FOLLOW_UP_EFFORT_DAYS,
        due_date=(now() + FOLLOW_UP_DUE_IN).date(),
        blind_predictions=True,
    )
    _predict(s, project_id, FOLLOW_UP_PREDICTIONS)


def _annotations(s: Seeding, report: Report) -> None:
    ids = {"crux": s.crux_ids, "project": s.project_ids}
    for kind, index, tag in TAGS:
        if tag not in s.do(annotations.tags_of, kind, ids[kind][index]):
            s.lead(annotations.add_tag, kind, ids[kind][index], tag)
            s.made()
    for kind, entity_id, (person, body) in (
        ("run", s.run_id, RUN_NOTE),
        ("project", s.project_ids[1], FOLLOW_UP_NOTE),
    ):
        if not any(n.body == body for n in s.do(annotations.list_notes, kind, entity_id)):
            s.own(person, annotations.add_note, kind, entity_id, body, person=person)
            s.made()


@dataclass(frozen=True)
class Step:
    label: str
    weight: float  # its usual share of the time, for the overall progress
    make: Callable[[Seeding, Report], None]


STEPS = (
    Step("people", 1, _people),
    Step("the dialogue and its candidates", 2, _dialogue),
    Step("cruxes", 1, _cruxes),
    Step("credences", 1, _credences),
    Step("a project with predictions", 1, _first_project),
    Step(f"the {DEMO_TEMPLATE} run on organism:induction-2l", 40, _run),
    Step("its outcome and the credence updates", 1, _outcome),
    Step("a follow-up project with blind predictions", 1, _follow_up),
    Step("tags and notes", 1, _annotations),
)


def progress_file(home: Path) -> Path:
    return home / PROGRESS_FILE


def log_file(home: Path | None = None) -> Path:
    """Where a demo started in the background writes its output (default: in
    ``$CRUXLAB_HOME``)."""
    return paths.home(home) / LOG_FILE


def _write(home: Path, progress: DemoProgress) -> None:
    write_json_atomic(progress_file(home), progress.model_dump(mode="json", exclude={"alive"}))


def read_progress(home: Path | None = None) -> DemoProgress | None:
    """Where the demo's seeding stands in ``home`` (default ``$CRUXLAB_HOME``); None if
    ``cruxlab demo`` never ran there."""
    data = read_json(progress_file(paths.home(home)))
    if data is None:
        return None
    return DemoProgress(**{**data, "alive": pid_alive(data.get("pid"))})


@contextmanager
def _seeding_lock(home: Path, watch: Watch) -> Iterator[None]:
    """Seed one home in one process at a time; a second one follows the first's progress."""
    with (home / ".demo.lock").open("w") as fh:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                data = read_json(progress_file(home))
                if data is not None:
                    watch(DemoProgress(**{**data, "alive": True}))
                time.sleep(1.0)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class _Tracker:
    """The demo's progress: kept current, written to ``demo.json`` and passed to ``watch``."""

    def __init__(self, home: Path, watch: Watch):
        self.home, self.watch = home, watch
        self.total = sum(step.weight for step in STEPS)
        self.done = 0.0  # weight of the steps finished
        self.now = DemoProgress(
            state="seeding",
            step=1,
            steps=len(STEPS),
            label=STEPS[0].label,
            fraction=0.0,
            pid=os.getpid(),
            updated_at=now(),
            alive=True,
        )

    def update(self, **changes) -> None:
        self.now = self.now.model_copy(update={**changes, "updated_at": now()})
        _write(self.home, self.now)
        self.watch(self.now)

    def reporter(self, index: int, step: Step) -> Report:
        """The ``report(fraction, message)`` of one step."""

        def report(fraction: float, message: str) -> None:
            share = step.weight * min(max(fraction, 0.0), 1.0)
            self.update(
                step=index,
                label=step.label,
                fraction=(self.done + share) / self.total,
                message=message,
            )

        return report


def seed_demo(store: Store, *, watch: Watch | None = None, actor: str | None = None) -> DemoResult:
    """Bring the demo in ``store``'s home to its complete state in this process, seeded by
    ``actor`` (in team mode, a mentor; by default whoever acts, ``cruxes.api.acting``)."""
    from cruxes import api  # api registers the domain's operations, this module's too

    def do(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return api.perform(store, fn, inspect.signature(fn).bind(None, *args, **kwargs))

    if actor is None:
        return seed(do, home_of(store), watch=watch)
    with api.acting(actor):
        return seed(do, home_of(store), watch=watch)


def seed(do: Do, home: Path | None = None, *, watch: Watch | None = None) -> DemoResult:
    """Bring the demo in ``home`` (default ``$CRUXLAB_HOME``) to its complete state, making
    only what is missing, each operation through ``do``; ``watch`` is called with the
    progress (also written to ``demo.json``) as the steps go."""
    home = paths.home(home)
    home.mkdir(parents=True, exist_ok=True)  # a first `cruxlab demo` makes the home
    watch = watch or (lambda progress: None)
    s = Seeding(do, me=do(team.setting_up))  # in team mode, only a mentor sets up
    with _seeding_lock(home, watch):
        tracker = _Tracker(home, watch)
        for index, step in enumerate(STEPS, start=1):
            report = tracker.reporter(index, step)
            report(0.0, "")
            try:
                step.make(s, report)
            except Exception as exc:
                tracker.update(state="failed", error=str(exc))
                raise
            tracker.done += step.weight
        tracker.update(state="complete", fraction=1.0, message="")
    return DemoResult(s.changed, s.dialogue_id, s.project_ids[0], s.run_id, s.outcome_id)


def start_in_background(home: Path | None = None) -> int:
    """Start ``cruxlab demo`` as a process of its own (output in ``demo.log``) for ``home``
    (default ``$CRUXLAB_HOME``), unless one is seeding it already; return its process id."""
    home = paths.home(home)
    progress = read_progress(home)
    if progress is not None and progress.state == "seeding" and progress.alive:
        return progress.pid
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CRUXLAB_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    with log_file(home).open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "demo"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    # Reap the child when it exits so a long-lived app leaves no zombie.
    threading.Thread(target=proc.wait, daemon=True).start()
    if progress is None or progress.state != "complete":
        # Shown by the app until the new process, still starting, reports its first step.
        starting = {"pid": proc.pid, "message": "starting"}
        _write(home, _Tracker(home, lambda p: None).now.model_copy(update=starting))
    return proc.pid
