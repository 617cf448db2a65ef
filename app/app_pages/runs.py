"""Runs: start a template, browse the runs table (filtered, sorted and paginated in the
database), compare runs, and read one run's metrics, curves, heatmaps and log."""

from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from app.app_pages import common, run_form
from cruxes import people, projects, runs
from cruxes.models import RUN_STATUSES, Comparison, RunPage, RunQuery, RunView, parse

REFRESH_S = 2
PAGE_SIZE = 50
ANY = "any"
SORT_COLUMNS = ("id", "created_at", "finished_at", "status", "template", "project", "progress")


def filters() -> RunQuery:
    """The runs table's filters, sort and page from the widgets."""
    store = common.get_store()
    with st.expander("Filter and sort", expanded=False):
        first, second, third = st.columns(3)
        titles = {p.id: f"{p.id} · {p.title}" for p in projects.list_projects(store)}
        project = first.selectbox(
            "Project", [None, *titles], format_func=lambda p: titles.get(p, ANY), key="runs_project"
        )
        template = second.selectbox(
            "Template",
            [None, *(t.name for t in runs.list_templates())],
            format_func=lambda t: t or ANY,
            key="runs_template",
        )
        status = third.selectbox(
            "Status", [None, *RUN_STATUSES], format_func=lambda s: s or ANY, key="runs_status"
        )
        person = first.selectbox(
            "Person (assignee)",
            [None, *(p.name for p in people.list_people(store))],
            format_func=lambda n: n or ANY,
            key="runs_person",
        )
        tag = second.text_input("Tag", key="runs_tag")
        metric = third.text_input(
            "Metric filter",
            key="runs_metric",
            placeholder="faithfulness > 0.9",
            help="NAME OP NUMBER on each run's final value; OP is >, >=, <, <=, = or !=.",
        )
        param = first.text_input(
            "Config filter",
            key="runs_param",
            placeholder="n_sequences = 64",
            help="KEY OP VALUE on each run's config; text values take = and != only.",
        )
        since = first.date_input("Created from", value=None, key="runs_since")
        until = second.date_input("Created until", value=None, key="runs_until")
        sorts = [*SORT_COLUMNS, *runs.metric_names(store)]
        sort = third.selectbox("Sort by (column or metric)", sorts, key="runs_sort")
        ascending = third.toggle("Smallest first", key="runs_ascending")
    page_number = st.session_state.get("runs_page_number", 1)
    return parse(
        RunQuery,
        "runs filter",
        project_id=project,
        template=template,
        status=status,
        tag=tag.strip() or None,
        person=person,
        since=since,
        until=until,
        metrics=[metric] if metric.strip() else [],
        params=[param] if param.strip() else [],
        sort=sort,
        descending=not ascending,
        limit=PAGE_SIZE,
        offset=(page_number - 1) * PAGE_SIZE,
    )


def runs_section() -> None:
    st.subheader("All runs")
    query = filters()
    refresh_col, _ = st.columns([1, 3])
    if refresh_col.button("Refresh run states", help="Record finished runs, fail lost ones."):
        changed = runs.refresh(common.get_store())
        common.done(
            ", ".join(f"run {i} {s}" for i, s in changed.items()) or "Every run is up to date."
        )
    page = runs.run_page(common.get_store(), query)
    if not page.total and not page.by_status:
        st.info("No runs yet: start one above.")
        return
    live = any(page.by_status.get(s) for s in ("queued", "running"))
    shown = metric_choice(page, query, live)
    if live:
        # Poll only while something is queued or running: one page query, no folder reads.
        st.fragment(live_panel, run_every=REFRESH_S)(query, shown)
    else:
        runs_table(page, shown, live=False)
    pages = max(1, -(-page.total // PAGE_SIZE))
    if st.session_state.get("runs_page_number", 1) > pages:  # the filters left fewer pages
        st.session_state["runs_page_number"] = pages
    st.number_input(
        f"Page (of {pages:,})", min_value=1, max_value=pages, key="runs_page_number", step=1
    )
    ids = page.table.column("id").to_pylist()
    chosen = st.session_state.get("run")
    labels = {r["id"]: f"{r['id']} · {r['template']} · {r['status']}" for r in _rows(page)}
    options = ids if chosen in ids or chosen is None else [chosen, *ids]
    if options:
        run_id = common.pick("Run", options, key="run", format_func=lambda i: labels.get(i, i))
        run_detail(runs.get_run(common.get_store(), run_id))
    compare_section(ids)


def _rows(page: RunPage) -> list[dict]:
    return page.table.select(["id", "template", "status"]).to_pylist()


def live_panel(query: RunQuery, shown: list[str]) -> None:
    """The page of runs, refreshed every few seconds while runs are live."""
    page = runs.run_page(common.get_store(), query)
    if not any(page.by_status.get(s) for s in ("queued", "running")):
        st.rerun()  # everything finished: redraw the page once and stop polling
    runs_table(page, shown, live=True)


# The table's own columns, which fit the page at 1280 px with two metric columns (one while
# runs are live, beside their progress); the rest of a run is in its detail below.
COLUMNS = ("id", "project_title", "template", "status", "created_at", "tags")
METRIC_COLUMNS = 2


def metric_choice(page: RunPage, query: RunQuery, live: bool) -> list[str]:
    """The metrics to show as columns: chosen, else the sort and filter metrics, then the
    first of the others, as many as fit."""
    metrics = list(page.metric_columns)
    filtered = [runs.parse_metric_filter(f)[0] for f in query.metrics]  # parsed: valid
    named = [m for m in (query.sort, *filtered) if m in metrics]
    fit = METRIC_COLUMNS - (1 if live else 0)
    default = list(dict.fromkeys([*named, *metrics]))[: max(fit, len(set(named)))]
    return st.multiselect(
        "Metric columns",
        metrics,
        default=default,
        # Other metrics, or a new sort or metric filter, start afresh from their default.
        key=f"runs_metrics_{'-'.join(metrics)}_{'-'.join(default)}",
        help="Each run's final value of these metrics. Sort and filter by any metric above.",
    )


def runs_table(page: RunPage, shown: list[str], *, live: bool) -> None:
    states = " · ".join(f"{n:,} {s}" for s, n in page.by_status.items())
    templates = " · ".join(f"{n:,} {t}" for t, n in page.by_template.items())
    st.caption(f"{page.total:,} runs match ({states}). Per template: {templates or '—'}.")
    metric_cols = [page.metric_columns[m] for m in shown if m in page.metric_columns]
    columns = [*COLUMNS[:4], *(["progress"] if live else []), *COLUMNS[4:], *metric_cols]
    common.table(
        page.table.select(columns).to_pandas(),
        wrap={"project_title": 140},
        lines=2,
        column_config={
            "id": st.column_config.NumberColumn(width=45),
            "project_title": st.column_config.TextColumn("project", width=140),
            "template": st.column_config.TextColumn(width=130),
            "status": st.column_config.TextColumn(width=80),
            "progress": st.column_config.ProgressColumn(
                min_value=0.0, max_value=1.0, format="percent", width=70
            ),
            "created_at": st.column_config.DatetimeColumn(
                "created", format=common.TIME_FORMAT, width=125
            ),
            "tags": st.column_config.ListColumn(width=80),
            **{
                column: st.column_config.NumberColumn(name, format="%.3f", width=90, help=name)
                for name, column in page.metric_columns.items()
                if column in metric_cols
            },
        },
    )


def compare_section(page_ids: list[int]) -> None:
    st.subheader("Compare runs")
    chosen = st.multiselect("Runs on this page", page_ids, key="compare_page_runs")
    typed = st.text_input(
        "More runs (ids and ranges, up to 1,000 in all)",
        key="compare_ids",
        placeholder="12, 15-40",
    )
    ids = [*chosen, *runs.parse_run_ids(typed)]
    if len(ids) < 2:
        st.caption("Choose two runs or more: their differing config keys and metrics side by side.")
        return
    comparison_view(runs.compare(common.get_store(), ids))


def comparison_view(c: Comparison) -> None:
    same = ", ".join(f"{k} = {v}" for k, v in c.same.items())
    st.caption(f"{len(c.ids):,} runs. The same in all: {same or '—'}.")
    frame = c.table.to_pandas()
    st.dataframe(frame, hide_index=True)
    metrics, keys = list(c.metric_columns.values()), c.differing
    if not metrics or not keys:
        return
    x_col, y_col = st.columns(2)
    x = x_col.selectbox("Config key (x)", keys, key="compare_x")
    y = y_col.selectbox("Metric (y)", metrics, key="compare_y")
    st.altair_chart(
        alt.Chart(frame)
        .mark_circle(size=60)
        .encode(
            x=alt.X(f"{x}:{'Q' if frame[x].dtype.kind in 'fi' else 'N'}", title=x),
            y=alt.Y(f"{y}:Q", title=y),
            color=alt.Color("status:N", title="Status"),
            tooltip=["id", x, y],
        ),
        width="stretch",
    )


def run_detail(run: RunView) -> None:
    store = common.get_store()
    st.markdown(f"#### Run {run.id}: {run.template} for project {run.project_id}")
    st.caption(
        f"{run.status}"
        + (f" on {run.device}" if run.device else "")
        + f" · seed {run.seed} · created {run.created_at:%Y-%m-%d %H:%M}"
        + (f" · last heartbeat {run.heartbeat_at:%H:%M:%S}" if run.heartbeat_at else "")
    )
    if not run.finished:
        st.progress(min(max(run.progress, 0.0), 1.0), text=run.message or run.status)
        if st.button("Cancel run", key="cancel_run"):
            with common.errors():
                ended = runs.cancel_run(store, run.id, actor=common.current_person())
                common.done(f"Run {run.id} is {ended.status}.")
    if run.status == "failed":
        st.error(f"Run {run.id} failed: {run.error or 'see the log below.'}")
    with st.expander("Config"):
        st.json(run.config)
    metrics_view(run)
    for path in run.artifacts:
        if path.endswith(".png"):
            st.image(path, caption=Path(path).name)
    others = [Path(p).name for p in run.artifacts if not p.endswith(".png")]
    if others:
        st.caption("Other artifacts: " + ", ".join(others) + f" (in {run.folder})")
    curves_view(runs.metric_curves(store, run.id).to_pandas())
    tags_col, notes_col = st.columns(2)
    with tags_col:
        common.tags_editor("run", run.id)
    with notes_col:
        common.notes_section("run", run.id)
    with st.expander("Log (tail)", expanded=run.status != "succeeded"):
        st.code(runs.run_log(store, run.id) or "(empty)", language=None)


def metrics_view(run: RunView) -> None:
    if not run.metrics:
        st.caption("No metrics yet.")
        return
    template = next((t for t in runs.list_templates() if t.name == run.template), None)
    names = sorted(run.metrics)
    columns = st.columns(min(len(names), 4))  # five cut labels such as max_prev_token_score
    for i, name in enumerate(names):
        value = run.metrics[name]
        meta = template.metric(name) if template else None
        help_text = (
            f"{meta.description} ({meta.unit}; "
            + ("higher is better)" if meta.higher_is_better else "lower is better)")
            if meta
            else None
        )
        columns[i % len(columns)].metric(
            name, "—" if value is None else f"{value:.4g}", help=help_text
        )


def curves_view(data: pd.DataFrame) -> None:
    """Per-step curves of the metrics logged at more than one step (long ones bucketed)."""
    if data.empty:
        return
    stepped = data.groupby("name")["step"].nunique()
    curves = data[data["name"].isin(stepped[stepped > 1].index)]
    if not curves.empty:
        st.altair_chart(
            alt.Chart(curves)
            .mark_line(point=len(curves) <= 200)
            .encode(
                x=alt.X("step:Q", title="Step"),
                y=alt.Y("value:Q", title="Value"),
                color=alt.Color("name:N", title="Metric"),
                tooltip=["name", "step", "value", "n"],
            ),
            width="stretch",
        )
        if (curves["n"] > 1).any():
            st.caption("Long curves are drawn as the mean of each bucket of steps (n per point).")
    with st.expander("Metric history"):
        st.dataframe(data, hide_index=True)


def render() -> None:
    common.page_title("runs")
    common.show_flash()
    run_form.start_section()
    st.divider()
    runs_section()


with common.errors(), common.get_store().session():
    render()
