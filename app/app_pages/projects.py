"""Projects: propose, assign and move them along; pre-register predictions before any run."""

from datetime import date

import pandas as pd
import streamlit as st

from app.app_pages import common
from cruxes import beliefs, board, people, predictions, projects, runs, team
from cruxes.models import (
    OPS,
    PROJECT_STATUSES,
    EvidenceCheck,
    Person,
    Project,
    ProjectDetail,
    ProjectPlan,
)


def create_section(statements: dict[int, str], everyone: list[Person]) -> None:
    mentors = [p.name for p in everyone if p.role == "mentor"]
    with st.expander("Propose a project"), st.form("add_project", clear_on_submit=True):
        title = st.text_input(
            "Title", help="What the project sets out to find.", key="project_title"
        )
        summary = st.text_area(
            "Summary", help="Method and why it informs the cruxes.", key="project_summary"
        )
        crux_ids = st.multiselect(
            "Cruxes it informs",
            list(statements),
            key="project_cruxes",
            format_func=lambda i: f"{i} · {statements[i]}",
        )
        options = [None, *mentors]
        mentor = st.selectbox(
            "Mentor",
            options,
            index=common.index_of(options, common.current_person()),
            format_func=lambda n: n or "— none —",
            key="project_mentor",
        )
        effort, due, blind = plan_fields("new_project")
        if st.form_submit_button("Propose project", type="primary"):
            with common.errors():
                p = projects.add_project(
                    common.get_store(),
                    title,
                    summary=summary,
                    crux_ids=crux_ids,
                    mentor=mentor,
                    effort_days=effort,
                    due_date=due,
                    blind_predictions=blind,
                    actor=common.current_person(),
                )
                common.choose("project", p.id)
                common.done(f"Added project {p.id} ({p.status}).")


def plan_fields(key: str, p: Project | None = None) -> tuple[str | None, date | None, bool]:
    """Effort (days), due date and the blind toggle, as widgets inside a form."""
    effort_col, due_col, set_col = st.columns(3)
    effort = effort_col.text_input(
        "Effort (days)",
        value="" if p is None or p.effort_days is None else f"{p.effort_days:g}",
        key=f"{key}_effort",
        help=ProjectPlan.model_fields["effort_days"].description + " Leave empty for none.",
    )
    has_due = set_col.checkbox(
        "Has a due date", value=p is not None and p.due_date is not None, key=f"{key}_has_due"
    )
    due = due_col.date_input(
        "Due date", value=p.due_date if p and p.due_date else None, key=f"{key}_due"
    )
    blind = st.toggle(
        "Hide others' predictions until each person has entered theirs",
        value=p is not None and p.blind_predictions,
        key=f"{key}_blind",
        help=ProjectPlan.model_fields["blind_predictions"].description,
    )
    return effort.strip() or None, due if has_due else None, blind


def plan_section(p: Project) -> None:
    with st.expander("Plan: effort, due date, blind predictions"), st.form("plan"):
        effort, due, blind = plan_fields("plan", p)
        if st.form_submit_button("Save plan"):
            with common.errors():
                updated = projects.plan_project(
                    common.get_store(),
                    p.id,
                    effort_days=effort,
                    due_date=due,
                    blind_predictions=blind,
                    expected_version=p.version,
                    actor=common.current_person(),
                )
                common.done(f"Saved the plan of project {updated.id}.")


def overview(p: Project, statements: dict[int, str]) -> None:
    st.header(p.title)
    status, assignee, mentor, effort, due = st.columns(5)
    status.metric("Status", p.status)
    assignee.metric("Assignee", p.assignee_name or "—")
    mentor.metric("Mentor", p.mentor_name or "—")
    effort.metric("Effort (days)", "—" if p.effort_days is None else f"{p.effort_days:g}")
    due.metric("Due", "—" if p.due_date is None else f"{p.due_date:%Y-%m-%d}")
    if p.summary:
        st.markdown(common.plain(p.summary))
    st.markdown("**Cruxes it informs**")
    if not p.crux_ids:
        st.caption("None yet: link one below.")
    for crux_id in p.crux_ids:
        st.markdown(f"- {crux_id} · {common.plain(statements.get(crux_id, ''))}")


def manage_section(p: Project, statements: dict[int, str], everyone: list[Person]) -> None:
    assign_col, status_col, link_col = st.columns(3)
    with assign_col, st.form("assign"):
        scholar = common.person_select(
            "Assign to scholar", everyone, key="assignee", role="scholar"
        )
        if st.form_submit_button("Assign", disabled=scholar is None):
            with common.errors():
                updated = projects.assign(
                    common.get_store(),
                    p.id,
                    scholar or "",
                    expected_version=p.version,
                    actor=common.current_person(),
                )
                common.done(f"Project {updated.id} assigned to {updated.assignee_name}.")
    with status_col, st.form("status"):
        status = st.selectbox(
            "Move to status",
            PROJECT_STATUSES,
            index=PROJECT_STATUSES.index(p.status),
            help="proposed → assigned → running → in_review → done",
        )
        if st.form_submit_button("Set status"):
            with common.errors():
                updated = projects.set_status(
                    common.get_store(),
                    p.id,
                    status,
                    expected_version=p.version,
                    actor=common.current_person(),
                )
                common.done(f"Project {updated.id} is {updated.status}.")
    with link_col, st.form("link"):
        unlinked = [i for i in statements if i not in p.crux_ids]
        crux_id = st.selectbox(
            "Link another crux", unlinked, format_func=lambda i: f"{i} · {statements[i]}"
        )
        if st.form_submit_button("Link crux", disabled=not unlinked):
            with common.errors():
                updated = projects.link_crux(
                    common.get_store(), p.id, crux_id, actor=common.current_person()
                )
                common.done(f"Project {updated.id} informs cruxes {updated.crux_ids}.")


PREDICTION_COLUMNS = {  # short headers (the help says it in full), so the table fits the page
    "P(positive)": common.two_decimals("P", "P(positive): how likely the result is positive."),
    "credence if positive": common.two_decimals("c₊", "Credence if the result is positive."),
    "credence if negative": common.two_decimals("c₋", "Credence if the result is negative."),
    "implied prior": common.two_decimals("prior", "Implied prior P·c₊ + (1 − P)·c₋."),
}


def predictions_section(d: ProjectDetail) -> None:
    st.subheader("Pre-registered predictions")
    p = d.project
    if p.predictions_frozen_at:
        st.info(
            f"Predictions froze at {p.predictions_frozen_at:%Y-%m-%d %H:%M} UTC, when the "
            "project's first run started; they can no longer change.",
            icon=":material/lock:",
        )
    every = d.predictions
    if d.hidden_predictions:
        st.info(
            f"{d.hidden_predictions} of others' predictions are hidden until you enter yours "
            "on their crux (this project keeps predictions blind until they freeze).",
            icon=":material/visibility_off:",
        )
    show_all = st.toggle("Show superseded predictions", key="show_superseded")
    shown = every if show_all else [pr for pr in every if pr.is_current]
    if not shown:
        st.caption("No predictions yet.")
    else:
        common.table(
            pd.DataFrame(
                [
                    {
                        "id": pr.id,
                        "person": pr.person_name,
                        "crux": pr.crux_id,
                        "positive if": pr.rule,
                        "P(positive)": pr.p_positive,
                        "credence if positive": pr.if_positive,
                        "credence if negative": pr.if_negative,
                        "implied prior": pr.implied_prior,
                        "note": pr.note or "",
                        "current": pr.is_current,
                        "created": pr.created_at,
                    }
                    for pr in shown
                ]
            ),
            wrap={"positive if": 175, "note": 110},
            column_config=PREDICTION_COLUMNS,
        )
    checks = d.evidence_checks
    if checks:
        st.markdown(
            "**Expected-evidence checks** — P·c₊ + (1−P)·c₋ should equal the credence "
            "held now (or when predictions froze)."
        )
        st.dataframe(_checks_table(checks), hide_index=True, width="content")
        for c in checks:
            if c.flagged:
                st.warning(check_line(c), icon=":material/warning:")


def _checks_table(checks: list[EvidenceCheck]):
    table = pd.DataFrame(
        [
            {
                "prediction": c.prediction_id,
                "person": c.person_name,
                "crux": c.crux_id,
                "implied prior": c.implied_prior,
                "credence": c.current,
                "gap": c.gap,
                "flagged": c.flagged,
            }
            for c in checks
        ]
    )

    def highlight(row: pd.Series) -> list[str]:
        style = "background-color: rgba(255, 170, 0, 0.25)" if row["flagged"] else ""
        return [style] * len(row)

    return table.style.apply(highlight, axis=1).format(
        {"implied prior": "{:.2f}", "credence": "{:.2f}", "gap": "{:.2f}"}, na_rep="—"
    )


def check_line(c: EvidenceCheck) -> str:
    current = "no credence" if c.current is None else f"{c.current:.2f}"
    text = (
        f"{c.person_name}'s prediction on crux {c.crux_id} implies a prior of "
        f"{c.implied_prior:.2f}; their credence is {current}"
    )
    if c.flagged:
        text += f" — the numbers are inconsistent (gap above {c.tolerance:g}); worth a second look"
    return text + "."


def metric_options() -> dict[str, str]:
    """Metric name → a label naming the templates that emit it and what it means."""
    options: dict[str, str] = {}
    for t in runs.list_templates():
        for m in t.metrics:
            options.setdefault(m.name, f"{m.name} ({t.name}: {m.description})")
    return options


def add_prediction_form(p: Project, statements: dict[int, str], everyone: list[Person]) -> None:
    frozen = p.predictions_frozen_at is not None
    metrics = metric_options()
    if not p.crux_ids:
        st.info("Link a crux to this project before pre-registering predictions.")
        return
    with st.expander("Add a prediction", expanded=not frozen), st.form("add_prediction"):
        crux_id = st.selectbox(
            "Crux",
            p.crux_ids,
            key="prediction_crux",
            format_func=lambda i: f"{i} · {statements[i]}",
        )
        person = common.person_select(
            "Person", everyone, key="prediction_person", action=team.Action.PREDICT
        )
        metric_col, op_col, threshold_col = st.columns([3, 1, 1])
        metric = metric_col.selectbox(
            "Metric that decides the result",
            list(metrics),
            format_func=metrics.get,
            key="prediction_metric",
        )
        op = op_col.selectbox("Positive if", OPS, key="prediction_op")
        threshold = threshold_col.number_input(
            "Threshold", value=0.5, format="%g", key="prediction_threshold"
        )
        p_col, pos_col, neg_col = st.columns(3)
        p_positive = p_col.number_input(
            "P(positive)",
            0.0,
            1.0,
            0.5,
            0.05,
            key="prediction_p",
            help="Your probability that the result is positive.",
        )
        if_positive = pos_col.number_input(
            "Credence if positive",
            0.0,
            1.0,
            0.5,
            0.05,
            key="prediction_if_positive",
            help="Your credence in the crux if positive.",
        )
        if_negative = neg_col.number_input(
            "Credence if negative",
            0.0,
            1.0,
            0.5,
            0.05,
            key="prediction_if_negative",
            help="Your credence in the crux if negative.",
        )
        note = st.text_input("Note (optional)", help="Why you expect this.", key="prediction_note")
        if st.form_submit_button("Pre-register prediction", type="primary"):
            with common.errors():
                pred, check = predictions.add_prediction(
                    common.get_store(),
                    p.id,
                    crux_id,
                    person or "",
                    metric=metric,
                    op=op,
                    threshold=threshold,
                    p_positive=p_positive,
                    if_positive=if_positive,
                    if_negative=if_negative,
                    note=note or None,
                    actor=common.current_person(),
                )
                common.done(
                    f"Prediction {pred.id} recorded: {check_line(check)}",
                    warning=check_line(check) if check.flagged else None,
                )


def runs_section(d: ProjectDetail) -> None:
    st.subheader("Runs and outcomes")
    if not d.runs:
        st.caption("No runs yet: start one on the Runs page.")
        return
    common.table(
        pd.DataFrame(
            [
                {
                    "run": r.id,
                    "template": r.template,
                    "status": r.status,
                    "created": r.created_at,
                    "finished": r.finished_at,
                    "outcome": r.outcome_id,
                    "tags": ", ".join(r.tags),
                }
                for r in d.runs
            ]
        ),
    )


def render() -> None:
    common.page_title("projects")
    common.show_flash()
    store = common.get_store()
    statements = {c.id: c.statement for c in beliefs.list_cruxes(store)}
    everyone = people.list_people(store)
    create_section(statements, everyone)
    all_projects = projects.list_projects(store)
    if not all_projects:
        st.info(
            "No projects yet: propose one above, or accept a project candidate on the "
            "Dialogues page."
        )
        return
    common.table(
        pd.DataFrame(
            [
                {
                    "id": p.id,
                    "title": p.title,
                    "status": p.status,
                    "mentor": p.mentor_name or "",
                    "assignee": p.assignee_name or "",
                    "cruxes": ", ".join(map(str, p.crux_ids)),
                    "effort (days)": p.effort_days,
                    "due": p.due_date,
                    "blind": p.blind_predictions,
                    "predictions frozen": p.predictions_frozen_at,
                }
                for p in all_projects
            ]
        ),
        wrap={"title": 200},
        column_config={
            "effort (days)": st.column_config.NumberColumn("effort", format="%g days"),
            "predictions frozen": st.column_config.DatetimeColumn(
                "frozen", format=common.TIME_FORMAT, help="When the predictions froze."
            ),
        },
    )
    titles = {p.id: p.title for p in all_projects}
    project_id = common.pick(
        "Project", list(titles), key="project", format_func=lambda i: f"{i} · {titles[i]}"
    )
    detail = board.project_detail(store, project_id, viewer=common.current_person())
    p = detail.project
    overview(p, statements)
    manage_section(p, statements, everyone)
    plan_section(p)
    st.divider()
    predictions_section(detail)
    add_prediction_form(p, statements, everyone)
    st.divider()
    runs_section(detail)
    st.divider()
    tags_col, notes_col = st.columns(2)
    with tags_col:
        common.tags_editor("project", p.id)
    with notes_col:
        common.notes_section("project", p.id)


with common.errors():
    render()
