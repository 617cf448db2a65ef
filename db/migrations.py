"""Numbered schema migrations, applied in order by ``migrate``.

``cruxlab init``, the owner's start-up (the app's server, ``cruxlab serve``),
the first database call of an embedded command and the test fixtures all call
the same ``migrate(store)``, once per process. Each migration runs in its own
transaction and is recorded in ``schema_migrations``; a new schema change is a
new numbered function, never an edit of an old one.

No foreign-key constraints: DuckDB rewrites an UPDATE of a referenced row as
delete + insert and refuses it, so references are checked by the domain layer.
"""

from __future__ import annotations

from collections.abc import Callable

from db.store import Cursor, Store
from db.util import now

Migration = Callable[[Cursor], None]
MIGRATIONS: dict[int, tuple[str, Migration]] = {}


def migration(number: int) -> Callable[[Migration], Migration]:
    """Register ``fn`` as schema migration ``number``; numbers are unique."""

    def register(fn: Migration) -> Migration:
        if number in MIGRATIONS:
            raise ValueError(f"migration {number} is already registered")
        MIGRATIONS[number] = (fn.__name__, fn)
        return fn

    return register


CREATE_SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL
)
"""
SELECT_APPLIED = "SELECT version FROM schema_migrations ORDER BY version"
INSERT_APPLIED = "INSERT INTO schema_migrations VALUES (?, ?, ?)"


def migrate(store: Store) -> list[int]:
    """Apply every pending migration; return the numbers applied now (one open of the file)."""
    with store.session(), store.cursor() as cur:
        cur.execute(CREATE_SCHEMA_MIGRATIONS)
        done = {r["version"] for r in cur.all(SELECT_APPLIED)}
        applied_now = []
        for number in sorted(set(MIGRATIONS) - done):
            name, fn = MIGRATIONS[number]
            with store.transaction() as tx:
                # Re-read inside the transaction: another thread may have migrated.
                if number in {r["version"] for r in tx.all(SELECT_APPLIED)}:
                    continue
                fn(tx)
                tx.execute(INSERT_APPLIED, [number, name, now()])
                applied_now.append(number)
    return applied_now


def applied(store: Store) -> list[int]:
    """The migration numbers recorded in the database."""
    with store.cursor() as cur:
        cur.execute(CREATE_SCHEMA_MIGRATIONS)
        return [r["version"] for r in cur.all(SELECT_APPLIED)]


@migration(1)
def core_tables(cur: Cursor) -> None:
    for table in (
        "people",
        "dialogues",
        "turns",
        "candidates",
        "cruxes",
        "credences",
        "projects",
        "predictions",
        "runs",
        "outcomes",
    ):
        cur.execute(f"CREATE SEQUENCE {table}_id START 1")
    cur.execute("""
        CREATE TABLE people (
            id BIGINT PRIMARY KEY DEFAULT nextval('people_id'),
            name VARCHAR NOT NULL UNIQUE,
            role VARCHAR NOT NULL CHECK (role IN ('mentor', 'scholar')),
            created_at TIMESTAMP NOT NULL
        )""")
    cur.execute("""
        CREATE TABLE dialogues (
            id BIGINT PRIMARY KEY DEFAULT nextval('dialogues_id'),
            title VARCHAR NOT NULL,
            format VARCHAR NOT NULL,
            text VARCHAR NOT NULL,
            content_hash VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL
        )""")
    cur.execute("""
        CREATE TABLE turns (
            id BIGINT PRIMARY KEY DEFAULT nextval('turns_id'),
            dialogue_id BIGINT NOT NULL,
            idx INTEGER NOT NULL,
            speaker VARCHAR NOT NULL,
            start_offset INTEGER NOT NULL,
            end_offset INTEGER NOT NULL
        )""")
    cur.execute("""
        CREATE TABLE dialogue_speakers (
            dialogue_id BIGINT NOT NULL,
            speaker VARCHAR NOT NULL,
            person_id BIGINT,
            PRIMARY KEY (dialogue_id, speaker)
        )""")
    cur.execute("""
        CREATE TABLE candidates (
            id BIGINT PRIMARY KEY DEFAULT nextval('candidates_id'),
            dialogue_id BIGINT NOT NULL,
            kind VARCHAR NOT NULL CHECK (kind IN ('crux', 'project')),
            speaker VARCHAR NOT NULL,
            quote VARCHAR NOT NULL,
            start_offset INTEGER NOT NULL,
            end_offset INTEGER NOT NULL,
            summary VARCHAR NOT NULL,
            stance VARCHAR,
            credence DOUBLE,
            score DOUBLE NOT NULL,
            status VARCHAR NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'accepted', 'rejected')),
            crux_id BIGINT,
            project_id BIGINT,
            reviewed_at TIMESTAMP,
            created_at TIMESTAMP NOT NULL
        )""")
    cur.execute("""
        CREATE TABLE cruxes (
            id BIGINT PRIMARY KEY DEFAULT nextval('cruxes_id'),
            statement VARCHAR NOT NULL,
            dialogue_id BIGINT,
            candidate_id BIGINT,
            speaker VARCHAR,
            quote VARCHAR,
            quote_start INTEGER,
            quote_end INTEGER,
            version INTEGER NOT NULL DEFAULT 1,
            created_at TIMESTAMP NOT NULL,
            updated_at TIMESTAMP NOT NULL
        )""")
    cur.execute("""
        CREATE TABLE credences (
            id BIGINT PRIMARY KEY DEFAULT nextval('credences_id'),
            crux_id BIGINT NOT NULL,
            person_id BIGINT NOT NULL,
            value DOUBLE NOT NULL CHECK (value >= 0 AND value <= 1),
            reason VARCHAR,
            source VARCHAR NOT NULL CHECK (source IN ('manual', 'dialogue', 'outcome')),
            dialogue_id BIGINT,
            outcome_id BIGINT,
            created_at TIMESTAMP NOT NULL
        )""")
    cur.execute("""
        CREATE TABLE projects (
            id BIGINT PRIMARY KEY DEFAULT nextval('projects_id'),
            title VARCHAR NOT NULL,
            summary VARCHAR NOT NULL DEFAULT '',
            mentor_id BIGINT,
            assignee_id BIGINT,
            status VARCHAR NOT NULL DEFAULT 'proposed' CHECK (
                status IN ('proposed', 'assigned', 'running', 'in_review', 'done')),
            predictions_frozen_at TIMESTAMP,
            version INTEGER NOT NULL DEFAULT 1,
            created_at TIMESTAMP NOT NULL,
            updated_at TIMESTAMP NOT NULL
        )""")
    cur.execute("""
        CREATE TABLE project_cruxes (
            project_id BIGINT NOT NULL,
            crux_id BIGINT NOT NULL,
            PRIMARY KEY (project_id, crux_id)
        )""")
    cur.execute("""
        CREATE TABLE predictions (
            id BIGINT PRIMARY KEY DEFAULT nextval('predictions_id'),
            project_id BIGINT NOT NULL,
            crux_id BIGINT NOT NULL,
            person_id BIGINT NOT NULL,
            metric VARCHAR NOT NULL,
            op VARCHAR NOT NULL CHECK (op IN ('>', '>=', '<', '<=')),
            threshold DOUBLE NOT NULL,
            p_positive DOUBLE NOT NULL CHECK (p_positive >= 0 AND p_positive <= 1),
            if_positive DOUBLE NOT NULL CHECK (if_positive >= 0 AND if_positive <= 1),
            if_negative DOUBLE NOT NULL CHECK (if_negative >= 0 AND if_negative <= 1),
            note VARCHAR,
            created_at TIMESTAMP NOT NULL
        )""")
    cur.execute("""
        CREATE TABLE runs (
            id BIGINT PRIMARY KEY DEFAULT nextval('runs_id'),
            project_id BIGINT,
            template VARCHAR NOT NULL,
            config VARCHAR NOT NULL,
            seed BIGINT NOT NULL,
            status VARCHAR NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
            device VARCHAR,
            error VARCHAR,
            created_at TIMESTAMP NOT NULL,
            started_at TIMESTAMP,
            finished_at TIMESTAMP,
            ingested_at TIMESTAMP
        )""")
    cur.execute("""
        CREATE TABLE run_metrics (
            run_id BIGINT NOT NULL,
            name VARCHAR NOT NULL,
            step BIGINT NOT NULL,
            value DOUBLE,
            PRIMARY KEY (run_id, name, step)
        )""")
    cur.execute("""
        CREATE TABLE outcomes (
            id BIGINT PRIMARY KEY DEFAULT nextval('outcomes_id'),
            project_id BIGINT NOT NULL,
            run_id BIGINT NOT NULL,
            note VARCHAR,
            created_at TIMESTAMP NOT NULL
        )""")
    cur.execute("""
        CREATE TABLE outcome_evaluations (
            outcome_id BIGINT NOT NULL,
            prediction_id BIGINT NOT NULL,
            person_id BIGINT NOT NULL,
            crux_id BIGINT NOT NULL,
            metric VARCHAR NOT NULL,
            value DOUBLE NOT NULL,
            positive BOOLEAN NOT NULL,
            credence_before DOUBLE,
            proposed DOUBLE NOT NULL,
            PRIMARY KEY (outcome_id, prediction_id)
        )""")


@migration(2)
def candidates_can_be_merged(cur: Cursor) -> None:
    # A candidate merged into an existing crux gets status 'merged'. DuckDB cannot
    # alter a CHECK constraint, so the table is rebuilt with the same rows and ids.
    cur.execute("""
        CREATE TABLE candidates_v2 (
            id BIGINT PRIMARY KEY DEFAULT nextval('candidates_id'),
            dialogue_id BIGINT NOT NULL,
            kind VARCHAR NOT NULL CHECK (kind IN ('crux', 'project')),
            speaker VARCHAR NOT NULL,
            quote VARCHAR NOT NULL,
            start_offset INTEGER NOT NULL,
            end_offset INTEGER NOT NULL,
            summary VARCHAR NOT NULL,
            stance VARCHAR,
            credence DOUBLE,
            score DOUBLE NOT NULL,
            status VARCHAR NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'accepted', 'merged', 'rejected')),
            crux_id BIGINT,
            project_id BIGINT,
            reviewed_at TIMESTAMP,
            created_at TIMESTAMP NOT NULL
        )""")
    cur.execute("INSERT INTO candidates_v2 SELECT * FROM candidates")
    cur.execute("DROP TABLE candidates")
    cur.execute("ALTER TABLE candidates_v2 RENAME TO candidates")


# Migrations 10–19: the agenda views (questions, tags, notes, project plans).
# A tag is on an entity when its latest event there added it.
CURRENT_TAGS_VIEW = """
CREATE VIEW current_tags AS
SELECT kind, entity_id, tag FROM (
    SELECT kind, entity_id, tag, added,
           row_number() OVER (PARTITION BY kind, entity_id, tag ORDER BY id DESC) AS newest
    FROM tag_events
) WHERE newest = 1 AND added
"""
TAG_LISTS_VIEW = """
CREATE VIEW tag_lists AS
SELECT kind, entity_id, list(tag ORDER BY tag) AS tags FROM current_tags GROUP BY kind, entity_id
"""
NOTE_SUMMARIES_VIEW = """
CREATE VIEW note_summaries AS
SELECT kind, entity_id, count(*) AS n_notes, arg_max(body, id) AS latest_note
FROM notes GROUP BY kind, entity_id
"""


@migration(10)
def questions(cur: Cursor) -> None:
    cur.execute("CREATE SEQUENCE questions_id START 1")
    cur.execute("""
        CREATE TABLE questions (
            id BIGINT PRIMARY KEY DEFAULT nextval('questions_id'),
            text VARCHAR NOT NULL UNIQUE,
            created_at TIMESTAMP NOT NULL
        )""")
    # NULL: the crux sits under the default question.
    cur.execute("ALTER TABLE cruxes ADD COLUMN question_id BIGINT")


@migration(11)
def tags_and_notes(cur: Cursor) -> None:
    for table in ("tag_events", "notes"):
        cur.execute(f"CREATE SEQUENCE {table}_id START 1")
    cur.execute("""
        CREATE TABLE tag_events (
            id BIGINT PRIMARY KEY DEFAULT nextval('tag_events_id'),
            kind VARCHAR NOT NULL CHECK (kind IN ('crux', 'project', 'run')),
            entity_id BIGINT NOT NULL,
            tag VARCHAR NOT NULL,
            added BOOLEAN NOT NULL,
            created_at TIMESTAMP NOT NULL
        )""")
    cur.execute("""
        CREATE TABLE notes (
            id BIGINT PRIMARY KEY DEFAULT nextval('notes_id'),
            kind VARCHAR NOT NULL CHECK (kind IN ('project', 'run')),
            entity_id BIGINT NOT NULL,
            person_id BIGINT,
            body VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL
        )""")
    for view in (CURRENT_TAGS_VIEW, TAG_LISTS_VIEW, NOTE_SUMMARIES_VIEW):
        cur.execute(view)


@migration(12)
def project_plans(cur: Cursor) -> None:
    cur.execute("ALTER TABLE projects ADD COLUMN effort_days DOUBLE")
    cur.execute("ALTER TABLE projects ADD COLUMN due_date DATE")
    cur.execute("ALTER TABLE projects ADD COLUMN blind_predictions BOOLEAN DEFAULT false")


# Migrations 20–29: the run lifecycle at scale (issue 10).
@migration(20)
def run_lifecycle(cur: Cursor) -> None:
    # A run can be cancelled, carries its executor's job handle and the heartbeat and
    # progress its worker reports. DuckDB cannot alter a CHECK constraint, so the
    # table is rebuilt with the same rows and ids.
    cur.execute("""
        CREATE TABLE runs_v2 (
            id BIGINT PRIMARY KEY DEFAULT nextval('runs_id'),
            project_id BIGINT,
            template VARCHAR NOT NULL,
            config VARCHAR NOT NULL,
            seed BIGINT NOT NULL,
            status VARCHAR NOT NULL DEFAULT 'queued' CHECK (
                status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
            device VARCHAR,
            error VARCHAR,
            created_at TIMESTAMP NOT NULL,
            started_at TIMESTAMP,
            finished_at TIMESTAMP,
            ingested_at TIMESTAMP,
            executor VARCHAR,
            job_id VARCHAR,
            heartbeat_at TIMESTAMP,
            progress DOUBLE,
            message VARCHAR
        )""")
    cur.execute("""
        INSERT INTO runs_v2 BY NAME
        SELECT *, CASE WHEN status = 'succeeded' THEN 1.0 ELSE 0.0 END AS progress FROM runs""")
    cur.execute("DROP TABLE runs")
    cur.execute("ALTER TABLE runs_v2 RENAME TO runs")
    # Metrics arrive in bulk, once per run (the run's state guards that), so the table
    # keeps no primary-key index: that index cost more than the insert itself.
    cur.execute("""
        CREATE TABLE run_metrics_v2 (
            run_id BIGINT NOT NULL,
            name VARCHAR NOT NULL,
            step BIGINT NOT NULL,
            value DOUBLE
        )""")
    cur.execute("INSERT INTO run_metrics_v2 SELECT * FROM run_metrics ORDER BY run_id, name, step")
    cur.execute("DROP TABLE run_metrics")
    cur.execute("ALTER TABLE run_metrics_v2 RENAME TO run_metrics")
    # Each metric's value at its last step, written with the metrics: sorting and
    # filtering runs by a metric never has to aggregate a long curve.
    cur.execute("""
        CREATE TABLE run_finals (
            run_id BIGINT NOT NULL,
            name VARCHAR NOT NULL,
            step BIGINT NOT NULL,
            value DOUBLE
        )""")
    cur.execute("""
        INSERT INTO run_finals
        SELECT run_id, name, max(step), arg_max(value, step) FROM run_metrics
        GROUP BY run_id, name ORDER BY run_id, name""")
