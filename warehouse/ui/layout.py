"""Small helpers every page uses: the user's language, texts and error display."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from schemas.errors import CaseguardError, ValidationFailed
from schemas.formats import DATE_INPUT_FORMAT, EARLIEST_INPUT, LATEST_INPUT
from schemas.labels import DEFAULT_LANGUAGE, LANGUAGES, text
from schemas.problems import Problem

LANG = "lang"
_log = logging.getLogger("caseguard.app")
_LANGUAGE_NAMES = {"ru": "Русский", "en": "English"}


def lang() -> str:
    """The language the user chose (Russian by default)."""
    value = st.session_state.get(LANG, DEFAULT_LANGUAGE)
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, **values: object) -> str:
    """A UI text in the user's language."""
    return text(key, lang(), **values)


def language_switch() -> None:
    """The ru/en selector at the top of the sidebar (kept across pages and logins)."""
    st.session_state.setdefault(LANG, DEFAULT_LANGUAGE)
    st.sidebar.radio(
        t("language"),
        LANGUAGES,
        key=LANG,
        format_func=_LANGUAGE_NAMES.__getitem__,
        horizontal=True,
    )


# Texts Streamlit's browser code writes in English whatever the page's language (a
# selectbox with no match, multiselect placeholders, "Select all"): each is replaced in
# the page by its translation, as it appears. Keys of schemas/messages/ui/common.yaml.
FRONTEND_TEXTS = (
    "st_no_results",
    "st_choose_option",
    "st_choose_options",
    "st_select_all",
    "st_press_enter",
    "st_skip_to_content",
)
_TRANSLATE_SCRIPT = Path(__file__).with_name("frontend_texts.html")


def translate_frontend() -> None:
    """Replace the English texts Streamlit's own widgets show (see :data:`FRONTEND_TEXTS`)
    by the page's language; on an English page the Russian ones are put back (a page
    opened in Russian keeps its static texts, such as the skip link, after a switch)."""
    english = lang() == "en"
    other = "ru" if english else "en"
    pairs = [[text(k, other), text(k, lang())] for k in FRONTEND_TEXTS]
    # The date picker announces the chosen day in English words ("Selected Date:
    # December 07, 2026"); it is rewritten in the page's words and date format.
    selected = None if english else text("st_selected_date", lang(), date="{date}")
    day_first = DATE_INPUT_FORMAT[lang()].startswith("D")
    # An empty date field's segments ("dd", "mm", "yyyy") in the page's letters.
    segments = {part: text(f"st_date_{part}", lang()) for part in ("day", "month", "year")}
    settings = {"pairs": pairs, "selected": selected, "dayFirst": day_first, "segments": segments}
    script = _TRANSLATE_SCRIPT.read_text(encoding="utf-8").replace("%s", json.dumps(settings))
    st.sidebar.html(script, unsafe_allow_javascript=True)


def show_error(exc: CaseguardError) -> None:
    """A project error as one clear message; validation problems as a table."""
    if isinstance(exc, ValidationFailed):
        st.error(f"{exc.title}: {len(exc.problems)}")
        rows = [
            {"table": p.table, "row": p.row, "field": p.field, "problem": p.message(lang())}
            for p in exc.problems
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True)
        return
    st.error(f"{exc.title}: {exc}")


RESETS = "_cg_reset_next_run"


def reset_next_run(**values: Any) -> None:
    """Give these widgets (by key) these values on the next run, before they are drawn.

    Deleting a widget's key instead would leave the browser showing the old text (a
    saved reason, a sent question) in a box the server thinks is empty."""
    st.session_state[RESETS] = {**st.session_state.get(RESETS, {}), **values}


def apply_resets() -> None:
    """Set the values :func:`reset_next_run` asked for (the router calls this before a
    page runs)."""
    for key, value in st.session_state.pop(RESETS, {}).items():
        st.session_state[key] = value


def guarded(run: Callable[[], None]) -> None:
    """Run a page; an unexpected error becomes one calm message, never a traceback.

    Only the exception's type and where it was raised are logged — its message may
    quote what the user typed, which can be identifying.
    """
    try:
        run()
    except ScriptControlException:  # st.rerun / st.stop
        raise
    except CaseguardError as exc:
        show_error(exc)
    except Exception as exc:  # noqa: BLE001  (the edge of the app: nothing may escape)
        frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f"{frame.filename}:{frame.lineno}" if frame else "?"
        _log.error("unexpected %s at %s", type(exc).__name__, where)
        st.error(t("unexpected_error"))


def date_field(label: str, key: str, where: Any = None, **options: Any) -> Any:
    """A date input in the language's format whose typed value always reaches the checks.

    Streamlit keeps the previous value (and says only "outside allowed range" on hover)
    when a typed date is outside the widget's range, so the range is left wide and
    "not after today" is checked with the rest, next to the field.
    """
    return (where or st).date_input(
        label,
        key=key,
        min_value=EARLIEST_INPUT,
        max_value=LATEST_INPUT,
        format=DATE_INPUT_FORMAT[lang()],
        **options,
    )


def problem_text(label: str, problem: Problem) -> str:
    """A problem as shown next to its field, naming the field: "Year of birth is required"."""
    if problem.check == "not_nullable":
        return t("field_required", field=label)
    message = problem.message(lang())
    if message.startswith(label):  # e.g. "CHOP INTEND is 0–64; 70 is out of range"
        return message
    return t("field_problem", field=label, problem=message)


def show_problems(label: str, problems: list[Problem]) -> None:
    """Each problem of one field as an error box, naming the field, each text once."""
    for message in dict.fromkeys(problem_text(label, p) for p in problems):
        st.error(message, icon=":material/error:")
