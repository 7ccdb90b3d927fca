"""Pieces the data-review pages share: query tables, a query's thread, signature status."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
import streamlit as st

from anonymise.errors import ScrubberUnavailable
from schemas import Case
from schemas.errors import CaseguardError
from schemas.formats import date_text
from schemas.labels import LANGUAGES, text
from warehouse.capture import corrections as corr
from warehouse.review import queries as q
from warehouse.review.signoff import SignatureStatus
from warehouse.review.soft_checks import question_text
from warehouse.store.access import Session
from warehouse.store.cases import load_case
from warehouse.store.meddra_names import meddra_names
from warehouse.ui.layout import lang, show_error, t

QUERY_COLUMNS = [
    "query_id",
    "site_code",
    "subject_id",
    "table",
    "field",
    "state",
    "origin",
    "age_days",
    "question",
]


def field_name(table: str, field: str) -> str:
    """A column's label in the user's language."""
    return corr.field_label(table, field, lang())


def query_label(row: Any) -> str:
    """One line naming a query: id, subject, field and state."""
    table, state = row["table_name"], row["state"]
    return (
        f"{row['query_id']} · {row['subject_id']} · {t('corr_table_' + table)} · "
        f"{field_name(table, row['field'])} · {t('rev_state_' + state)}"
    )


def queries_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Queries as shown: labels in the user's language, rule questions as sentences."""
    shown = pd.DataFrame(
        {
            "query_id": frame["query_id"],
            "site_code": frame["site_code"],
            "subject_id": frame["subject_id"],
            "table": [t(f"corr_table_{x}") for x in frame["table_name"]],
            "field": [
                field_name(a, b) for a, b in zip(frame["table_name"], frame["field"], strict=True)
            ],
            "state": [t(f"rev_state_{x}") for x in frame["state"]],
            "origin": [t(f"rev_origin_{x}") for x in frame["origin"]],
            "age_days": frame["age_days"],
            "question": [question_text(x, lang()) for x in frame["question"]],
        }
    )
    return shown.rename(columns={c: t(f"rev_col_{c}") for c in QUERY_COLUMNS})


def _shown(value: Any, column: str, names: dict[str, str]) -> str:
    """A corrected value as the thread tells it (stored as JSON: dates as ISO text)."""
    if value is None or value == "":
        return t("corr_empty_value")
    if isinstance(value, bool):  # a ticked box, as the form says it
        return t("subject_sum_yes" if value else "subject_sum_no")
    if isinstance(value, str) and len(value) == 10 and value[4:5] == value[7:8] == "-":
        try:
            return date_text(dt.date.fromisoformat(value), lang())
        except ValueError:
            return value
    return corr.column_label(column, value, lang(), names)


def show_thread(session: Session, query_id: str, case: Case | None = None) -> None:
    """What a query is about (record and field), then its steps, oldest first, with who
    wrote them and when (UTC). ``case`` is the queried subject's, when already loaded."""
    thread = q.messages(session, query_id)
    target = q.get_query(session, query_id).target
    table = target.table
    names = meddra_names(session, lang())
    key = q.key_values(table, target.row_key)
    case = case if case is not None else load_case(session, target.subject_id)
    rows = corr.rows_of(case, table, 0, lang(), names)
    record = next((r.label for r in rows if r.key == key), target.row_key)
    st.markdown(t("qry_record", record=record, field=field_name(table, target.field)))
    steps: list[Any] = list(thread.itertuples(index=False))
    for step in steps:
        stamp = pd.Timestamp(step.written_at)
        when = f"{date_text(stamp, lang())} {stamp:%H:%M}"
        # the soft checks write as a system account: named as the query table names them
        who = t("rev_origin_rule") if step.role == "system" else f"{step.author} ({step.role})"
        head = f"**{t(f'rev_kind_{step.kind}')}** — {who}, {when} UTC"
        body = question_text(step.text, lang())
        with st.container(border=True):
            st.markdown(head)
            if body:
                st.text(body)
            if isinstance(step.correction, str):  # NULL reads as None or NaN
                change = json.loads(step.correction)
                column = str(change.get("field"))
                st.caption(
                    t(
                        "rev_correction",
                        field=field_name(table, column),
                        before=_shown(change.get("before"), column, names),
                        after=_shown(change.get("after"), column, names),
                    )
                )


def text_refused(exc: Exception, slot: Any) -> bool:
    """Show why a question/answer was refused next to its box; False if not a text error."""
    if isinstance(exc, q.QueryTextError):
        slot.error(t(f"rev_text_{exc.code}"))
        return True
    if isinstance(exc, ScrubberUnavailable):
        slot.error(t("rev_scrubber_unavailable"))
        return True
    if isinstance(exc, CaseguardError):
        show_error(exc)
        return True
    return False


def signature_line(status: SignatureStatus) -> None:
    """The casebook's signature: none, standing (green) or broken (red, with the change)."""
    if status.signature_id is None:
        st.info(t("rev_sig_none"))
        return
    when = (
        f"{date_text(status.signed_at, lang())} {status.signed_at:%H:%M}"
        if isinstance(status.signed_at, dt.datetime)
        else ""
    )
    # The study's standard statement, signed in either language, is read in the reader's;
    # any other wording is shown as it was signed.
    standard = {text("sig_meaning", language) for language in LANGUAGES}
    meaning = t("sig_meaning") if status.meaning in standard else status.meaning
    if status.valid:
        st.success(t("rev_sig_valid", user=status.username, when=when, meaning=meaning))
    else:
        st.error(
            t("rev_sig_broken", user=status.username, when=when, change=status.broken_by or "—")
        )
