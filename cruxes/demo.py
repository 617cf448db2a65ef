"""``cruxlab demo``: a small, true example of the whole loop, seeded once.

A mentor (Mara) and a scholar (Theo) disagree about whether attention-pattern
methods can be trusted; their dialogue yields cruxes with both credences, one
project with pre-registered predictions, and one finished ``induction_heads``
run on the ``induction-2l`` organism whose outcome has been applied. The run
is real: its numbers come from the model, not from this file. A second, not yet
run project (with an effort estimate, a due date two weeks out, blind
predictions from both), tags and notes give the dashboard, the ranking and the
board something true to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from cruxes import annotations, beliefs, outcomes, predictions, projects, review, runs, team
from cruxes.dialogues import content_hash, import_dialogue, list_dialogues
from cruxes.people import add_person, list_people
from db.store import Store
from db.util import now

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
    seeded: bool
    dialogue_id: int
    project_id: int | None = None
    run_id: int | None = None
    outcome_id: int | None = None


def _predict(store: Store, project_id: int, crux_id: int, rows, actor: str | None) -> None:
    """Pre-register (person, P, c₊, c₋) predictions on max_induction_score > 0.5."""
    for person, p, c_pos, c_neg in rows:
        predictions.add_prediction(
            store,
            project_id,
            crux_id,
            person,
            actor=actor or person,
            metric="max_induction_score",
            op=">",
            threshold=0.5,
            p_positive=p,
            if_positive=c_pos,
            if_negative=c_neg,
        )


def seed_demo(store: Store, *, timeout: float = 600, actor: str | None = None) -> DemoResult:
    """Seed the demo once; a second call finds it and changes nothing.

    ``actor`` (in team mode, a mentor) enters everything; with nobody named, the demo's
    mentor Mara sets it up and each person enters their own credences, predictions and notes.
    """
    me = team.who(store, actor, team.Action.SET_UP)
    digest = content_hash(DEMO_DIALOGUE)
    for d in list_dialogues(store):
        if d["content_hash"] == digest:
            return DemoResult(seeded=False, dialogue_id=d["id"])
    names = {p.name for p in list_people(store)}
    for name, role in (("Mara", "mentor"), ("Theo", "scholar")):
        if name not in names:
            add_person(store, name, role, actor=me.name if me else None)
    lead = me.name if me else "Mara"
    own = me.name if me else None  # None: each person enters their own
    imported = import_dialogue(store, DEMO_DIALOGUE, title=DEMO_TITLE, actor=lead)
    crux_ids = []
    for phrase, statement in CRUXES.items():
        candidate = next(c for c in imported.candidates if phrase in c.quote and c.kind == "crux")
        crux_ids.append(
            review.accept_candidate(store, candidate.id, statement=statement, actor=lead).id
        )
    for index, person, value, reason in CREDENCES:
        beliefs.add_credence(
            store, crux_ids[index], person, value, reason=reason, actor=own or person
        )

    project = projects.add_project(
        store,
        PROJECT_TITLE,
        summary=PROJECT_SUMMARY,
        crux_ids=[crux_ids[0]],
        mentor="Mara",
        actor=lead,
    )
    projects.assign(store, project.id, "Theo", actor=lead)
    _predict(store, project.id, crux_ids[0], PREDICTIONS, own)
    run = runs.start_run(store, project.id, "induction_heads", actor=lead)
    run = runs.wait_for(store, run.id, timeout=timeout)
    if run.status != "succeeded":
        raise RuntimeError(f"demo run {run.id} {run.status}: {run.error}")
    outcome = outcomes.record_outcome(
        store, project.id, run.id, note="Demo: checked against both predictions.", actor=lead
    )
    outcomes.apply_update(store, outcome.id, actor=lead)

    follow_up = projects.add_project(
        store,
        FOLLOW_UP_TITLE,
        summary=FOLLOW_UP_SUMMARY,
        crux_ids=[crux_ids[0]],
        mentor="Mara",
        effort_days=FOLLOW_UP_EFFORT_DAYS,
        due_date=(now() + FOLLOW_UP_DUE_IN).date(),
        blind_predictions=True,
        actor=lead,
    )
    projects.assign(store, follow_up.id, "Theo", actor=lead)
    _predict(store, follow_up.id, crux_ids[0], FOLLOW_UP_PREDICTIONS, own)
    ids = {"crux": crux_ids, "project": [project.id, follow_up.id]}
    for kind, index, tag in TAGS:
        annotations.add_tag(store, kind, ids[kind][index], tag, actor=lead)
    for kind, entity_id, (person, body) in (
        ("run", run.id, RUN_NOTE),
        ("project", follow_up.id, FOLLOW_UP_NOTE),
    ):
        annotations.add_note(store, kind, entity_id, body, person=person, actor=own or person)
    return DemoResult(True, imported.dialogue.id, project.id, run.id, outcome.id)
