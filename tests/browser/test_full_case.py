"""A whole case entered in a real Chromium, centre isolation, and login lockout.

1. A site neurologist (msk_neuro) starts a new subject from a fresh local id, saves
   the case with consent, adds a nusinersen dose, an HFMSE visit, an adverse event
   and a ~2,000-character narrative holding a name, a phone number and a SNILS; the
   preview shows them replaced, the save is timed, and the subject is found again on
   the Subject page. Then the DuckDB file (and its WAL) is scanned for the typed
   identifiers and the local id: none may be there.
2. A Perm site user types a local id that exists at MSK: it opens a new, unsaved
   Perm subject with another pseudonym and none of MSK's data; only coordinators
   get the centre picker.
3. Five wrong passwords lock an account; then even the right password is refused.

All three share the session's served demo database (tests/conftest.py) with the
other browser tests; the new subject has a fresh random local id and the lockout
uses brn_neuro, an account no other browser test signs in with.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from anonymise.pseudonym import pseudonymise
from anonymise.recognizers.snils import snils_is_valid
from tests.browser import SCREENSHOTS
from tests.browser.wizard import fill_new_case, settle, type_date
from tests.conftest import choose_option, sign_in_browser
from warehouse.store.db import Database

pytestmark = pytest.mark.browser

TIMEOUT = 60_000  # two shared cores: be generous
SCRUB_TIMEOUT = 180_000  # the first scrub may load the NER models
LOCKED = "Too many failed attempts: the account is locked."
LOCKOUT_USER = "brn_neuro"  # no other browser test signs in with it
MSK_LOCAL_ID = "DEMO-MSK-00005"  # demo subject number 5 is at MSK (sites in turn)

SURNAME, FIRST_NAME, PATRONYMIC = "Смирнова", "Ольга", "Викторовна"
PHONE = "+7 912 345-67-89"


def _snils(body: str) -> str:
    """``body`` (9 digits) with its check digits, written ``123-456-789 01``."""
    total = sum(int(d) * w for d, w in zip(body, range(9, 0, -1), strict=True))
    while total > 101:
        total %= 101
    check = 0 if total in (100, 101) else total
    return f"{body[:3]}-{body[3:6]}-{body[6:]} {check:02d}"


SNILS = _snils("274918361")
NARRATIVE_HEAD = (
    f"Пациентка {SURNAME} {FIRST_NAME} {PATRONYMIC}, 2 года, наблюдается в центре со "
    "спинальной мышечной атрофией 5q, тип 1b, гомозиготная делеция 7 экзона SMN1, две "
    "копии SMN2. Первые симптомы (снижение мышечного тонуса, слабость проксимальных "
    "отделов конечностей, отсутствие удержания головы) появились в возрасте двух "
    "месяцев. Проведена первая нагрузочная интратекальная инъекция нусинерсена 12 мг "
    "под контролем анестезиолога, процедура без технических трудностей. Через сутки "
    "после инъекции отмечена головная боль 2 степени и однократная рвота, купированы "
    "парацетамолом в возрастной дозировке и постельным режимом. "
    f"СНИЛС пациентки {SNILS}. Мать просит связываться по телефону {PHONE} в "
    "дневное время. "
)
NARRATIVE_BODY = (
    "При осмотре: состояние средней тяжести, стабильное, сознание ясное, "
    "самостоятельно не сидит, голову удерживает кратковременно, дыхание "
    "самостоятельное, без признаков дыхательной недостаточности, сатурация в норме. "
    "Кормление через рот, жевание и глотание сохранены, поперхиваний нет. "
    "Сухожильные рефлексы с рук и ног не вызываются, фасцикуляции языка. "
    "Лабораторно: общий анализ крови и мочи без особенностей, тромбоциты и "
    "коагулограмма в пределах нормы, белок в моче не обнаружен. "
)
NARRATIVE_TAIL = (
    f"Повторно: со слов матери, {FIRST_NAME} {PATRONYMIC} переносит лечение хорошо. "
    "План: вторая нагрузочная доза через четырнадцать дней, контроль анализов перед "
    "каждой инъекцией, оценка по шкале HFMSE на следующем визите."
)


def _narrative() -> str:
    """About 2,000 characters: the identifiers, clinical filler, the name again."""
    text, room = NARRATIVE_HEAD, 2_000 - len(NARRATIVE_TAIL)
    sentences = [f"{s.strip()}. " for s in NARRATIVE_BODY.split(". ") if s.strip()]
    while fitting := [s for s in sentences if len(text) + len(s) <= room]:
        text += fitting[0]
        sentences = sentences[1:] + sentences[:1]
    return text + NARRATIVE_TAIL


def _nav(page: Any, name: str, landmark: str) -> None:
    page.get_by_role("link", name=name, exact=True).first.click()
    page.get_by_text(landmark).first.wait_for(state="visible", timeout=TIMEOUT)


def _look_up(page: Any, local_id: str, status: str) -> str:
    """Type a local id on the Subject page; return the pseudonym line once ``status`` shows."""
    page.get_by_label("Local patient id", exact=True).fill(local_id)
    page.get_by_role("button", name="Find or start").click()
    line = page.get_by_text(re.compile(r"^Pseudonym \S+ \(centre [A-Z]+\)")).first
    page.get_by_text(status).first.wait_for(state="visible", timeout=TIMEOUT)
    return str(line.inner_text())


def _metric(page: Any, label: str) -> str:
    tile = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return str(tile.get_by_test_id("stMetricValue").inner_text()).strip()


def _capture(page: Any, name: str) -> None:
    """Screenshot the page; Streamlit scrolls inside its main block, so use a tall window."""
    page.set_viewport_size({"width": 1400, "height": 1700})
    page.wait_for_timeout(1_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
    assert (SCREENSHOTS / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.set_viewport_size({"width": 1400, "height": 900})


def _no_exception(page: Any) -> None:
    assert page.get_by_test_id("stException").count() == 0


def _keys(db_path: Path) -> Database:
    return Database(db_path, key_dir=db_path.parent / "keys", busy_timeout=30.0)


def _query(db_path: Path, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Read the served database (retries while the server holds the file)."""
    with _keys(db_path).connect(read_only=True) as conn:
        return [tuple(r) for r in conn.execute(sql, params).fetchall()]


def _wait_until(check: Callable[[], bool], what: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def _forms(value: str) -> set[bytes]:
    """Byte forms of a typed value that must not be on disk (UTF-8 and UTF-16-LE)."""
    texts = {value, value.upper(), value.lower()}
    return {t.encode(enc) for t in texts for enc in ("utf-8", "utf-16-le")}


# --- 1. the whole case --------------------------------------------------------------------


def _new_case(page: Any, local_id: str, today: dt.date) -> str:
    _nav(page, "Subject", "Subject lookup and new case")
    line = _look_up(page, local_id, "new subject, not saved yet")
    subject_id = line.split()[1]
    assert "(centre MSK)" in line and subject_id.startswith("MSK-")
    page.get_by_text("Step 1 of 4").wait_for(state="visible", timeout=TIMEOUT)
    assert page.get_by_label("Local patient id", exact=True).input_value() == ""

    born = today - dt.timedelta(days=14 * 30 + 15)
    fill_new_case(page, birth_year=born.year, chop_intend=28)
    page.get_by_role("button", name="Save new case").click()
    saved = page.get_by_text(f"New case {subject_id} saved")
    saved.wait_for(state="visible", timeout=TIMEOUT)
    assert "Consent: 1" in saved.inner_text()
    page.get_by_text("registered subject").wait_for(state="visible", timeout=TIMEOUT)
    _no_exception(page)
    return subject_id


def _treatment(page: Any) -> None:
    _nav(page, "Treatments", "Add treatment")
    page.get_by_text("No treatment recorded yet").first.wait_for(state="visible", timeout=TIMEOUT)
    choose_option(page, "Product", "Spinraza (nusinersen)")
    page.get_by_text("Loading dose 4").wait_for(state="visible", timeout=TIMEOUT)
    # the plan starts today: the first loading dose is ticked; days 14, 28 and 63 are in
    # the future and start unticked (item 2 of the first-day report: they were stored)
    given = page.get_by_role("checkbox", name="Given")
    assert given.count() == 4
    assert [given.nth(i).is_checked() for i in range(4)] == [True, False, False, False]
    lot = page.get_by_label("Lot number", exact=True).first
    lot.fill("SPN2611A")
    lot.press("Enter")
    settle(page)  # let the rerun for the lot finish before saving
    page.get_by_role("button", name="Save treatment").click()
    saved = page.get_by_text("Saved 1 dose(s) of Spinraza")
    saved.wait_for(state="visible", timeout=TIMEOUT)
    page.locator("[role=gridcell]", has_text="Spinraza").first.wait_for(
        state="attached", timeout=TIMEOUT
    )
    _no_exception(page)
    # the form now proposes the next loading dose, blank: not the saved dose's lot again
    page.get_by_text("Loading dose 4").wait_for(state="visible", timeout=TIMEOUT)
    _wait_until(
        lambda: page.get_by_label("Lot number", exact=True).first.input_value() == "",
        "the lot of the saved dose cleared from the form",
        20,
    )
    _capture(page, "treatments.png")


def _visit(page: Any) -> None:
    _nav(page, "Visits and labs", "Record a visit")
    scale = "Hammersmith Functional Motor Scale Expanded"
    scales = page.get_by_test_id("stMultiSelect").filter(has_text="Scales assessed")
    for _ in range(5):
        scales.locator("input").click()
        option = page.get_by_role("option", name=scale, exact=True)
        try:
            option.wait_for(state="visible", timeout=8_000)
        except Exception:  # noqa: BLE001  (closed by a rerun: open it again)
            page.keyboard.press("Escape")
            continue
        option.click()
        break
    page.keyboard.press("Escape")
    score = page.get_by_test_id("stNumberInput").filter(has_text=scale).locator("input")
    score.wait_for(state="visible", timeout=TIMEOUT)
    score.fill("12")
    score.press("Enter")
    settle(page)
    page.get_by_role("button", name="Save visit").click()
    saved = page.get_by_text("saved for subject")
    saved.wait_for(state="visible", timeout=TIMEOUT)
    assert "12" in saved.inner_text()
    _no_exception(page)


def _adverse_event(page: Any, subject_id: str, today: dt.date) -> None:
    _nav(page, "Adverse events", "Adverse event report")
    page.get_by_text(f"Subject {subject_id}").first.wait_for(state="visible", timeout=TIMEOUT)
    choose_option(page, "Adverse event term", "Headache")
    verbatim = page.get_by_label("Verbatim term (as reported)", exact=True)
    verbatim.fill("Головная боль после люмбальной пункции")
    verbatim.press("Control+Enter")
    type_date(page, "Onset date", today)
    choose_option(page, "CTCAE grade", "Grade 2 - moderate")
    choose_option(page, "Spinraza (nusinersen)", "Possible")
    choose_option(page, "Action taken with the product", "Dose not changed")
    choose_option(page, "Outcome", "Recovering / resolving")
    settle(page)
    page.get_by_role("button", name="Save adverse event").click()
    saved = page.get_by_text(f"Adverse event saved for subject {subject_id}")
    saved.wait_for(state="visible", timeout=TIMEOUT)
    assert "Headache, grade 2, not serious" in saved.inner_text()
    assert "causality rows: 1" in saved.inner_text()
    # item 11 of the first-day report: nothing unscrubbed stays in the box after a save
    assert verbatim.input_value() == ""
    _no_exception(page)
    _capture(page, "adverse_events.png")


def _narrate(page: Any, subject_id: str) -> None:
    _nav(page, "Narrative", "Case narrative")
    page.get_by_text(f"Subject: {subject_id}").wait_for(state="visible", timeout=TIMEOUT)
    text = _narrative()
    assert 1_900 <= len(text) <= 2_000
    box = page.get_by_role("textbox", name="Narrative (free text)")
    box.fill(text)
    page.keyboard.press("Control+Enter")  # commit the text area before the click
    settle(page)
    started = time.perf_counter()
    page.get_by_role("button", name="Preview scrubbed text").click()
    page.get_by_text("Scrubbed text (this is what will be saved)").wait_for(
        state="visible", timeout=SCRUB_TIMEOUT
    )
    print(f"narrative preview (scrub) to display: {time.perf_counter() - started:.2f} s")  # noqa: T201

    preview = page.get_by_test_id("stMarkdownContainer").filter(
        has=page.locator("span[title=PERSON]")
    )
    preview.first.wait_for(state="visible", timeout=TIMEOUT)
    for kind in ("PERSON", "PHONE", "ID"):
        assert page.locator(f"span[title={kind}]").first.inner_text() == f"[{kind}]", kind
    shown = str(preview.first.inner_text())
    assert "головная боль 2 степени" in shown
    for raw in (SURNAME, FIRST_NAME, PATRONYMIC, PHONE, "345-67-89", "912", SNILS, SNILS[:11]):
        assert raw not in shown, f"{raw!r} visible in the preview"

    started = time.perf_counter()
    page.get_by_role("button", name="Save scrubbed narrative").click()
    done = page.get_by_text("Saved the scrubbed narrative")
    done.wait_for(state="visible", timeout=TIMEOUT)
    elapsed = time.perf_counter() - started
    print(f"narrative save to confirmation: {elapsed:.2f} s ({len(text)} characters)")  # noqa: T201
    assert subject_id in done.inner_text()
    # item 11: "the original text was discarded" - and the box in the browser says so too
    _wait_until(lambda: box.input_value() == "", "the narrative box to be emptied", 15)
    _no_exception(page)


def _find_again(page: Any, local_id: str, subject_id: str) -> None:
    """Close the subject, look the local id up again: the same pseudonym, with its records."""
    _nav(page, "Subject", "Subject lookup and new case")
    page.get_by_role("button", name="Close this subject").click()
    page.get_by_text("No subject is open").wait_for(state="visible", timeout=TIMEOUT)
    line = _look_up(page, local_id, "registered subject")
    assert line.split()[1] == subject_id
    page.get_by_test_id("stMetric").first.wait_for(state="visible", timeout=TIMEOUT)
    counts = {
        label: _metric(page, label)
        for label in ("Treatments", "Assessments", "Adverse events", "Narratives")
    }
    assert counts == {
        "Treatments": "1",
        "Assessments": "2",
        "Adverse events": "1",
        "Narratives": "1",
    }
    page.locator("[role=gridcell]", has_text="Spinraza").first.wait_for(
        state="attached", timeout=TIMEOUT
    )
    _no_exception(page)


def test_site_user_enters_a_whole_case_and_no_identifier_reaches_disk(
    app_url: str, browser_page: Any, browser_demo_db: Path
) -> None:
    page = browser_page
    page.set_default_timeout(TIMEOUT)
    local_id = "PAT-" + secrets.token_hex(5).upper()
    today = dt.date.today()
    assert snils_is_valid(SNILS)

    sign_in_browser(page, app_url, "msk_neuro")
    subject_id = _new_case(page, local_id, today)
    msk_key = _keys(browser_demo_db).keys.site_key("MSK")
    assert pseudonymise(msk_key, "MSK", local_id).subject_id == subject_id
    _treatment(page)
    _visit(page)
    _adverse_event(page, subject_id, today)
    _narrate(page, subject_id)
    _find_again(page, local_id, subject_id)

    stored = _query(
        browser_demo_db,
        "SELECT text_scrubbed FROM narratives WHERE subject_id = ?",
        [subject_id],
    )
    assert len(stored) == 1
    kept = str(stored[0][0])
    assert "[PERSON]" in kept and "[PHONE]" in kept and "[ID]" in kept
    assert SURNAME not in kept and "345-67-89" not in kept and SNILS not in kept

    snils_digits = re.sub(r"\D", "", SNILS)
    phone_digits = re.sub(r"\D", "", PHONE)
    secrets_typed = [
        local_id,
        SURNAME,
        f"{FIRST_NAME} {PATRONYMIC}",
        PHONE,
        phone_digits,
        phone_digits[1:],
        "345-67-89",
        SNILS,
        SNILS.replace(" ", "-"),
        snils_digits,
    ]
    files = [browser_demo_db, *browser_demo_db.parent.glob("*.wal")]
    hits = [
        (path.name, value)
        for path in files
        for value in secrets_typed
        if any(form in path.read_bytes() for form in _forms(value))
    ]
    assert hits == []


# --- 2. another centre's subject ----------------------------------------------------------


def test_site_user_cannot_open_another_centres_subject(
    app_url: str, browser_page: Any, chromium_browser: Any, browser_demo_db: Path
) -> None:
    keys = _keys(browser_demo_db).keys
    msk_id = pseudonymise(keys.site_key("MSK"), "MSK", MSK_LOCAL_ID).subject_id
    prm_id = pseudonymise(keys.site_key("PRM"), "PRM", MSK_LOCAL_ID).subject_id
    assert msk_id != prm_id
    assert _query(browser_demo_db, "SELECT 1 FROM subjects WHERE subject_id = ?", [msk_id])

    page = browser_page
    page.set_default_timeout(TIMEOUT)
    sign_in_browser(page, app_url, "prm_neuro")
    _nav(page, "Subject", "Subject lookup and new case")
    assert page.get_by_label("Centre of the patient", exact=True).count() == 0
    line = _look_up(page, MSK_LOCAL_ID, "new subject, not saved yet")
    assert line.split()[1] == prm_id and "(centre PRM)" in line
    page.get_by_text("Step 1 of 4").wait_for(state="visible", timeout=TIMEOUT)
    body = str(page.locator("body").inner_text())
    assert msk_id not in body and "MSK" not in body and "registered subject" not in body
    assert page.get_by_test_id("stMetric").count() == 0  # no record summary at all

    for link, landmark in (
        ("Treatments", "This subject is new"),
        ("Adverse events", "has not been saved yet"),
        ("Narrative", "has not been saved yet"),
    ):
        _nav(page, link, landmark)
        assert msk_id not in str(page.locator("body").inner_text())
        _no_exception(page)

    # a coordinator does get the centre picker (and may open MSK's subject from it)
    context = chromium_browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        other = context.new_page()
        other.set_default_timeout(TIMEOUT)
        sign_in_browser(other, app_url, "coordinator")
        _nav(other, "Subject", "Subject lookup and new case")
        other.get_by_label("Centre of the patient", exact=True).wait_for(
            state="visible", timeout=TIMEOUT
        )
    finally:
        context.close()


# --- 3. lockout ---------------------------------------------------------------------------


def test_five_bad_passwords_lock_the_account(
    app_url: str, browser_page: Any, browser_demo_db: Path
) -> None:
    def state() -> tuple[int, bool]:
        rows = _query(
            browser_demo_db,
            "SELECT failed_logins, locked_until IS NOT NULL FROM users WHERE username = ?",
            [LOCKOUT_USER],
        )
        return int(rows[0][0] or 0), bool(rows[0][1])

    def refused_while_locked() -> int:
        rows = _query(
            browser_demo_db,
            "SELECT count(*) FROM audit_log WHERE action = 'login_failed' AND row_key = ? "
            "AND after LIKE '%locked%'",
            [LOCKOUT_USER],
        )
        return int(rows[0][0])

    assert state() == (0, False), f"{LOCKOUT_USER} must be unused by other tests"
    page = browser_page
    page.set_default_timeout(TIMEOUT)
    page.goto(app_url)
    page.get_by_text("English").click()
    page.get_by_label("User name", exact=True).fill(LOCKOUT_USER)
    password = page.get_by_label("Password", exact=True)
    for attempt in range(1, 6):
        password.fill(f"wrong-password-{attempt}")
        page.get_by_role("button", name="Sign in").click()
        if attempt < 5:
            page.get_by_text("Wrong user name or password.").wait_for(
                state="visible", timeout=TIMEOUT
            )
            _wait_until(lambda a=attempt: state() == (a, False), f"failed attempt {attempt}")
    page.get_by_text(LOCKED).wait_for(state="visible", timeout=TIMEOUT)
    _wait_until(lambda: state()[1], "the account to be locked")

    before = refused_while_locked()
    password.fill("caseguard-demo")
    page.get_by_role("button", name="Sign in").click()
    _wait_until(lambda: refused_while_locked() == before + 1, "the locked refusal")
    page.get_by_text(LOCKED).wait_for(state="visible", timeout=TIMEOUT)
    assert page.get_by_text(f"Signed in as {LOCKOUT_USER}").count() == 0
    assert page.get_by_role("button", name="Sign in").is_visible()
    assert state()[1]
    _no_exception(page)
