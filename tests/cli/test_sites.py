"""``caseguard site init|public-key|register`` (warehouse/cli/sites.py): enrolling a centre.

A site and a coordinator are two databases with two key stores. The README's three
commands must enrol the site so its bundles import, with nothing secret of the site's
ever at the coordinator.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from warehouse.cli.main import main


def run(keys: Path, *args: object) -> Result:
    """One command with its own key store (the site's or the coordinator's)."""
    return CliRunner(env={"CASEGUARD_KEY_DIR": str(keys)}).invoke(main, [str(a) for a in args])


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def error_line(result: Result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.stderr
    return lines[0]


def fingerprint_in(output: str) -> str:
    match = re.search(r"fingerprint: ((?:[0-9a-f]{4} ){15}[0-9a-f]{4})", output)
    assert match, output
    return match.group(1)


@pytest.fixture
def parties(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.delenv("CASEGUARD_DB", raising=False)
    site, centre = tmp_path / "site", tmp_path / "centre"
    ok(run(site / "keys", "init", "--db", site / "s.duckdb"))
    ok(run(centre / "keys", "init", "--db", centre / "c.duckdb"))
    return {
        "site_db": site / "s.duckdb",
        "site_keys": site / "keys",
        "db": centre / "c.duckdb",
        "keys": centre / "keys",
        "root": tmp_path,
    }


def add_subject(site_db: Path, site_keys: Path) -> None:
    from tests.warehouse_fixtures import make_case, site_user
    from warehouse.store.cases import save_case
    from warehouse.store.db import Database

    db = Database(site_db, key_dir=site_keys)
    save_case(site_user(db, "MSK"), make_case(db, "MSK", "ENROL-1"))


def site_bundle(p: dict[str, Path]) -> Path:
    """A subject entered at the site, exported as MSK's signed bundle."""
    add_subject(p["site_db"], p["site_keys"])
    bundle = p["root"] / "msk.zip"
    export = ("bundle", "export", "--db", p["site_db"], "--site", "MSK", "--out", bundle)
    ok(run(p["site_keys"], *export))
    return bundle


def test_the_three_command_enrolment_lets_bundles_in(parties: dict[str, Path]) -> None:
    """Issue 18 item 6: the documented flow completes from the command line."""
    p = parties
    pem = p["root"] / "msk.pem"
    at_site = ok(
        run(p["site_keys"], "site", "init", "MSK", "--db", p["site_db"], "--name", "Moscow")
    )
    exported = ok(run(p["site_keys"], "site", "public-key", "MSK", "--out", pem))
    registered = ok(
        run(
            p["keys"],
            "site",
            "register",
            "MSK",
            "--db",
            p["db"],
            "--name",
            "Moscow",
            "--region",
            "Moscow",
            "--public-key",
            pem,
        )
    )
    # the same fingerprint at both ends, to be compared by phone
    assert fingerprint_in(at_site) == fingerprint_in(exported) == fingerprint_in(registered)
    assert "BEGIN PUBLIC KEY" in pem.read_text() and "PRIVATE" not in pem.read_text()
    bundle = site_bundle(p)
    imported = ok(run(p["keys"], "bundle", "import", "--db", p["db"], bundle))
    assert "9 rows added" in imported and "signature verified" in imported
    # the coordinator holds no secret of the site: neither its pseudonym key nor its
    # signing key; verification needed the public key alone (issue 18 item 2)
    assert not list(p["keys"].glob("site-*"))


def test_bundle_import_into_an_unenrolled_coordinator_names_the_fix(
    parties: dict[str, Path],
) -> None:
    p = parties
    ok(run(p["site_keys"], "site", "init", "MSK", "--db", p["site_db"], "--name", "Moscow"))
    bundle = site_bundle(p)
    line = error_line(run(p["keys"], "bundle", "import", "--db", p["db"], bundle))
    assert "not registered" in line and "caseguard site register MSK" in line


def test_a_new_key_for_a_known_site_needs_rotate_and_is_audited(
    parties: dict[str, Path],
) -> None:
    p = parties
    first, second = p["root"] / "a.pem", p["root"] / "b.pem"
    ok(run(p["site_keys"], "site", "init", "MSK"))
    ok(run(p["site_keys"], "site", "public-key", "MSK", "--out", first))
    ok(run(p["root"] / "other-keys", "site", "init", "MSK"))
    ok(run(p["root"] / "other-keys", "site", "public-key", "MSK", "--out", second))
    register = ("site", "register", "MSK", "--db", p["db"], "--name", "Moscow")
    register += ("--region", "Moscow")
    ok(run(p["keys"], *register, "--public-key", first))
    again = ok(run(p["keys"], *register, "--public-key", first))
    assert "unchanged" in again
    line = error_line(run(p["keys"], *register, "--public-key", second))
    assert "--rotate" in line
    rotated = ok(run(p["keys"], *register, "--public-key", second, "--rotate"))
    assert "rotated" in rotated
    from warehouse.store.db import Database

    db = Database(p["db"], key_dir=p["keys"])
    with db.connect(read_only=True) as conn:
        rows = conn.execute(
            "SELECT action, before, after FROM audit_log WHERE table_name = 'site_public_keys' "
            "ORDER BY seq"
        ).fetchall()
    assert [r[0] for r in rows] == ["register_site_key", "rotate_site_key"]
    rotated_fp = fingerprint_in(rotated).replace(" ", "")
    assert json.loads(rows[1][1])["fingerprint"] == json.loads(rows[0][2])["fingerprint"]
    assert json.loads(rows[1][2])["fingerprint"] == rotated_fp
    assert ok(run(p["keys"], "audit", "verify", "--db", p["db"]))


def test_register_refuses_what_is_not_a_public_key(parties: dict[str, Path]) -> None:
    p = parties
    private = p["site_keys"] / "site-MSK.sign.pem"
    ok(run(p["site_keys"], "site", "init", "MSK"))
    junk = p["root"] / "junk.pem"
    junk.write_text("not a key")
    for bad in (junk, private):
        line = error_line(
            run(
                p["keys"],
                *("site", "register", "MSK", "--db", p["db"], "--name", "Msk", "--region", "Msk"),
                "--public-key",
                bad,
            )
        )
        assert "not a PEM public key" in line
        assert "PRIVATE" not in line
