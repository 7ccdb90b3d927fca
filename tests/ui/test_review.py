"""The data-review pages (AppTest): the monitor's Data review page (queries, raising a
query, source verification, progress), the site's Queries page (answer with text or a
correction), the investigator's Sign-off page, and open queries on Overview and
Corrections; each role only where it belongs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from schemas import load_reference
from schemas.labels import text
from tests.app_helpers import open_page
from tests.case_page_fixtures import query
from tests.warehouse_fixtures import make_demo, monitor
from warehouse.capture.subjects_lookup import OpenSubject
from warehouse.review import queries as q
from warehouse.review.demo_setup import prepare_demo_review
from warehouse.store.access import system_session
from warehouse.store.db import Database
from warehouse.ui.navigation import pages_for

PASSWORD = "caseguard-demo"


@pytest.fixture(scope="module")
def review_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("review-demo")
    db = make_demo(root, subjects=120, seed=20261121)
    prepare_demo_review(system_session(db, "demo"))
    return Path(db.path)


@pytest.fixture
def db_path(review_demo: Path, tmp_path: Path) -> Path:
    shutil.copytree(review_demo.parent, tmp_path / "demo")
    return tmp_path / "demo" / review_demo.name


def state_of(db_path: Path, query_id: str) -> str:
    return str(query(db_path, "SELECT state FROM queries WHERE query_id = ?", [query_id])[0][0])


def manual_open_query(db_path: Path, site: str) -> tuple[str, str, str]:
    rows = query(
        db_path,
        "SELECT query_id, subject_id, row_key FROM queries WHERE origin = 'manual' "
        "AND state = 'open' AND site_code = ? ORDER BY query_id",
        [site],
    )
    return tuple(str(x) for x in rows[0])  # type: ignore[return-value]


def test_each_role_gets_its_review_pages() -> None:
    assert {"review.py"} <= {p.script for p in pages_for("monitor")}
    assert not {"queries.py", "signoff.py"} & {p.script for p in pages_for("monitor")}
    site = {p.script for p in pages_for("site_user")}
    assert {"queries.py", "signoff.py"} <= site and "review.py" not in site
    assert not {"review.py", "queries.py", "signoff.py"} & {p.script for p in pages_for("admin")}


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_monitor_sees_queries_of_every_centre_and_progress(
    monkeypatch: pytest.MonkeyPatch, db_path: Path, lang: str
) -> None:
    at = open_page(monkeypatch, db_path, "review.py", user="monitor", lang=lang)
    table = at.dataframe[0].value
    centre = "Centre" if lang == "en" else "Центр"
    assert len(set(table[centre])) > 1
    origin = "Raised by" if lang == "en" else "Источник"
    assert {"monitor", "automatic check"} <= set(table[origin]) or lang == "ru"
    question = "Question" if lang == "en" else "Вопрос"
    assert not any(str(x).startswith('{"rule"') for x in table[question])  # rules read as text
    titles = [s.value for s in at.subheader]
    assert ("Queries per centre" if lang == "en" else "Запросы по центрам") in titles
    assert not at.error


def test_monitor_raises_a_query_on_a_score(monkeypatch: pytest.MonkeyPatch, db_path: Path) -> None:
    at = open_page(monkeypatch, db_path, "review.py", user="monitor")
    at.selectbox(key="rev_raise_table").set_value("assessments").run()
    at.selectbox(key="rev_raise_field").set_value("score").run()
    at.text_area(key="rev_question").input("Score looks low for a sitter; please check.").run()
    at.button(key="rev_raise").click().run()
    assert not at.exception
    assert "raised and sent to centre" in at.success[0].value
    subject = at.selectbox(key="rev_raise_subject").value
    rows = query(
        db_path,
        "SELECT q.field, q.opened_by, m.text FROM queries q JOIN query_messages m USING (query_id) "
        "WHERE q.subject_id = ? AND q.origin = 'manual' AND m.kind = 'question'",
        [subject],
    )
    assert ("score", "monitor", "Score looks low for a sitter; please check.") in rows


def test_an_empty_or_oversized_question_is_refused_with_a_message(
    monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    before = query(db_path, "SELECT count(*) FROM queries")[0][0]
    at = open_page(monkeypatch, db_path, "review.py", user="monitor")
    at.button(key="rev_raise").click().run()
    assert "Write the text first" in at.error[0].value
    at.text_area(key="rev_question").input("x" * 2001).run()
    at.button(key="rev_raise").click().run()
    assert "at most 2000 characters" in at.error[0].value
    assert query(db_path, "SELECT count(*) FROM queries")[0][0] == before


def test_monitor_reads_a_correction_and_closes_the_query(
    monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    at = open_page(monkeypatch, db_path, "review.py", user="monitor")
    at.selectbox(key="rev_state").set_value("answered").run()
    corrected = query(
        db_path,
        "SELECT q.query_id FROM queries q JOIN query_messages m USING (query_id) "
        "WHERE q.state = 'answered' AND m.correction IS NOT NULL",
    )
    chosen = str(corrected[0][0])
    at.selectbox(key="rev_query").set_value(chosen).run()
    assert not at.exception and not at.error
    assert any(c.value.startswith("Correction of Score (unit of the scale):") for c in at.caption)
    at.text_input(key="rev_close_note").input("Accepted.").run()
    at.button(key="rev_close").click().run()
    assert not at.exception and f"Query {chosen} closed" in at.success[0].value
    assert state_of(db_path, chosen) == "closed"


def test_monitor_marks_records_verified(monkeypatch: pytest.MonkeyPatch, db_path: Path) -> None:
    at = open_page(monkeypatch, db_path, "review.py", user="monitor")
    # Subject ids are keyed with keys made fresh for each demo, so the first one listed
    # may be a subject the demo already verified: pick one with nothing verified yet.
    unverified = query(
        db_path,
        "SELECT min(subject_id) FROM subjects WHERE subject_id NOT IN "
        "(SELECT subject_id FROM sdv_marks) AND subject_id IN "
        "(SELECT subject_id FROM assessments)",
    )[0][0]
    at.selectbox(key="rev_sdv_subject").set_value(unverified).run()
    subject = at.selectbox(key="rev_sdv_subject").value
    assert subject == unverified
    before = query(db_path, "SELECT count(*) FROM sdv_marks WHERE subject_id = ?", [subject])
    at.button(key="rev_sdv_mark_visit").click().run()
    assert not at.exception and "marked as verified" in at.success[0].value
    after = query(db_path, "SELECT count(*) FROM sdv_marks WHERE subject_id = ?", [subject])
    assert after[0][0] > before[0][0]


def test_site_user_sees_only_their_centre_and_answers_with_text(
    monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    at = open_page(monkeypatch, db_path, "queries.py", user="prm_neuro")
    assert set(at.dataframe[0].value["Centre"]) == {"PRM"}
    chosen = at.selectbox(key="qry_query").value
    at.button(key="qry_send").click().run()
    assert "Write an answer or correct the value" in at.error[0].value
    at.text_area(key=f"qry_answer|{chosen}").input("Checked: the value is right.").run()
    at.button(key="qry_send").click().run()
    assert not at.exception and f"Answer to {chosen} sent" in at.success[0].value
    assert state_of(db_path, chosen) == "answered"


def test_site_user_answers_with_a_correction_that_carries_the_query(
    monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    query_id, subject, row_key = manual_open_query(db_path, "NNV")
    at = open_page(monkeypatch, db_path, "queries.py", user="nnv_neuro")
    at.selectbox(key="qry_query").set_value(query_id).run()
    # the site user is told which record and scale the question is about
    scale = query(db_path, "SELECT scale FROM assessments WHERE assessment_id = ?", [row_key])
    about = " ".join(m.value for m in at.markdown)
    assert f"{row_key} · {load_reference().scales.at[scale[0][0], 'name_en']}" in about
    at.checkbox(key=f"qry_correct|{query_id}").check().run()
    old = query(db_path, "SELECT score FROM assessments WHERE assessment_id = ?", [row_key])[0][0]
    at.number_input(key=f"qry_value|{query_id}").set_value(float(old) + 2).run()
    at.button(key="qry_send").click().run()
    assert not at.exception and "corrected from" in at.success[0].value
    assert query(db_path, "SELECT score FROM assessments WHERE assessment_id = ?", [row_key]) == [
        (float(old) + 2,)
    ]
    reason = query(
        db_path,
        "SELECT reason FROM audit_log WHERE action = 'update' AND row_key = ? ORDER BY seq DESC",
        [row_key],
    )[0][0]
    assert reason == f"query {query_id}"
    assert state_of(db_path, query_id) == "answered"


def test_a_query_on_a_term_is_answered_with_a_term_and_its_body_system(
    monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    """A corrected term brings its body system, in the same audited change as the answer."""
    ae_id, subject, term = query(
        db_path,
        "SELECT a.ae_id, a.subject_id, a.coded_term FROM adverse_events a JOIN subjects s "
        "USING (subject_id) WHERE s.site_code = 'NNV' ORDER BY a.ae_id LIMIT 1",
    )[0]
    terms = load_reference().ae_terms
    other = next(
        x for x in terms.index if terms.at[x, "body_system_en"] != terms.at[term, "body_system_en"]
    )
    db = Database(db_path, key_dir=db_path.parent / "keys")
    query_id = q.open_query(
        monitor(db),
        q.Target(str(subject), "adverse_events", str(ae_id), "coded_term"),
        "Does the source support this term?",
    )
    at = open_page(monkeypatch, db_path, "queries.py", user="nnv_neuro")
    at.selectbox(key="qry_query").set_value(query_id).run()
    at.checkbox(key=f"qry_correct|{query_id}").check().run()
    at.selectbox(key=f"qry_value|{query_id}").set_value(other).run()
    at.button(key="qry_send").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert terms.at[other, "term_en"] in at.success[0].value
    assert query(
        db_path, "SELECT coded_term, body_system FROM adverse_events WHERE ae_id = ?", [ae_id]
    ) == [(other, terms.at[other, "body_system_en"])]
    assert state_of(db_path, query_id) == "answered"


def test_overview_and_corrections_show_open_queries(
    monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    at = open_page(monkeypatch, db_path, "overview.py", user="msk_neuro")
    assert any("Open queries of your centre" in w.value for w in at.warning)
    query_id, subject, row_key = manual_open_query(db_path, "MSK")
    opened = OpenSubject(subject, "MSK", 0, True)
    at = open_page(monkeypatch, db_path, "corrections.py", user="msk_neuro", subject=opened)
    assert any("Open queries on this subject" in w.value for w in at.warning)
    at.selectbox(key="corr_table").set_value("assessments").run()
    row = next(o for o in at.selectbox(key="corr_row").options if o.startswith(row_key))
    at.selectbox(key="corr_row").set_value(row).run()
    at.selectbox(key="corr_field").set_value("score").run()
    assert any(f"Open query {query_id} on this field" in w.value for w in at.warning)


def signed_subject(db_path: Path) -> str:
    return str(
        query(
            db_path,
            "SELECT subject_id FROM signatures WHERE site_code = 'MSK' AND broken_at IS NOT NULL",
        )[0][0]
    )


def test_investigator_signs_again_after_a_wrong_password(
    monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    subject = signed_subject(db_path)
    opened = OpenSubject(subject, "MSK", 0, True)
    at = open_page(monkeypatch, db_path, "signoff.py", user="msk_neuro", subject=opened)
    assert "BROKEN" in at.error[0].value
    at.text_input(key="sig_password").input("not-my-password").run()
    at.button(key="sig_sign").click().run()
    assert any("Wrong password" in e.value for e in at.error)
    at.text_input(key="sig_password").input(PASSWORD).run()
    at.button(key="sig_sign").click().run()
    assert not at.exception and "Casebook signed" in at.success[0].value
    assert query(
        db_path,
        "SELECT count(*) FROM signatures WHERE subject_id = ? AND broken_at IS NULL",
        [subject],
    ) == [(1,)]
    failures = query(
        db_path,
        "SELECT count(*) FROM audit_log WHERE action = 'login_failed' AND row_key = ?",
        ["msk_neuro"],
    )
    assert failures == [(1,)]


def test_a_site_user_who_is_no_investigator_cannot_sign(
    monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    with __import__("duckdb").connect(str(db_path)) as conn:
        conn.execute("DELETE FROM investigators WHERE username = 'msk_neuro'")
    opened = OpenSubject(signed_subject(db_path), "MSK", 0, True)
    at = open_page(monkeypatch, db_path, "signoff.py", user="msk_neuro", subject=opened)
    assert "not an investigator" in at.warning[0].value
    assert not [b for b in at.button if b.key == "sig_sign"]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_standing_signature_reads_in_the_readers_language(
    monkeypatch: pytest.MonkeyPatch, db_path: Path, lang: str
) -> None:
    """The demo signs the study's statement in English; a Russian investigator reads the
    same statement in Russian (a wording of one's own would be shown as signed)."""
    subject = query(
        db_path,
        "SELECT subject_id FROM signatures WHERE site_code = 'MSK' AND broken_at IS NULL",
    )[0][0]
    opened = OpenSubject(str(subject), "MSK", 0, True)
    at = open_page(monkeypatch, db_path, "signoff.py", user="msk_neuro", lang=lang, subject=opened)
    standing = at.success[0].value
    assert text("sig_meaning", lang) in standing
    assert text("sig_meaning", "en" if lang == "ru" else "ru") not in standing
