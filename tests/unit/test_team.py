"""Team mode in the domain: the role matrix, who entered what, and the rules around them.

Every case runs a real domain write on a real home as a mentor (Mara) or a scholar
(Theo): allowed writes are logged with their actor; refused ones raise one
NotAllowed sentence and leave every table exactly as it was.
"""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cruxes import (
    annotations,
    beliefs,
    dialogues,
    exchange,
    outcomes,
    people,
    predictions,
    projects,
    questions,
    review,
    runs,
    team,
)
from cruxes.demo import DEMO_DIALOGUE, seed_demo
from cruxes.errors import Conflict, InvalidInput, NotAllowed, NotFound
from cruxes.workspace import open_store
from db import paths
from tests.unit.helpers import dump, finished_run

PRED = dict(metric="max_induction_score", op=">", threshold=0.5)
OTHER = {"Mara": "Theo", "Theo": "Mara"}  # whose credence, prediction or update is not yours


def predict(store, project_id, crux_id, person, actor, p=0.5):
    return predictions.add_prediction(
        store,
        project_id,
        crux_id,
        person,
        actor=actor,
        **PRED,
        p_positive=p,
        if_positive=0.6,
        if_negative=0.4,
    )


@pytest.fixture(scope="module")
def lab_template(tmp_path_factory):
    """A small lab, set up in single-user mode: Mara (mentor), Theo and Ada (scholars);
    'mine' (Theo's: an outcome with unapplied updates, and a run awaiting one), 'open'
    (Theo's, predictions still open) and 'theirs' (Ada's)."""
    home = tmp_path_factory.mktemp("lab") / "home"
    store = open_store(home)
    for name, role in (("Mara", "mentor"), ("Theo", "scholar"), ("Ada", "scholar")):
        people.add_person(store, name, role)
    crux = beliefs.add_crux(store, "Probes beat SAEs on this task.").id
    beliefs.add_crux(store, "A second claim.")
    mine = projects.add_project(store, "Mine", crux_ids=[crux]).id
    projects.assign(store, mine, "Theo")
    for person in ("Mara", "Theo"):
        predict(store, mine, crux, person, actor=None, p=0.5)
    outcome_run = finished_run(store, mine, {"max_induction_score": 0.9})
    finished_run(store, mine, {"max_induction_score": 0.2})  # awaits its outcome
    outcomes.record_outcome(store, mine, outcome_run)  # 'mine' is in review
    opened = projects.add_project(store, "Open", crux_ids=[crux]).id
    projects.assign(store, opened, "Theo")
    theirs = projects.add_project(store, "Theirs", crux_ids=[crux]).id
    projects.assign(store, theirs, "Ada")
    assert dialogues.import_dialogue(store, DEMO_DIALOGUE).candidates  # candidate 1 is pending
    return home


@pytest.fixture
def lab(lab_template, home):
    """A private copy of the lab, in team mode through its settings file."""
    shutil.copytree(lab_template, home)
    (home / "settings.toml").write_text("[team]\nenabled = true\n")
    return open_store(home)


CRUX, MINE, OUTCOME, WAITING_RUN, OPEN, THEIRS, DIALOGUE_ID = 1, 1, 1, 2, 2, 3, 1
# action → (the write, as ``actor``; whether a scholar may do it)
MATRIX = {
    "add a person": (lambda s, a: people.add_person(s, "Zoe", "scholar", actor=a), False),
    "set an email": (lambda s, a: people.set_email(s, "Ada", "ada@lab.example", actor=a), False),
    "add a crux": (lambda s, a: beliefs.add_crux(s, "A new claim.", actor=a), False),
    "reword a crux": (lambda s, a: beliefs.edit_crux(s, CRUX, "Reworded.", 1, actor=a), False),
    "add a question": (lambda s, a: questions.add_question(s, "Are SAEs real?", actor=a), False),
    "group a crux": (lambda s, a: questions.set_question(s, CRUX, None, actor=a), False),
    "own credence": (lambda s, a: beliefs.add_credence(s, CRUX, a, 0.5, actor=a), True),
    "another's credence": (
        lambda s, a: beliefs.add_credence(s, CRUX, OTHER[a], 0.5, actor=a),
        False,
    ),
    "own prediction": (lambda s, a: predict(s, OPEN, CRUX, a, actor=a), True),
    "another's prediction": (lambda s, a: predict(s, OPEN, CRUX, OTHER[a], actor=a), False),
    "import a dialogue": (
        lambda s, a: dialogues.import_dialogue(s, "Ada: Maybe 40%.\n", actor=a),
        True,
    ),
    "import a dialogue adding people": (
        lambda s, a: dialogues.import_dialogue(s, "Zed: Maybe 40%.\n", add_speakers=True, actor=a),
        False,
    ),
    "map a speaker": (
        lambda s, a: dialogues.map_speaker(s, DIALOGUE_ID, "Mara", "Mara", actor=a),
        True,
    ),
    "review a candidate": (lambda s, a: review.reject_candidate(s, 1, actor=a), False),
    "propose a project": (lambda s, a: projects.add_project(s, "New", actor=a), False),
    "link a crux": (lambda s, a: projects.link_crux(s, OPEN, 2, actor=a), False),
    "plan a project": (lambda s, a: projects.plan_project(s, OPEN, effort_days=3, actor=a), False),
    "assign a project": (lambda s, a: projects.assign(s, THEIRS, "Theo", actor=a), False),
    "change a status": (lambda s, a: projects.set_status(s, MINE, "done", actor=a), False),
    "start a run of one's project": (
        lambda s, a: runs.start_run(s, OPEN, "induction_heads", actor=a),
        True,
    ),
    "start a run of another's project": (
        lambda s, a: runs.start_run(s, THEIRS, "induction_heads", actor=a),
        False,
    ),
    "record an outcome": (
        lambda s, a: outcomes.record_outcome(s, MINE, WAITING_RUN, actor=a),
        False,
    ),
    "apply one's update": (lambda s, a: outcomes.apply_update(s, OUTCOME, person=a, actor=a), True),
    "apply another's update": (
        lambda s, a: outcomes.apply_update(s, OUTCOME, person=OTHER[a], actor=a),
        False,
    ),
    "apply everyone's updates": (lambda s, a: outcomes.apply_update(s, OUTCOME, actor=a), False),
    "tag a crux": (lambda s, a: annotations.add_tag(s, "crux", CRUX, "probes", actor=a), True),
    "add a note": (lambda s, a: annotations.add_note(s, "project", MINE, "Hm.", actor=a), True),
    "sign a note as another": (
        lambda s, a: annotations.add_note(s, "project", MINE, "Hm.", person=OTHER[a], actor=a),
        False,
    ),
}


@pytest.mark.parametrize("action", MATRIX)
@pytest.mark.parametrize("actor", ["Mara", "Theo"])
def test_role_matrix(lab, actor, action):
    write, scholar_may = MATRIX[action]
    allowed = actor == "Mara" or scholar_may
    before = dump(lab)
    if allowed:
        write(lab, actor)
        [latest] = team.activity(lab, limit=1)
        assert latest.person_name == actor
    else:
        with pytest.raises(NotAllowed, match=r"^Theo is a scholar(;| and may) .*\.$") as refused:
            write(lab, actor)
        assert "\n" not in str(refused.value)
        assert dump(lab) == before  # nothing written
        assert not (paths.runs_dir(lab.path.parent) / "3").exists()  # no run folder either


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (
            lambda s: beliefs.add_credence(s, CRUX, "Mara", 0.5, actor="Theo"),
            "Theo is a scholar and may record credences only as themselves, not as Mara.",
        ),
        (
            lambda s: projects.assign(s, THEIRS, "Theo", actor="Theo"),
            "Theo is a scholar; only mentors may assign projects.",
        ),
        (
            lambda s: runs.start_run(s, THEIRS, "induction_heads", actor="Theo"),
            "Theo is a scholar and may start and cancel runs only of projects assigned to them; "
            "project 3 is Ada's.",
        ),
        (
            lambda s: outcomes.apply_update(s, OUTCOME, actor="Theo"),
            "Theo is a scholar and may apply outcome updates only as themselves.",
        ),
        (
            lambda s: beliefs.add_crux(s, "Unsigned."),
            "This cruxlab is in team mode, so every command must say who runs it: "
            "sign in, or pass --as PERSON (or set CRUXLAB_USER).",
        ),
    ],
)
def test_refusals_are_one_sentence(lab, write, message):
    with pytest.raises(NotAllowed) as refused:
        write(lab)
    assert str(refused.value) == message


def test_setting_up_is_for_mentors(lab, tmp_path):
    export = exchange.export_home(lab, tmp_path / "export", actor="Theo")
    only_mentors = "only mentors may seed the demo, import exports and make backups"
    with pytest.raises(NotAllowed, match=only_mentors):
        exchange.import_home(lab, export.directory, actor="Theo")
    with pytest.raises(NotAllowed, match=only_mentors):
        exchange.backup_home(lab, tmp_path / "backup", actor="Theo")
    assert not (tmp_path / "backup").exists()
    with pytest.raises(NotAllowed, match=only_mentors):
        seed_demo(lab, actor="Theo")


def test_an_unknown_actor_is_not_found(lab):
    with pytest.raises(NotFound, match="No person 'Nobody'"):
        beliefs.add_credence(lab, CRUX, "Theo", 0.5, actor="Nobody")


def test_credences_predictions_and_notes_record_who_entered_them(lab):
    credence = beliefs.add_credence(lab, CRUX, "Theo", 0.55, actor="Mara")
    assert (credence.person_name, credence.entered_by_name) == ("Theo", "Mara")
    assert beliefs.get_crux(lab, CRUX).history[-1].entered_by_name == "Mara"
    prediction, _ = predict(lab, OPEN, CRUX, "Theo", actor="Mara")
    assert (prediction.person_name, prediction.entered_by_name) == ("Theo", "Mara")
    [listed] = predictions.list_predictions(lab, OPEN, viewer="Theo")
    assert listed.entered_by_name == "Mara"
    note = annotations.add_note(
        lab, "project", MINE, "Signed by Theo.", person="Theo", actor="Mara"
    )
    assert (note.person_name, note.entered_by_name) == ("Theo", "Mara")
    [applied] = outcomes.apply_update(lab, OUTCOME, person="Theo", actor="Theo")
    assert (applied.person_name, applied.entered_by_name, applied.source) == (
        "Theo",
        "Theo",
        "outcome",
    )
    log = [(a.person_name, a.action, a.kind) for a in team.activity(lab, limit=4)]
    assert log == [
        ("Theo", "apply_update", "credence"),
        ("Mara", "note", "note"),
        ("Mara", "predict", "prediction"),
        ("Mara", "record_credence", "credence"),
    ]
    assert [a.kind for a in team.activity(lab, person="Theo")] == ["credence"]


def test_single_user_allows_everything_and_records_a_named_actor(lab_template, home):
    shutil.copytree(lab_template, home)
    store = open_store(home)
    nobody = beliefs.add_credence(store, CRUX, "Mara", 0.4)  # nobody named, as before
    assert nobody.entered_by is None
    theo = beliefs.add_credence(store, CRUX, "Mara", 0.45, actor="Theo")
    assert theo.entered_by_name == "Theo"  # recorded, not refused
    projects.assign(store, THEIRS, "Theo", actor="Theo")
    assert [a.person_name for a in team.activity(store, limit=3)] == ["Theo", "Theo", None]


@pytest.mark.parametrize(
    ("env", "settings", "on"),
    [
        (None, None, False),
        ("1", None, True),
        ("true", None, True),
        ("0", None, False),
        (None, "[team]\nenabled = true\n", True),
        (None, "[team]\nenabled = false\n", False),
        ("0", "[team]\nenabled = true\n", True),  # the variable cannot switch a team home off
    ],
)
def test_team_mode_comes_from_the_variable_or_the_settings_file(
    tmp_path, monkeypatch, env, settings, on
):
    if env is None:
        monkeypatch.delenv(team.TEAM_ENV, raising=False)
    else:
        monkeypatch.setenv(team.TEAM_ENV, env)
    if settings is not None:
        (tmp_path / "settings.toml").write_text(settings)
    assert team.enabled(tmp_path) is on


@pytest.mark.parametrize(
    ("env", "settings", "message"),
    [
        ("maybe", None, "CRUXLAB_TEAM must be true or false, not 'maybe'."),
        (None, "team = 1\n", "[team] must be a table."),
        (None, '[team]\nenabled = "sometimes"\n', "must be true or false, not 'sometimes'."),
    ],
)
def test_a_bad_team_setting_is_one_sentence(tmp_path, monkeypatch, env, settings, message):
    monkeypatch.delenv(team.TEAM_ENV, raising=False)
    if env is not None:
        monkeypatch.setenv(team.TEAM_ENV, env)
    if settings is not None:
        (tmp_path / "settings.toml").write_text(settings)
    with pytest.raises(InvalidInput, match=message.replace("[", r"\[").replace("]", r"\]")):
        team.enabled(tmp_path)


def test_a_new_team_home_starts_with_its_first_mentor(store, home, monkeypatch):
    monkeypatch.setenv(team.TEAM_ENV, "1")
    with pytest.raises(InvalidInput, match="first person of a team home must be a mentor"):
        people.add_person(store, "Theo", "scholar")
    with pytest.raises(NotAllowed, match="has nobody in it yet: add its first mentor"):
        beliefs.add_crux(store, "Too early.")
    mara = people.add_person(store, "Mara", "mentor", email="Mara@Lab.example", actor="Mara")
    assert (mara.name, mara.email) == ("Mara", "mara@lab.example")
    with pytest.raises(NotAllowed, match="every command must say who runs it"):
        people.add_person(store, "Theo", "scholar")
    assert people.add_person(store, "Theo", "scholar", actor="Mara").role == "scholar"


def test_sign_in_emails_are_unique_and_found_case_insensitively(store):
    people.add_person(store, "Mara", "mentor", email="mara@lab.example")
    theo = people.add_person(store, "Theo", "scholar")
    assert theo.email is None
    assert people.find_by_email(store, " MARA@lab.example ").name == "Mara"
    assert people.find_by_email(store, "theo@lab.example") is None
    with pytest.raises(Conflict, match="Mara already signs in with mara@lab.example."):
        people.set_email(store, "Theo", "Mara@Lab.Example")
    with pytest.raises(InvalidInput, match="must be an email address like name@example.org"):
        people.set_email(store, "Theo", "theo at lab")
    assert people.set_email(store, "Theo", "theo@lab.example").email == "theo@lab.example"
    assert people.find_by_email(store, "theo@lab.example").name == "Theo"
    assert people.set_email(store, "Theo", "").email is None


def test_blind_predictions_stay_out_of_another_person_s_export(lab, tmp_path):
    projects.plan_project(lab, OPEN, blind_predictions=True, actor="Mara")
    projects.link_crux(lab, OPEN, 2, actor="Mara")
    predict(lab, OPEN, 1, "Mara", actor="Mara")  # Mara on crux 1, Theo on crux 2
    predict(lab, OPEN, 2, "Theo", actor="Theo")

    def exported(actor):
        result = exchange.export_home(lab, tmp_path / actor, actor=actor)
        rows = pq.read_table(f"{result.directory}/predictions.parquet").to_pylist()
        return result.tables["predictions"], sorted((r["project_id"], r["person_id"]) for r in rows)

    # Project 1's predictions froze with its first run (revealed); project 2's are blind.
    mara, theo, ada = 1, 2, 3
    revealed = [(1, mara), (1, theo)]
    assert exported("Ada") == (2, revealed)
    assert exported("Theo") == (3, [*revealed, (2, theo)])
    assert exported("Mara") == (3, [*revealed, (2, mara)])
    assert ada == people.get_person(lab, "Ada").id


def test_a_new_home_is_private(tmp_path):
    home = tmp_path / "fresh"
    open_store(home)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE(paths.db_file(home).stat().st_mode) == 0o600


def test_the_readme_role_table_is_the_matrix():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    table = readme.split("| action | mentor | scholar |\n|---|---|---|\n", 1)[1].split("\n\n")[0]
    rows = [[cell.strip() for cell in line.split("|")[1:4]] for line in table.splitlines()]
    assert rows == [[action.value, "yes", scope.value] for action, scope in team.SCHOLARS.items()]


def test_scholars_cancel_and_sweep_only_their_own_projects(lab):
    theirs = runs.start_run(lab, THEIRS, "induction_heads", actor="Mara")

    def written(store):  # the run's own worker may move its state meanwhile: not ours
        tables = dump(store)
        return {t: rows for t, rows in tables.items() if not t.startswith("run")}, [
            row[0] for row in tables["runs"]
        ]

    before = written(lab)
    with pytest.raises(NotAllowed, match="may start and cancel runs only of projects assigned"):
        runs.cancel_run(lab, theirs.id, actor="Theo")
    with pytest.raises(NotAllowed, match="project 3 is Ada's"):
        runs.start_sweep(lab, THEIRS, "induction_heads", ["n_sequences=8,16"], actor="Theo")
    assert written(lab) == before
    assert runs.cancel_run(lab, theirs.id, actor="Mara").status in ("cancelled", "succeeded")
    mine = runs.start_run(lab, OPEN, "induction_heads", actor="Theo")
    assert runs.cancel_run(lab, mine.id, actor="Theo").status in ("cancelled", "succeeded")
    assert [(a.person_name, a.action, a.kind) for a in team.activity(lab, limit=2)] == [
        ("Theo", "run", "run"),
        ("Theo", "run", "project"),
    ]
