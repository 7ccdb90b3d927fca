"""Drill: every access bypass the issue lists, through both doors, is refused and audited.

One table (``BYPASSES``) of attempts: the data layer (library calls with a
:class:`~warehouse.store.access.Session`) and the pages (AppTest driving ``capture_app.py``).
Each attempt must be refused the way a user would notice (an exception, the login
page, an error instead of the other centre's data) and must leave an ``access_denied``
entry saying who tried what, with no patient identifier in it; no clinical row may
change and the audit chain must still verify.

A page the router did not register for a role cannot be reached through AppTest's
``switch_page`` (it refuses client-side, like the browser's menu, which does not show
it); a browser can still ask for its URL, which is what ``_request_page`` models by
setting the page hash a crafted request would carry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from anonymise.pseudonym import normalise_local_id, pseudonymise
from schemas.errors import AccessDenied, CaseguardError, NotFound
from tests.app_helpers import DEMO_PASSWORD, page_path, signed_in, start_app
from tests.drills.report import report
from tests.drills.scale import size
from tests.warehouse_fixtures import (
    audit_count,
    audit_rows,
    clone_db,
    make_case,
    make_db,
    table_counts,
)
from warehouse.capture.narrative_entry import ScrubbedNarrative, save_narrative
from warehouse.capture.subjects_lookup import OpenSubject, open_subject
from warehouse.exchange.bundles import export_bundle, import_bundle
from warehouse.exchange.legacy_import import import_legacy
from warehouse.export.archive import export_archive
from warehouse.export.release import ExportOptions, export_pooled
from warehouse.safety.cohort import SafetyFilter
from warehouse.safety.metrics import sae_listing
from warehouse.store.access import Session, system_session
from warehouse.store.accounts import disable_user
from warehouse.store.admin import add_user
from warehouse.store.audit import verify
from warehouse.store.cases import (
    Change,
    add_records,
    list_subjects,
    load_case,
    save_case,
    update_rows,
    withdraw_consent,
)
from warehouse.store.db import Database
from warehouse.ui.navigation import PAGES, pages_for

pytestmark = pytest.mark.drill

# Identifiers that must never reach an audit entry (local ids of the two patients,
# a name and phone typed into a refused import, the demo password).
LOCAL_IDS = {"MSK": "CANARY-MSK-ZQ-40417", "PRM": "CANARY-PRM-XW-93521"}
CANARY_NAME = "Kanareykina Zlata Bypassovna"
CANARY_PHONE = "+7 912 404-17-93"
IDENTIFIERS = (*LOCAL_IDS.values(), CANARY_NAME, CANARY_PHONE, DEMO_PASSWORD)
ACCOUNTS = (
    ("msk_neuro", "site_user", "MSK"),
    ("prm_neuro", "site_user", "PRM"),
    ("coordinator", "coordinator", None),
    ("monitor", "monitor", None),
    ("admin", "admin", None),
)
ENTRY_PAGES = ("subject", "treatments", "visits", "adverse-events", "narrative", "corrections")
VISITOR = ("(session)", "anonymous")


@dataclass
class World:
    """One copy of the drill database, the app pointed at it and the other centre's subject."""

    db: Database
    monkeypatch: pytest.MonkeyPatch
    tmp: Path
    prm_sid: str
    prm_shift: int
    bundle: Path
    refusals: int = 0  # attempts made so far: each must have its own audit entry

    @property
    def path(self) -> Path:
        return Path(self.db.path)

    def as_user(self, username: str) -> Session:
        role, site = next((r, s) for u, r, s in ACCOUNTS if u == username)
        return Session(self.db, username, role, site)

    def foreign_subject(self, claimed_site: str = "PRM") -> OpenSubject:
        """PRM's subject as a page would hold it (``claimed_site`` may lie)."""
        return OpenSubject(self.prm_sid, claimed_site, self.prm_shift, exists=True)


@dataclass(frozen=True)
class Bypass:
    """An attempt, the door it uses and the audit entries it must leave."""

    name: str
    door: str  # "data layer" or "pages"
    who: tuple[str, str]  # (username, role) of the audit entries
    what: tuple[str, ...]  # each must be part of one entry's key (what was refused)
    attempt: Callable[[World], None]  # fails the test unless the attempt is refused


# --- the template database ---------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, Path]:
    """Two centres with one patient each, the five demo accounts and an MSK bundle."""
    base = tmp_path_factory.mktemp("bypass")
    db = make_db(base / "db" / "warehouse.duckdb", base / "db" / "keys")
    system = system_session(db, "drill-setup")
    for username, role, site in ACCOUNTS:
        add_user(system, username, DEMO_PASSWORD, role, site)
    for site, local_id in LOCAL_IDS.items():
        save_case(
            Session(db, f"{site.lower()}_neuro", "site_user", site), make_case(db, site, local_id)
        )
    bundle = base / "msk-bundle.zip"
    export_bundle(system, "MSK", bundle)
    return db, bundle


@pytest.fixture(autouse=True)
def _fresh_app_cache() -> Iterator[None]:
    st.cache_resource.clear()  # the app's Database is cached per process
    yield
    st.cache_resource.clear()


@pytest.fixture
def world(
    template: tuple[Database, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> World:
    db, bundle = template
    copy = clone_db(db, tmp_path / "db")
    prm = pseudonymise(copy.keys.site_key("PRM"), "PRM", LOCAL_IDS["PRM"])
    return World(copy, monkeypatch, tmp_path, prm.subject_id, prm.date_shift_days, bundle)


# --- helpers for the attempts ------------------------------------------------------


def refused(
    w: World, call: Callable[[], object], kinds: tuple[type[Exception], ...] = (AccessDenied,)
) -> None:
    """``call`` must raise one of ``kinds`` (and so change nothing)."""
    w.refusals += 1
    with pytest.raises(kinds):
        call()


def app(w: World, username: str | None) -> AppTest:
    """The app on ``w``'s copy: signed in as ``username``, or a visitor's login page."""
    if username is None:
        return start_app(w.monkeypatch, w.path)
    return signed_in(w.monkeypatch, w.path, username)


def on_login_page(at: AppTest) -> bool:
    return [t.value for t in at.title] == ["Sign in"] and "auth_user" not in at.session_state


def _request_page(at: AppTest, url: str) -> AppTest:
    """Ask for the page at ``url`` the way a browser typing the URL would.

    AppTest's own ``switch_page`` refuses a page the router did not register (the
    menu does not show it), so the request carries the page hash of ``st.Page(url)``.
    """
    with pytest.raises(ValueError, match="Known pages"):
        at.switch_page(page_path(next(p.script for p in PAGES if p.url == url)))
    at._page_hash = calc_hash(url)  # noqa: SLF001  (what a crafted request carries)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def pages_refused(username: str | None, urls: tuple[str, ...]) -> Callable[[World], None]:
    """``username`` (None: a visitor) asks for each of ``urls`` by URL."""

    def attempt(w: World) -> None:
        at = app(w, username)
        home = [t.value for t in at.title]  # the login page, or the role's first page
        for url in urls:
            w.refusals += 1
            _request_page(at, url)
            assert [t.value for t in at.title] == home, url  # not the page asked for
            assert at.session_state["auth_user"] == username if username else on_login_page(at)

    return attempt


def foreign_subject_on_page(script: str, claimed_site: str = "PRM") -> Callable[[World], None]:
    """msk_neuro with PRM's subject planted in session state opens ``script``."""

    def attempt(w: World) -> None:
        at = app(w, "msk_neuro")
        at.session_state["_open_subject"] = w.foreign_subject(claimed_site)
        w.refusals += 1
        at.switch_page(page_path(script)).run()
        assert not at.exception, [e.value for e in at.exception]
        errors = [e.value for e in at.error]
        assert any("may not read clinical" in e for e in errors), errors
        assert not at.dataframe and not at.table  # none of PRM's rows

    return attempt


def _lab_change(w: World) -> Change:
    lab = load_case(w.as_user("coordinator"), w.prm_sid).labs[0]
    return Change("labs", {"lab_id": lab["lab_id"]}, {"value": 1.0})


def _new_lab(w: World) -> dict[str, list[dict[str, Any]]]:
    lab = load_case(w.as_user("coordinator"), w.prm_sid).labs[0]
    return {"labs": [dict(lab, lab_id="LB-BYPASS-1")]}


def _narrative() -> ScrubbedNarrative:
    return ScrubbedNarrative("Headache after the dose.", "en", {})


def _legacy_file(w: World) -> Path:
    """A legacy sheet whose cells hold identifiers (refused before it is read)."""
    path = w.tmp / "legacy.csv"
    path.write_text(
        f"local_id,name,phone\n{LOCAL_IDS['PRM']},{CANARY_NAME},{CANARY_PHONE}\n", encoding="utf-8"
    )
    return path


def _writes_as(username: str) -> Callable[[World], None]:
    """Every clinical write function, on PRM's subject."""

    def attempt(w: World) -> None:
        s, sid = w.as_user(username), w.prm_sid
        denied = (AccessDenied, NotFound)
        refused(w, lambda: save_case(s, make_case(w.db, "PRM", "CANARY-PRM-NEW-1")))
        refused(w, lambda: add_records(s, sid, _new_lab(w)), denied)
        refused(w, lambda: update_rows(s, sid, [_lab_change(w)], "bypass"), denied)
        refused(w, lambda: withdraw_consent(s, sid, dt.date(2022, 1, 1), "bypass"), denied)
        refused(
            w, lambda: save_narrative(s, w.foreign_subject(), dt.date(2022, 1, 1), _narrative())
        )
        refused(w, lambda: import_legacy(s, _legacy_file(w), "PRM"))
        if s.role != "site_user":  # a site user's lookup always uses its own site
            refused(w, lambda: open_subject(s, LOCAL_IDS["PRM"], "PRM"))

    return attempt


def _monitor_exports(w: World) -> None:
    s = w.as_user("monitor")
    refused(w, lambda: export_pooled(s, w.tmp / "pooled", ExportOptions()))
    refused(w, lambda: export_archive(s, ExportOptions()))
    refused(w, lambda: export_bundle(s, "PRM", w.tmp / "prm.zip"))
    refused(w, lambda: import_bundle(s, w.bundle))
    assert not (w.tmp / "pooled").exists() and not (w.tmp / "prm.zip").exists()


def _site_user_reads(w: World) -> None:
    s = w.as_user("msk_neuro")
    refused(w, lambda: load_case(s, w.prm_sid), (AccessDenied, NotFound))
    refused(w, lambda: sae_listing(s, SafetyFilter(sites=("PRM",))))
    refused(w, lambda: export_bundle(s, "PRM", w.tmp / "prm.zip"))
    refused(w, lambda: export_pooled(s, w.tmp / "pooled", ExportOptions()))
    assert set(list_subjects(s)["site_code"]) == {"MSK"}  # scoped, not refused
    assert not (w.tmp / "prm.zip").exists()


def _admin_reads(w: World) -> None:
    s = w.as_user("admin")
    refused(w, lambda: list_subjects(s))
    refused(w, lambda: load_case(s, w.prm_sid), (AccessDenied, NotFound))
    refused(w, lambda: sae_listing(s))


def _visitor_claims_a_user(w: World) -> None:
    at = app(w, None)
    at.session_state["auth_user"] = "coordinator"
    at.session_state["auth_last_seen"] = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    w.refusals += 1
    at.run()
    assert on_login_page(at)


def _user_renamed_in_state(w: World) -> None:
    at = app(w, "msk_neuro")
    at.session_state["auth_user"] = "coordinator"
    w.refusals += 1
    at.run()
    assert on_login_page(at)


def _disabled_mid_session(w: World) -> None:
    at = app(w, "msk_neuro")
    disable_user(system_session(w.db, "drill"), "msk_neuro")
    w.refusals += 1
    at.run()
    assert on_login_page(at)
    at.session_state["_open_subject"] = w.foreign_subject("MSK")
    with pytest.raises(ValueError, match=r"Known pages: \['Sign in'\]"):
        at.switch_page(page_path("subject.py"))


def _forged_routed_session(role: str, site: str | None) -> Callable[[World], None]:
    """msk_neuro's ``_caseguard_session`` replaced by one with another role or site."""

    def attempt(w: World) -> None:
        at = app(w, "msk_neuro")
        at.session_state["_caseguard_session"] = Session(w.db, "msk_neuro", role, site)
        w.refusals += 1
        at.run()
        assert not at.exception
        assert at.table[0].value.index.tolist() == ["MSK"]
        assert "site neurologist" in at.sidebar.caption[0].value
        routed = at.session_state["_caseguard_session"]
        assert (routed.role, routed.site_code) == ("site_user", "MSK")
        if site == "PRM":  # and the other centre's subject stays out of reach
            at.session_state["_caseguard_session"] = Session(w.db, "msk_neuro", role, site)
            at.session_state["_open_subject"] = w.foreign_subject()
            w.refusals += 2  # the forged session again, and the read
            at.switch_page(page_path("subject.py")).run()
            assert any("may not read clinical" in e.value for e in at.error)

    return attempt


BYPASSES: tuple[Bypass, ...] = (
    # -- the data layer: library calls with a Session
    Bypass(
        "site user reads, lists in safety, bundles and exports another centre",
        "data layer",
        ("msk_neuro", "site_user"),
        ("read subject", "SAE listing", "bundle of site PRM", "export pooled data"),
        _site_user_reads,
    ),
    Bypass(
        "site user writes to another centre (every write function)",
        "data layer",
        ("msk_neuro", "site_user"),
        ("save a case", "read subject", "import a spreadsheet"),
        _writes_as("msk_neuro"),
    ),
    Bypass(
        "monitor writes (every write function)",
        "data layer",
        ("monitor", "monitor"),
        ("save a case", "add to subject", "change subject", "open a subject", "import a"),
        _writes_as("monitor"),
    ),
    Bypass(
        "monitor row-level export: pooled, zip, site bundle, bundle import",
        "data layer",
        ("monitor", "monitor"),
        ("export pooled data", "bundle of site PRM", "import a site bundle"),
        _monitor_exports,
    ),
    Bypass(
        "admin reads clinical rows",
        "data layer",
        ("admin", "admin"),
        ("list subjects", "read subject"),
        _admin_reads,
    ),
    # -- the pages: AppTest driving capture_app.py
    Bypass(
        "visitor asks for app pages by URL",
        "pages",
        VISITOR,
        ("subject", "overview", "export"),
        pages_refused(None, ("subject", "overview", "export")),
    ),
    Bypass(
        "visitor puts a user name in session state",
        "pages",
        VISITOR,
        ("act as coordinator",),
        _visitor_claims_a_user,
    ),
    *(
        Bypass(
            f"site user with another centre's subject in state opens {script}",
            "pages",
            ("msk_neuro", "site_user"),
            ("read subject",),
            foreign_subject_on_page(script, claimed),
        )
        for script, claimed in (
            ("subject.py", "PRM"),
            ("treatments.py", "MSK"),  # the state even lies about the site
            ("visits.py", "PRM"),
            ("adverse_events.py", "MSK"),
            ("corrections.py", "PRM"),
        )
    ),
    Bypass(
        "site user asks for monitor and coordinator pages by URL",
        "pages",
        ("msk_neuro", "site_user"),
        ("safety", "safety-listings", "export"),
        pages_refused("msk_neuro", ("safety", "safety-listings", "export")),
    ),
    Bypass(
        "monitor asks for entry pages and the export page by URL",
        "pages",
        ("monitor", "monitor"),
        (*ENTRY_PAGES, "export"),
        pages_refused("monitor", (*ENTRY_PAGES, "export")),
    ),
    Bypass(
        "site user asks for the monitor's data-review page by URL",
        "pages",
        ("msk_neuro", "site_user"),
        ("data-review",),
        pages_refused("msk_neuro", ("data-review",)),
    ),
    Bypass(
        "monitor asks for the site's queries and sign-off pages by URL",
        "pages",
        ("monitor", "monitor"),
        ("queries", "sign-off"),
        pages_refused("monitor", ("queries", "sign-off")),
    ),
    Bypass(
        "admin asks for a clinical page by URL",
        "pages",
        ("admin", "admin"),
        ("subject", "safety"),
        pages_refused("admin", ("subject", "safety")),
    ),
    Bypass(
        "user disabled mid-session",
        "pages",
        ("msk_neuro", "site_user"),
        ("use_session",),
        _disabled_mid_session,
    ),
    Bypass(
        "session state's user name changed to another account",
        "pages",
        ("msk_neuro", "site_user"),
        ("act as coordinator",),
        _user_renamed_in_state,
    ),
    Bypass(
        "routed session forged with the coordinator role",
        "pages",
        ("msk_neuro", "site_user"),
        ("use_session",),
        _forged_routed_session("coordinator", None),
    ),
    Bypass(
        "routed session forged with another site, then another centre's subject",
        "pages",
        ("msk_neuro", "site_user"),
        ("use_session", "read subject"),
        _forged_routed_session("site_user", "PRM"),
    ),
)


# --- the drill ----------------------------------------------------------------------


def _needles() -> set[str]:
    forms = {f for i in IDENTIFIERS for f in (i, i.lower(), i.upper())}
    return forms | {normalise_local_id(i) for i in LOCAL_IDS.values()}


def _clinical(db: Database) -> dict[str, int]:
    counts = table_counts(db)
    counts.pop("audit_log")
    counts.pop("users")  # disabling an account is the setup of one attempt
    return counts


@pytest.fixture(scope="module")
def tally() -> Iterator[dict[str, list[int]]]:
    """Attempts and audit entries per door, reported once the module is done."""
    figures: dict[str, list[int]] = {}
    yield figures
    if figures:
        report(
            "Access bypass",
            {
                **{f"{door}: bypasses refused": v[0] for door, v in figures.items()},
                **{f"{door}: access_denied entries": v[1] for door, v in figures.items()},
                "identifiers in those entries": 0,
            },
            "Every bypass of issue 7 (other centre's subject, monitor writes and row-level "
            "exports, no login, disabled account, tampered session state) through the "
            "data layer and the pages: refused, audited, nothing changed.",
        )


@pytest.mark.parametrize("bypass", BYPASSES, ids=lambda b: b.name.replace(" ", "-"))
def test_bypass_is_refused_and_audited(
    bypass: Bypass, world: World, tally: dict[str, list[int]]
) -> None:
    before, counts = audit_count(world.db), _clinical(world.db)
    bypass.attempt(world)
    entries = audit_rows(world.db)[before:]
    denials = [e for e in entries if e["action"] == "access_denied"]
    mine = [e for e in denials if (e["username"], e["role"]) == bypass.who]
    assert len(mine) >= world.refusals, (world.refusals, [e["row_key"] for e in mine])
    for what in bypass.what:
        assert any(what in str(e["row_key"]) for e in mine), (what, [e["row_key"] for e in mine])
    text = repr(entries)
    assert not [n for n in _needles() if n in text], "an identifier reached the audit log"
    assert _clinical(world.db) == counts
    verify(world.db)
    seen = tally.setdefault(bypass.door, [0, 0])
    seen[0], seen[1] = seen[0] + 1, seen[1] + len(denials)


def test_query_params_are_ignored(world: World) -> None:
    """No page reads query parameters: another centre's pseudonym there opens nothing."""
    at = app(world, "msk_neuro")
    at.query_params["subject"] = world.prm_sid
    at.query_params["subject_id"] = world.prm_sid
    at.switch_page(page_path("subject.py")).run()
    assert not at.exception
    shown = " ".join(str(e.value) for e in (*at.markdown, *at.caption, *at.info, *at.error))
    assert world.prm_sid not in shown and "_open_subject" not in at.session_state


def test_monitor_gets_no_row_level_download(world: World) -> None:
    """Listings are shown to a monitor without their CSV download; a coordinator has it."""
    downloads = {}
    for username in ("monitor", "coordinator"):
        at = app(world, username)
        at.switch_page(page_path("safety_listings.py")).run()
        assert not at.exception, [e.value for e in at.exception]
        downloads[username] = len(at.get("download_button"))
    assert downloads["monitor"] == 0 and downloads["coordinator"] >= 1


def test_unknown_roles_get_no_session(world: World) -> None:
    """The data layer builds no session for a role it does not know (no one to audit)."""
    for role, site in (("superuser", None), ("anonymous", None), ("site_user", None)):
        with pytest.raises(AccessDenied):
            Session(world.db, "intruder", role, site)


USERNAMES = hs.sampled_from([a[0] for a in ACCOUNTS]) | hs.text(min_size=1, max_size=20)
SIGNATURES = hs.none() | hs.text(max_size=80) | USERNAMES.map(lambda u: f"{u}:{'0' * 64}")


@settings(
    max_examples=size(4, 150),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(claimed=USERNAMES, signature=SIGNATURES)
def test_forged_session_state_never_signs_anyone_in(
    world: World, claimed: str, signature: str | None
) -> None:
    """Random user names and signatures put into a visitor's session state: login page."""
    st.cache_resource.clear()
    at = app(world, None)
    at.session_state["auth_user"] = claimed
    at.session_state["auth_last_seen"] = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if signature is not None:
        at.session_state["auth_signed"] = signature
    at.run()
    assert not at.exception
    assert on_login_page(at)
    last = audit_rows(world.db)[-1]
    assert (last["username"], last["role"], last["action"]) == (*VISITOR, "access_denied")


def test_refusal_audit_does_not_break_when_the_app_is_used_normally(world: World) -> None:
    """Control: signing in and moving between one's own pages audits no refusal."""
    before = audit_count(world.db)
    at = app(world, "msk_neuro")
    for page in pages_for("site_user"):
        at.switch_page(str(page.path)).run()
        assert not at.exception, (page.url, [e.value for e in at.exception])
    at.button(key="sign_out").click().run()
    at.run()
    assert on_login_page(at)
    actions = [e["action"] for e in audit_rows(world.db)[before:]]
    assert "access_denied" not in actions and actions[0] == "login" and "logout" in actions
    with pytest.raises(CaseguardError):  # and the refusals above were real ones
        load_case(world.as_user("msk_neuro"), world.prm_sid)
