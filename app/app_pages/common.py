"""What every page shares: the store, who is using the app, and how errors and results show.

Who is using the app: in single-user use, the person picked in the sidebar; in team
mode, the signed-in person (``sign_in``), with no way to pick anyone else. Either
way ``current_person()`` names them and every write passes it as the domain's
``actor``, so the domain records it and, in team mode, checks their role.

Pages import this as ``from app.app_pages import common`` (the installed package),
read their widgets, call one domain function inside ``common.errors()``, and render.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from app.app_pages import PAGES
from cruxes import annotations, owner, people, team
from cruxes.errors import CruxlabError
from cruxes.models import Person, PersonIn, TagIn

PERSON_KEY = "person"
ME_KEY = "_cruxlab_signed_in"
NEW_PERSON_KEY = "_cruxlab_new_person"
FLASH_KEY = "_cruxlab_flash"
CLOCK = "Times are UTC, on a 24-hour clock."
TIME_FORMAT = "YYYY-MM-DD HH:mm"  # every table's times (charts label ticks at their own scale)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|$~])")


@st.cache_resource(show_spinner="Opening the cruxlab database…")
def _store_for(home: str | None):
    # The app's server owns the database: CLI commands and workers ask it over its socket.
    return owner.start(home, command="cruxlab app (streamlit)").store


def get_store():
    """The store for ``$CRUXLAB_HOME``, held by this server's owner (started once per home:
    migrations and a refresh of run states run then)."""
    return _store_for(os.environ.get("CRUXLAB_HOME"))


@contextmanager
def errors() -> Iterator[None]:
    """Show an error a person can cause as one ``st.error`` line instead of a traceback."""
    try:
        yield
    except CruxlabError as exc:
        st.error(str(exc), icon=":material/warning:")


def done(message: str, *, warning: str | None = None) -> None:
    """Remember a success message (and a warning) and rerun, so every list shows the change."""
    st.session_state[FLASH_KEY] = (message, warning)
    st.rerun()


LINE_PX, CELL_PADDING_PX = 18, 12  # a wrapped table row is this tall per line, plus padding


def table(
    rows: pd.DataFrame,
    *,
    wrap: dict[str, str | int] | None = None,
    lines: int = 3,
    column_config: dict | None = None,
    **options,
) -> None:
    """A read-only table that fits the page: times on the app's one clock, and each long-text
    column in ``wrap`` given a width ("small", "medium", "large" or pixels) and its text
    wrapped onto up to ``lines`` lines instead of cut off at one."""
    config = {
        name: st.column_config.DatetimeColumn(format=TIME_FORMAT)
        for name, kind in rows.dtypes.items()
        if pd.api.types.is_datetime64_any_dtype(kind)
    }
    config |= {name: st.column_config.TextColumn(width=w) for name, w in (wrap or {}).items()}
    config |= column_config or {}
    st.dataframe(
        rows,
        hide_index=True,
        column_config=config,
        # The grid wraps text only in rows taller than about two lines.
        row_height=LINE_PX * lines + CELL_PADDING_PX if wrap else None,
        placeholder="—",
        **options,
    )


def two_decimals(label: str, help: str) -> st.column_config.NumberColumn:
    """A number column with a short header (``help`` says it in full), to two decimals."""
    return st.column_config.NumberColumn(label, format="%.2f", help=help)


def page_title(name: str) -> None:
    """The page's title, as the navigation names it."""
    st.title(PAGES[name].title)


def show_flash() -> None:
    """Show (once) the messages the last action left behind."""
    message, warning = st.session_state.pop(FLASH_KEY, (None, None))
    if message:
        st.success(message, icon=":material/check_circle:")
    if warning:
        st.warning(warning, icon=":material/warning:")


def plain(text: str | None) -> str:
    """User text escaped so Markdown shows it literally (no stray LaTeX or emphasis)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text or "")


def current_person() -> str | None:
    """Who is using the app: the signed-in person in team mode, else the sidebar's pick."""
    return st.session_state.get(PERSON_KEY)


def team_mode() -> bool:
    """Whether this home is shared by a team (sign-in required, roles enforced)."""
    return team.enabled_for(get_store())


def _auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, ValueError):  # no secrets file at all
        return False


def sign_in() -> bool:
    """In team mode, make sure the user has signed in as a person of this home: show the
    sign-in page, or who can add them, and return False until they have. Single-user: True."""
    store = get_store()
    if not team.enabled_for(store):
        return True
    st.session_state.pop(ME_KEY, None)
    if not _auth_configured():
        st.error(
            "This cruxlab is in team mode but has no sign-in provider: add an [auth] section "
            "to .streamlit/secrets.toml (see “Team mode” in the README).",
            icon="⚠️",
        )
        return False
    if not st.user.get("is_logged_in"):
        st.title("cruxlab")
        st.write("This cruxlab is shared by a team: sign in to see and change its agenda.")
        st.button("Sign in", type="primary", on_click=st.login)
        return False
    email = str(st.user.get("email") or "")
    me = people.find_by_email(store, email) if email else None
    if me is None:
        not_a_member(email, [p.name for p in people.list_people(store) if p.role == "mentor"])
        return False
    st.session_state[ME_KEY] = me
    st.session_state[PERSON_KEY] = me.name
    return True


def not_a_member(email: str, mentors: list[str]) -> None:
    """The page a signed-in user sees when no person of this home signs in with their email."""
    st.title("You are not on this team yet")
    shown = plain(email) if email else "an account that gives no email"
    st.write(f"You signed in as **{shown}**, but nobody in this cruxlab signs in with it.")
    if mentors:
        st.write(f"Ask a mentor to add you: {', '.join(mentors)}. They run:")
    else:
        st.write("It has no mentors yet: whoever runs its server adds the first one, with:")
    role = "scholar" if mentors else "mentor"
    st.code(
        f"cruxlab person add YOUR-NAME --role {role} --email {email or 'EMAIL'}\n"
        f"# or, for someone already in cruxlab:\ncruxlab person email YOUR-NAME {email or 'EMAIL'}",
        language="bash",
    )
    st.button("Sign out", on_click=st.logout)


def signed_in() -> Person | None:
    """The signed-in person (team mode), else None."""
    return st.session_state.get(ME_KEY)


def may(action: team.Action, about: Person) -> bool:
    """Whether the person using the app may do ``action`` as ``about`` (always, single-user)."""
    me = signed_in()
    return me is None or team.refusal(me, action, about=about) is None


def index_of(options: Sequence[object], value: object, default: int | None = 0) -> int | None:
    """The position of ``value`` in ``options`` (for a widget's default), else ``default``."""
    try:
        return list(options).index(value)
    except ValueError:
        return default if options else None


def person_select(
    label: str,
    everyone: Sequence[Person],
    *,
    key: str,
    role: str | None = None,
    action: team.Action | None = None,
) -> str | None:
    """A selectbox of people's names that defaults to the current person; with an ``action``,
    only those the current person may do it as (in team mode a scholar: themselves)."""
    names = [
        p.name
        for p in everyone
        if (role is None or p.role == role) and (action is None or may(action, p))
    ]
    return st.selectbox(label, names, index=index_of(names, current_person()), key=key)


def sidebar() -> None:
    """The sidebar: who you are (signed in, or picked) and a form to add a person."""
    me = signed_in()
    if me is not None:
        with st.sidebar:
            st.markdown(f"Signed in as **{plain(me.name)}** ({me.role})")
            st.button("Sign out", on_click=st.logout)
            if me.role == "mentor":
                add_person_form(expanded=False)
            st.caption(CLOCK)
        return
    everyone: list[Person] = []
    with st.sidebar:
        with errors():
            everyone = people.list_people(get_store())
        names = [p.name for p in everyone]
        # A person added last run becomes "who you are" before the widget is drawn.
        if st.session_state.get(NEW_PERSON_KEY) in names:
            st.session_state[PERSON_KEY] = st.session_state.pop(NEW_PERSON_KEY)
        if names:
            if st.session_state.get(PERSON_KEY) not in names:
                st.session_state[PERSON_KEY] = names[0]
            st.selectbox(
                "Who you are",
                names,
                key=PERSON_KEY,
                format_func=lambda n: f"{n} ({_role(everyone, n)})",
                help="Person fields on every page default to this person.",
            )
        else:
            st.info(
                "No people yet: add yourself below, or import a dialogue with "
                "“add speakers as people”."
            )
        add_person_form(expanded=not names)
        st.caption(CLOCK)


def add_person_form(*, expanded: bool) -> None:
    """A form to add a person (in team mode, shown to mentors)."""
    with (
        st.expander("Add a person", expanded=expanded),
        st.form("add_person", clear_on_submit=True),
    ):
        name = st.text_input(
            "Name", help="How the person is called in dialogues.", key="new_person_name"
        )
        role = st.selectbox("Role", ["mentor", "scholar"], key="new_person_role")
        email = st.text_input(
            "Sign-in email (optional)",
            key="new_person_email",
            help=PersonIn.model_fields["email"].description,
        )
        if st.form_submit_button("Add person"):
            with errors():
                person = people.add_person(
                    get_store(), name, role, email=email, actor=current_person()
                )
                if signed_in() is None:
                    st.session_state[NEW_PERSON_KEY] = person.name
                done(f"Added {person.role} {person.name}.")


def _role(everyone: Sequence[Person], name: str) -> str:
    return next((p.role for p in everyone if p.name == name), "")


def pick(
    label: str,
    options: Sequence[object],
    *,
    key: str,
    default: object = None,
    format_func=str,
    help: str | None = None,
):
    """A keyed selectbox whose choice survives reruns; ``choose`` preselects an option."""
    pending = st.session_state.pop(f"_next_{key}", None)
    if pending in options:
        st.session_state[key] = pending
    elif options and st.session_state.get(key) not in options:
        st.session_state[key] = default if default in options else next(iter(options), None)
    return st.selectbox(label, options, key=key, format_func=format_func, help=help)


def choose(key: str, value: object) -> None:
    """Make ``value`` the choice of the ``pick`` with this key on the next run."""
    st.session_state[f"_next_{key}"] = value


def tags_editor(kind: str, entity_id: int) -> None:
    """An entity's tags, with a form to add one and to take one off."""
    store = get_store()
    tags = annotations.tags_of(store, kind, entity_id)
    st.markdown("**Tags:** " + (" ".join(f"`{t}`" for t in tags) or "none yet"))
    with st.form(f"tags_{kind}", clear_on_submit=True):
        add_col, remove_col = st.columns(2)
        new = add_col.text_input(
            "Add a tag", key=f"{kind}_tag_new", help=TagIn.model_fields["tag"].description
        )
        gone = remove_col.selectbox(
            "Take a tag off", [None, *tags], format_func=lambda t: t or "—", key=f"{kind}_tag_off"
        )
        if st.form_submit_button("Save tags"):
            with errors():
                if new.strip():
                    tags = annotations.add_tag(store, kind, entity_id, new, actor=current_person())
                if gone:
                    tags = annotations.remove_tag(
                        store, kind, entity_id, gone, actor=current_person()
                    )
                done(f"Tags of {kind} {entity_id}: {', '.join(tags) or 'none'}.")


def notes_section(kind: str, entity_id: int) -> None:
    """A project's or run's markdown notes, oldest first, and a form to add one."""
    store = get_store()
    st.markdown("**Notes**")
    for note in annotations.list_notes(store, kind, entity_id):
        with st.container(border=True):
            st.caption(
                f"{note.person_name or 'unsigned'}{note.entered_for} · "
                f"{note.created_at:%Y-%m-%d %H:%M}"
            )
            st.markdown(note.body)
    with st.form(f"note_{kind}", clear_on_submit=True):
        body = st.text_area(
            "Add a note (Markdown)",
            key=f"{kind}_note_body",
            help="Notes are kept as written; a correction is a new note.",
        )
        if st.form_submit_button("Add note"):
            with errors():
                note = annotations.add_note(store, kind, entity_id, body, actor=current_person())
                done(f"Added note {note.id} to {kind} {entity_id}.")
