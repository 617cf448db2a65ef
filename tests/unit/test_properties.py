"""Property-based tests: generated bad input is refused in one sentence and changes nothing.

Each property runs a fixed, derandomized set of examples (so a failure reproduces);
together they generate more than 10,000 inputs (``-s`` prints the count). A
refusal must be the project's own ``InvalidInput`` with one sentence; anything
else escaping is a failure, as is a database that changed on a refusal.
"""

from __future__ import annotations

import io
import math
import shutil
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cruxes import beliefs, exchange, people, predictions, runs
from cruxes.dialogues import check_text, read_limited
from cruxes.errors import Conflict, InvalidInput
from cruxes.extract import extract_rules, verify_quotes
from cruxes.formats import FORMATS, parse
from cruxes.models import CredenceIn, PredictionIn, Turn
from cruxes.models import parse as validate
from cruxes.workspace import open_store
from db import exchange as exchange_table
from experiments.registry import templates

GENERATED: Counter[str] = Counter()


def fast(n: int):
    return settings(
        max_examples=n,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
            HealthCheck.filter_too_much,
        ],
    )


@pytest.fixture(scope="module", autouse=True)
def report_count():
    yield
    print(f"\nproperty tests: {sum(GENERATED.values())} generated inputs ({dict(GENERATED)})")


def one_sentence(exc: BaseException) -> None:
    message = str(exc)
    assert isinstance(exc, InvalidInput | Conflict), repr(exc)
    assert message and "\n" not in message and "Traceback" not in message, message
    assert message.rstrip("'\"").endswith((".", "?")), message


# ---------------------------------------------------------------- transcripts

NAMES = st.sampled_from(["Mara", "Theo", "Ana L.", "dr. x", "Ünïcode", "A" * 90, "", "  "])
CUES = st.sampled_from(
    [
        "I think SAEs work; maybe 30%.",
        "I'd bet 70% on it.",
        "We could train a toy model and test whether it holds.",
        "that is our crux: probes are enough.",
        "1 in 3",
        "very unlikely",
        "<b>bold</b> &amp; <script>x</script>",
        "'); DROP TABLE turns; --",
        "",
    ]
)
LINE = st.one_of(
    st.builds(lambda n, t: f"{n}: {t}", NAMES, CUES),
    st.builds(lambda n, t: f"**{n}**\n{t}", NAMES, CUES),
    st.builds(lambda n, t: f"### {n}\n\n{t}", NAMES, CUES),
    st.builds(lambda n, t: f"[00:0{len(t) % 10}:12] {n}: {t}", NAMES, CUES),
    st.builds(lambda n, t: f"<p><b>{n}:</b> {t}</p>", NAMES, CUES),
    st.text(max_size=60),
)
TRANSCRIPT = st.lists(LINE, max_size=8).map("\n".join)


@fast(1500)
@given(TRANSCRIPT, st.sampled_from(FORMATS), st.one_of(st.none(), NAMES))
def test_parsers_and_extractor_read_or_refuse_any_text(text, fmt, speaker):
    GENERATED["transcripts"] += 1
    try:
        parsed = parse(check_text(text).replace("\r\n", "\n"), fmt, speaker)
    except InvalidInput as exc:
        return one_sentence(exc)
    body = parsed.text
    turns = [
        Turn(idx=i, speaker=t.speaker, start=t.start, end=t.end, text=body[t.start : t.end])
        for i, t in enumerate(parsed.turns)
    ]
    assert all(0 <= t.start <= t.end <= len(body) and t.speaker for t in turns)
    result, _ = verify_quotes(body, extract_rules(body, turns))
    for c in result.candidates():
        assert body[c.start_offset : c.end_offset] == c.quote


@fast(500)
@given(st.binary(max_size=2000), st.integers(min_value=0, max_value=4000))
def test_uploads_are_decoded_or_refused(monkeypatch_module, raw, limit):
    GENERATED["uploads"] += 1
    monkeypatch_module.setenv("CRUXLAB_MAX_DIALOGUE_MB", str(max(limit, 1) / 1024 / 1024))
    stream = io.BytesIO(raw)
    try:
        text = read_limited(stream, "upload.txt", len(raw))
    except InvalidInput as exc:
        one_sentence(exc)
        assert stream.tell() in (0, min(len(raw), max(limit, 1) + 1))
        return
    assert text.encode("utf-8") in (raw, raw.removeprefix(b"\xef\xbb\xbf"))


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


# ---------------------------------------------------------------- credences and predictions

NUMBERISH = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["-0.1", "0.5", "50%", "150%", "1e-3", "nan", "inf", " 0.3 ", "0,5", "½"]),
)


def is_probability(value) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            return False
    return not math.isnan(value) and 0 <= value <= 1


@fast(3500)
@given(NUMBERISH, st.one_of(st.none(), st.text(max_size=40)))
def test_credence_values_are_probabilities_or_refused(value, reason):
    GENERATED["credences"] += 1
    try:
        entry = validate(CredenceIn, "credence", value=value, reason=reason)
    except InvalidInput as exc:
        one_sentence(exc)
        assert not is_probability(value)
        return
    assert is_probability(value) and 0 <= entry.value <= 1


@fast(2000)
@given(
    st.one_of(st.sampled_from(["max_induction_score", ""]), st.text(max_size=20)),
    st.one_of(st.sampled_from([">", ">=", "<", "<="]), st.text(max_size=3)),
    NUMBERISH,
    NUMBERISH,
    NUMBERISH,
    NUMBERISH,
)
def test_prediction_fields_are_checked(metric, op, threshold, p, c_pos, c_neg):
    GENERATED["predictions"] += 1
    try:
        form = validate(
            PredictionIn, "prediction", metric=metric, op=op, threshold=threshold,
            p_positive=p, if_positive=c_pos, if_negative=c_neg,
        )  # fmt: skip
    except InvalidInput as exc:
        return one_sentence(exc)
    assert all(is_probability(v) for v in (p, c_pos, c_neg)) and math.isfinite(form.threshold)


@pytest.fixture(scope="module")
def agenda(tmp_path_factory):
    """A held store with one person, crux and open project."""
    store = open_store(tmp_path_factory.mktemp("props") / "home").hold()
    people.add_person(store, "Mara", "mentor")
    beliefs.add_crux(store, "Probes suffice.")
    from cruxes import projects

    projects.add_project(store, "Probe it", crux_ids=[1])
    yield store
    store.release()


def dump(store) -> dict[str, list[tuple]]:
    with store.cursor() as cur:
        return {
            t: [tuple(r.values()) for r in cur.all(f'SELECT * FROM "{t}" ORDER BY ALL')]
            for t in exchange_table.tables(cur)
        }


@fast(500)
@given(NUMBERISH.filter(lambda v: not is_probability(v)), NUMBERISH)
def test_refused_credences_and_predictions_leave_the_database_unchanged(agenda, value, other):
    GENERATED["refused writes"] += 1
    before = dump(agenda) if GENERATED["refused writes"] % 50 == 1 else None
    with pytest.raises(InvalidInput) as refused:
        beliefs.add_credence(agenda, 1, "Mara", value)
    one_sentence(refused.value)
    with pytest.raises(InvalidInput) as refused:
        predictions.add_prediction(
            agenda, 1, 1, "Mara", metric="max_induction_score", op=">", threshold=0.5,
            p_positive=value, if_positive=other, if_negative=0.5,
        )  # fmt: skip
    one_sentence(refused.value)
    if before is not None:
        assert dump(agenda) == before


# ---------------------------------------------------------------- template configs

TEMPLATES = templates()
KEYS = st.one_of(
    st.sampled_from(sorted({k for t in TEMPLATES for k in t.config.model_fields})),
    st.text(max_size=10),
)
VALUES = st.one_of(
    st.sampled_from(["", "0", "-1", "1e9", "nan", "organism:induction-2l", "true", "0.0,1.1"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=16),
)
PAIRS = st.lists(
    st.one_of(st.builds(lambda k, v: f"{k}={v}", KEYS, VALUES), st.text(max_size=12)),
    max_size=4,
)


@fast(2000)
@given(st.sampled_from(TEMPLATES), PAIRS)
def test_template_configs_from_set_values_are_built_or_refused(template, pairs):
    GENERATED["--set values"] += 1
    try:
        config = template.parse_config(runs.parse_assignments(pairs))
    except InvalidInput as exc:
        return one_sentence(exc)
    assert template.parse_config(config.model_dump()) == config  # a config round-trips


# ---------------------------------------------------------------- forged exports


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    store = open_store(tmp_path_factory.mktemp("source") / "home")
    people.add_person(store, "Mara", "mentor")
    people.add_person(store, "Theo", "scholar")
    beliefs.add_crux(store, "Probes suffice.")
    beliefs.add_credence(store, 1, "Mara", 0.3)
    beliefs.add_credence(store, 1, "Theo", 0.7, reason="a reason")
    out = tmp_path_factory.mktemp("export") / "export"
    exchange.export_home(store, out)
    return out


@pytest.fixture(scope="module")
def empty(tmp_path_factory):
    store = open_store(tmp_path_factory.mktemp("empty") / "home").hold()
    yield store
    store.release()


CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),
    st.text(max_size=8),
    st.sampled_from(["admin", "mentor", "manual", 5.0, -1, 0]),
)
FORGERY = st.one_of(
    st.tuples(st.just("cell"), st.sampled_from(["people", "cruxes", "credences"]), CELLS),
    st.tuples(st.just("truncate"), st.sampled_from(["people", "credences"]), st.floats(0, 1)),
    st.tuples(st.just("column"), st.sampled_from(["people", "credences"]), st.text(max_size=6)),
    st.tuples(st.just("duplicate"), st.sampled_from(["people", "cruxes", "credences"]), st.none()),
    st.tuples(st.just("drop"), st.sampled_from(["people", "credences"]), st.none()),
)


def forge(path: Path, kind: str, value, data) -> None:
    if kind == "truncate":
        raw = path.read_bytes()
        path.write_bytes(raw[: int(len(raw) * value)])
        return
    table = pq.read_table(path)
    if kind == "cell":
        column = data.draw(st.sampled_from(table.column_names))
        cells = table.column(column).to_pylist()
        cells[data.draw(st.integers(0, len(cells) - 1))] = value
        try:
            array = pa.array(cells)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            array = pa.array([None if c is None else str(c) for c in cells])
        table = table.set_column(table.column_names.index(column), column, array)
    elif kind == "column":
        table = table.append_column(f"x_{value}", pa.array([1] * table.num_rows))
    elif kind == "duplicate":
        table = pa.concat_tables([table, table])
    elif kind == "drop":
        table = table.drop_columns([data.draw(st.sampled_from(table.column_names))])
    pq.write_table(table, path)


@fast(60)
@given(FORGERY, st.data())
def test_corrupted_or_forged_exports_are_refused_or_restored_whole(
    export, empty, tmp_path_factory, forgery, data
):
    GENERATED["forged exports"] += 1
    kind, table, value = forgery
    forged = tmp_path_factory.mktemp("forged")
    for source in export.glob("*.parquet"):  # tables only: a forged file, the rest linked
        (forged / source.name).hardlink_to(source)
    (forged / f"{table}.parquet").unlink()
    shutil.copy(export / f"{table}.parquet", forged / f"{table}.parquet")
    forge(forged / f"{table}.parquet", kind, value, data)
    try:
        exchange.import_home(empty, forged)
    except (InvalidInput, Conflict) as exc:
        one_sentence(exc)
        with empty.cursor() as cur:  # refused: the home is still empty
            counts = exchange_table.row_counts(cur)
        assert {t: n for t, n in counts.items() if n and t != "schema_migrations"} == {}
    else:  # the change was harmless (e.g. a note's text): every row went in; empty it again
        with empty.transaction() as cur:
            for name in exchange_table.tables(cur):
                if name != "schema_migrations":
                    cur.execute(f'DELETE FROM "{name}"')
    finally:
        shutil.rmtree(forged)
