"""The data-review loop in a real Chromium, in English and in Russian: a monitor raises a
query on a motor score, the centre's neurologist answers it with a correction, the
monitor closes it, and the investigator signs the casebook again (the correction broke
the signature). The pages are captured to docs/screenshots/ (``make screenshots``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from anonymise import pseudonymise
from schemas.labels import text
from tests.browser import SCREENSHOTS
from tests.browser.wizard import settle
from tests.conftest import serve_app, sign_in_browser
from tests.warehouse_fixtures import make_demo
from warehouse.capture.corrections import field_label
from warehouse.review.demo_setup import prepare_demo_review
from warehouse.store.access import system_session
from warehouse.store.db import Database

pytestmark = pytest.mark.browser
TIMEOUT = 60_000  # two shared cores: be generous
SUBJECTS = 120


@pytest.fixture(scope="module")
def review_app(
    chromium_path: Path, tmp_path_factory: pytest.TempPathFactory, net_guard_dir: Path
) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("served-review")
    db = make_demo(root, subjects=SUBJECTS, seed=20261121)
    prepare_demo_review(system_session(db, "demo"))
    with serve_app(Path(db.path), root / "keys", root / "serve.log", net_guard_dir) as url:
        yield url, Path(db.path)


def signed_msk_subjects(db_path: Path) -> list[tuple[str, str]]:
    """(local id, pseudonym) of MSK demo subjects whose casebook signature stands."""
    db = Database(db_path, key_dir=db_path.parent / "keys")
    key = db.keys.site_key("MSK")
    with db.connect(read_only=True) as conn:
        signed = {
            r[0]
            for r in conn.execute(
                "SELECT subject_id FROM signatures WHERE site_code = 'MSK' AND broken_at IS NULL"
            ).fetchall()
        }
    out = []
    for number in range(0, SUBJECTS, 5):  # MSK holds demo numbers 0, 5, 10, ...
        local = f"DEMO-MSK-{number:05d}"
        sid = pseudonymise(key, "MSK", local).subject_id
        if sid in signed:
            out.append((local, sid))
    return out


def query_state(db_path: Path, query_id: str) -> str:
    # through Database, which asks the served app to hand its kept-open connection over
    with Database(db_path, key_dir=db_path.parent / "keys").connect(read_only=True) as conn:
        return str(
            conn.execute("SELECT state FROM queries WHERE query_id = ?", [query_id]).fetchall()[0][
                0
            ]
        )


def pick_typed(page: Any, label: str, option: str) -> None:
    """Pick ``option`` in a long selectbox by typing it (long lists render lazily)."""
    for _ in range(5):
        boxes = page.get_by_label(label, exact=True)
        for _ in range(40):  # a rerun may still show the previous run's copy for a moment
            if boxes.count() == 1:
                break
            page.wait_for_timeout(250)
        box = boxes.last
        box.click()
        box.fill(option)
        choice = page.get_by_role("option").filter(has_text=option).first
        try:
            choice.wait_for(state="visible", timeout=8_000)
            choice.click(timeout=8_000)  # a rerun can redraw the list under the pointer
        except Exception:  # noqa: BLE001  (list closed by a rerun: open it again)
            page.keyboard.press("Escape")
            continue
        return
    raise AssertionError(f"option {option!r} never appeared in {label!r}")


def choose_query(page: Any, label: str, query_id: str) -> None:
    """The newest query is chosen first: wait for it to show, else pick it by typing."""
    for _ in range(60):
        boxes = page.get_by_label(label, exact=True)
        if boxes.count() == 1 and query_id in (boxes.first.input_value() or ""):
            return
        page.wait_for_timeout(500)
    pick_typed(page, label, query_id)


def new_page(chromium_browser: Any) -> Any:
    context = chromium_browser.new_context(viewport={"width": 1400, "height": 1100})
    return context.new_page()


def wait_text(page: Any, value: str) -> Any:
    found = page.get_by_text(value).filter(visible=True).first
    found.wait_for(state="visible", timeout=TIMEOUT)
    return found


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 1500})
    page.wait_for_timeout(800)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_query_raised_answered_with_a_correction_closed_and_resigned(
    review_app: tuple[str, Path], chromium_browser: Any, lang: str
) -> None:
    url, db_path = review_app
    local_id, subject = signed_msk_subjects(db_path)[0 if lang == "en" else 1]

    # the monitor raises a query on the subject's score
    monitor = new_page(chromium_browser)
    sign_in_browser(monitor, url, "monitor", lang=lang)
    monitor.get_by_role("link", name=text("page_review", lang)).click()
    wait_text(monitor, text("rev_title", lang))
    settle(monitor)
    monitor.get_by_role("tab", name=text("rev_tab_raise", lang)).last.click()
    pick_typed(monitor, text("rev_subject", lang), subject)
    pick_typed(monitor, text("rev_table", lang), text("corr_table_assessments", lang))
    pick_typed(monitor, text("rev_field", lang), field_label("assessments", "score", lang))
    question = (
        "Score fell sharply; please check the source."
        if lang == "en"
        else ("Балл резко снизился, проверьте первичную документацию.")
    )
    settle(monitor)  # the field pick's rerun redraws the form: a click must not be lost to it
    monitor.get_by_label(text("rev_question", lang), exact=True).fill(question)
    monitor.get_by_role("button", name=text("rev_raise", lang)).click()
    raised = monitor.get_by_test_id("stAlert").filter(has_text=question).first
    raised.wait_for(state="visible", timeout=TIMEOUT)
    match = re.search(r"Q-[0-9A-F]{10}", raised.inner_text())
    assert match, raised.inner_text()
    query_id = match.group(0)
    assert query_state(db_path, query_id) == "open"

    # the centre's neurologist answers it with a corrected score
    site = new_page(chromium_browser)
    sign_in_browser(site, url, "msk_neuro", lang=lang)
    site.get_by_role("link", name=text("page_queries", lang)).click()
    wait_text(site, text("qry_title", lang))
    choose_query(site, text("rev_pick_query", lang), query_id)
    wait_text(site, question)
    site.get_by_text(text("qry_correct", lang), exact=True).click()
    value_box = site.get_by_label(text("qry_new_value", lang), exact=True)
    value_box.wait_for(state="visible", timeout=TIMEOUT)
    old = float(value_box.input_value())
    new = old - 1 if old >= 1 else old + 1
    value_box.fill(f"{new:g}")
    value_box.press("Enter")
    settle(site)
    answer = (
        "Typing mistake, value corrected." if lang == "en" else "Опечатка, значение исправлено."
    )
    site.get_by_label(text("qry_answer", lang), exact=True).fill(answer)
    settle(site)
    site.get_by_role("button", name=text("qry_send", lang)).click()
    wait_text(site, query_id)
    site.get_by_test_id("stAlert").filter(has_text=query_id).first.wait_for(timeout=TIMEOUT)
    assert query_state(db_path, query_id) == "answered"
    if lang == "en":
        shot(site, "queries_site.png")

    # the monitor reads the answer and closes the query
    monitor.get_by_role("link", name=text("page_review", lang)).click()
    wait_text(monitor, text("rev_title", lang))
    settle(monitor)  # until the rerun ends the page's old copy is still drawn beside the new
    monitor.get_by_role("tab", name=text("rev_tab_queries", lang)).last.click()
    pick_typed(monitor, text("rev_state", lang), text("rev_state_answered", lang))
    choose_query(monitor, text("rev_pick_query", lang), query_id)
    settle(monitor)
    score = field_label("assessments", "score", lang)  # the field named, not its column
    correction = text("rev_correction", lang, field=score, before="", after="").split(":")[0]
    wait_text(monitor, correction)  # the answer's correction, shown in the thread
    monitor.get_by_role("button", name=text("rev_close", lang)).click()
    wait_text(monitor, text("rev_closed_ok", lang, query=query_id))
    assert query_state(db_path, query_id) == "closed"
    if lang == "en":
        monitor.get_by_role("tab", name=text("rev_tab_progress", lang)).last.click()
        wait_text(monitor, text("rev_progress_sdv", lang))
        shot(monitor, "data_review.png")

    # the correction broke the casebook signature: the investigator signs again
    site.get_by_role("link", name=text("page_subject", lang)).click()
    site.get_by_label(text("subject_local_id", lang), exact=True).fill(local_id)
    site.get_by_role("button", name=text("subject_open", lang)).click()
    wait_text(site, text("subject_known", lang))
    site.get_by_role("link", name=text("page_signoff", lang)).click()
    wait_text(site, text("sig_title", lang))
    site.get_by_test_id("stAlert").filter(has_text=subject[:3]).first.wait_for(timeout=TIMEOUT)
    assert site.get_by_text("BROKEN" if lang == "en" else "НЕДЕЙСТВИТЕЛЬНА").count() >= 1
    site.get_by_label(text("sig_password", lang), exact=True).fill("caseguard-demo")
    site.get_by_role("button", name=text("sig_sign", lang)).click()
    wait_text(site, text("sig_signed", lang, signature="SIG-").split("SIG-")[0])
    if lang == "en":
        shot(site, "signoff.png")
    # through Database, which asks the served app to hand its kept-open connection over
    with Database(db_path, key_dir=db_path.parent / "keys").connect(read_only=True) as conn:
        standing = conn.execute(
            "SELECT count(*) FROM signatures WHERE subject_id = ? AND broken_at IS NULL",
            [subject],
        ).fetchall()[0][0]
    assert standing == 1
    for page in (monitor, site):
        assert page.get_by_test_id("stException").count() == 0
        page.context.close()
