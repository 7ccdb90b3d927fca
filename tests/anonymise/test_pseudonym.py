"""Keyed pseudonyms, date shifts and the site key files they depend on."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymise import KeyStore, pseudonymise, shift_date
from anonymise.pseudonym import MAX_SHIFT_DAYS, InvalidLocalId, normalise_local_id
from schemas.common import SUBJECT_ID
from schemas.errors import KeyFileError

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))

keys = st.binary(min_size=32, max_size=32)
site_codes = st.from_regex(r"[A-Z]{2,8}", fullmatch=True)
local_ids = st.text(min_size=1, max_size=40).filter(lambda s: normalise_local_id(s) != "")
ascii_ids = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/",
    min_size=1,
    max_size=24,
)


# --- pseudonyms ---------------------------------------------------------------------


def test_same_local_id_same_site_gives_same_subject_and_shift() -> None:
    first = pseudonymise(KEY, "MSK", "PAT-001")
    again = pseudonymise(KEY, "MSK", "PAT-001")
    assert first == again
    assert re.fullmatch(SUBJECT_ID, first.subject_id) and first.subject_id.startswith("MSK-")
    assert -MAX_SHIFT_DAYS <= first.date_shift_days <= MAX_SHIFT_DAYS


@pytest.mark.parametrize(
    "variant",
    [
        "pat-001",
        " PAT-001",
        "PAT-001 ",
        "PAT -001",
        "P A T - 0 0 1",
        "\tpat-001\n",
        "PAT\u00a0-001",
        "ＰＡＴ－００１",
        "Pat-001",
    ],
)
def test_spacing_case_and_width_variants_are_the_same_patient(variant: str) -> None:
    assert pseudonymise(KEY, "MSK", variant) == pseudonymise(KEY, "MSK", "PAT-001")


def test_different_ids_give_different_subjects() -> None:
    ids = {pseudonymise(KEY, "MSK", f"PAT-{i:04d}").subject_id for i in range(2000)}
    assert len(ids) == 2000
    assert pseudonymise(KEY, "MSK", "PAT-0010") != pseudonymise(KEY, "MSK", "PAT-001-0")


def test_same_local_id_at_another_site_is_another_subject() -> None:
    msk = pseudonymise(KEY, "MSK", "PAT-001")
    prm_same_key = pseudonymise(KEY, "PRM", "PAT-001")
    prm_own_key = pseudonymise(OTHER_KEY, "PRM", "PAT-001")
    assert prm_same_key.subject_id.startswith("PRM-") and prm_own_key.subject_id.startswith("PRM-")
    suffixes = {p.subject_id.split("-", 1)[1] for p in (msk, prm_same_key, prm_own_key)}
    assert len(suffixes) == 3


def test_another_key_gives_another_subject_at_the_same_site() -> None:
    assert (
        pseudonymise(KEY, "MSK", "PAT-001").subject_id
        != pseudonymise(OTHER_KEY, "MSK", "PAT-001").subject_id
    )


def test_the_local_id_does_not_show_in_the_pseudonym() -> None:
    p = pseudonymise(KEY, "MSK", "123456789")
    assert "123456789" not in repr(p) and "1234" not in p.subject_id


@pytest.mark.parametrize("empty", ["", " ", "   \t\n", "\u3000", "\u00a0\u2003"])
def test_empty_local_id_is_refused_without_echoing_it(empty: str) -> None:
    with pytest.raises(InvalidLocalId) as caught:
        pseudonymise(KEY, "MSK", empty)
    message = str(caught.value)
    assert message and (not empty.strip() or empty not in message)
    assert "empty" in message


def test_invalid_local_id_is_a_caseguard_error_with_a_title() -> None:
    from schemas.errors import CaseguardError

    with pytest.raises(CaseguardError) as caught:
        pseudonymise(KEY, "MSK", "")
    assert type(caught.value).title == "Invalid local patient id"


@settings(max_examples=300, deadline=None)
@given(key=keys, site=site_codes, local_id=local_ids)
def test_shift_is_always_within_half_a_year(key: bytes, site: str, local_id: str) -> None:
    p = pseudonymise(key, site, local_id)
    assert -MAX_SHIFT_DAYS <= p.date_shift_days <= MAX_SHIFT_DAYS
    assert re.fullmatch(SUBJECT_ID, p.subject_id)
    assert p.subject_id.startswith(f"{site}-")
    assert pseudonymise(key, site, local_id) == p  # deterministic


@settings(max_examples=200, deadline=None)
@given(key=keys, local_id=ascii_ids, data=st.data())
def test_whitespace_and_case_never_matter(key: bytes, local_id: str, data: st.DataObject) -> None:
    spaced = "".join(ch + data.draw(st.sampled_from(["", " ", "\t", "  "])) for ch in local_id)
    variant = data.draw(st.sampled_from([str.lower, str.upper, str.swapcase]))(spaced)
    assert pseudonymise(key, "MSK", f" {variant} ") == pseudonymise(key, "MSK", local_id)


def test_shifts_cover_the_whole_range() -> None:
    shifts = {pseudonymise(KEY, "MSK", f"P{i}").date_shift_days for i in range(20000)}
    assert min(shifts) == -MAX_SHIFT_DAYS and max(shifts) == MAX_SHIFT_DAYS
    assert len(shifts) > 300


@pytest.mark.parametrize("missing", [None, float("nan")])
def test_missing_local_id_is_refused(missing: object) -> None:
    with pytest.raises(InvalidLocalId):
        pseudonymise(KEY, "MSK", missing)  # type: ignore[arg-type]


# --- date shifts --------------------------------------------------------------------


def test_shift_date_keeps_intervals_and_none() -> None:
    shift = pseudonymise(KEY, "MSK", "PAT-001").date_shift_days
    first, later = dt.date(2021, 6, 1), dt.date(2022, 2, 28)
    a, b = shift_date(first, shift), shift_date(later, shift)
    assert a is not None and b is not None
    assert (b - a) == (later - first)
    assert (a - first).days == shift
    assert shift_date(None, shift) is None
    moment = dt.datetime(2021, 6, 1, 14, 30)
    assert shift_date(moment, -3) == dt.datetime(2021, 5, 29, 14, 30)


# --- site key files -----------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_site_key_file_is_private(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    path = store.create_site_key("MSK")
    assert path == tmp_path / "keys" / "site-MSK.key"
    assert _mode(path) == 0o600
    assert _mode(tmp_path / "keys") == 0o700
    assert re.fullmatch(r"[0-9a-f]{64}\n", path.read_text())
    assert store.has_site_key("MSK") and not store.has_site_key("PRM")
    assert store.site_key("MSK") == bytes.fromhex(path.read_text().strip())


def test_site_key_file_is_private_even_with_a_loose_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = KeyStore(tmp_path / "keys").create_site_key("MSK")
    finally:
        os.umask(old)
    assert _mode(path) == 0o600 and _mode(tmp_path / "keys") == 0o700


def test_site_keys_differ_between_sites(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    store.create_site_key("MSK")
    store.create_site_key("PRM")
    assert store.site_key("MSK") != store.site_key("PRM")
    assert len(store.site_key("MSK")) == 32


def test_site_key_is_never_overwritten(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    path = store.create_site_key("MSK")
    original, mtime = path.read_bytes(), path.stat().st_mtime_ns
    with pytest.raises(KeyFileError, match="never replaced"):
        store.create_site_key("MSK")
    with pytest.raises(KeyFileError):
        KeyStore(tmp_path / "keys").create_site_key("MSK")  # a second store, same folder
    assert path.read_bytes() == original and path.stat().st_mtime_ns == mtime
    assert pseudonymise(store.site_key("MSK"), "MSK", "PAT-1") == pseudonymise(
        bytes.fromhex(original.decode().strip()), "MSK", "PAT-1"
    )


@pytest.mark.parametrize(
    "content",
    [
        "",
        "\n",
        "ab" * 31,
        "ab" * 33,
        "AB" * 32,
        "zz" * 32,
        "ab" * 16 + " " + "ab" * 16,
        "-----BEGIN KEY-----\n",
    ],
)
def test_malformed_site_key_is_refused(tmp_path: Path, content: str) -> None:
    store = KeyStore(tmp_path / "keys")
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "site-MSK.key").write_text(content)
    with pytest.raises(KeyFileError, match="malformed") as caught:
        store.site_key("MSK")
    if content.strip():
        assert content.strip() not in str(caught.value)  # the key material is not echoed


def test_unreadable_key_file_is_a_key_error(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "site-MSK.key").write_bytes(b"\xff\xfe" * 32)
    with pytest.raises(KeyFileError, match="cannot read"):
        KeyStore(tmp_path / "keys").site_key("MSK")


def test_missing_site_key_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="site init MSK"):
        KeyStore(tmp_path / "keys").site_key("MSK")


@pytest.mark.parametrize("code", ["msk", "M", "../MSK", "MSK/..", "MSK1", "ABCDEFGHI", ""])
def test_bad_site_codes_never_touch_the_file_system(tmp_path: Path, code: str) -> None:
    store = KeyStore(tmp_path / "keys")
    with pytest.raises(KeyFileError, match="capital Latin letters"):
        store.create_site_key(code)
    assert not (tmp_path / "keys").exists()


def test_audit_key_is_created_once_and_private(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    with pytest.raises(KeyFileError):
        store.audit_key()  # never silently made up for an existing log
    first = store.audit_key(create=True)
    assert store.audit_key() == first == KeyStore(tmp_path / "keys").audit_key(create=True)
    assert _mode(tmp_path / "keys" / "audit.key") == 0o600
    store.create_site_key("MSK")
    assert first != store.site_key("MSK")
