"""``caseguard site init|public-key|register``: enrolling a centre that sends bundles.

At the site: ``site init CODE`` makes the pseudonymisation key and the bundle-signing key
pair (never replacing either); ``site public-key CODE --out FILE`` writes the public
half to send to the coordinator. At the coordinator: ``site register CODE --name N
--region R --public-key FILE`` enrols the site by that public key. Both ends print the
key's fingerprint, to be compared by phone before the first bundle is trusted.
"""

from __future__ import annotations

from pathlib import Path

import click

from warehouse.cli.options import database, db_option, friendly


@click.group()
def site() -> None:
    """Site keys and enrolment (pseudonym key, bundle-signing key, public key)."""


@site.command("init")
@click.argument("code")
@db_option
@click.option("--name", help="Register the site in the database under this name.")
@click.option("--region", default="", help="Region of the site (with --name).")
@click.option("--country", default="RU", show_default=True)
@friendly
def site_init(code: str, db_path: Path | None, name: str | None, region: str, country: str) -> None:
    """Create the site's secret keys (outside the database; never replaced)."""
    from warehouse.store.access import system_session
    from warehouse.store.site_keys import fingerprint, public_pem, register_site, spoken

    db = database(db_path, must_exist=bool(name))
    keys = db.keys
    keys.site_key_path(code)  # a clear error for a malformed code before anything is made
    for label, exists, create in (
        ("pseudonymisation key", keys.has_site_key, keys.create_site_key),
        ("signing key", keys.has_signing_key, keys.create_signing_key),
    ):
        if exists(code):
            click.echo(f"site {code}: {label} already present (kept as it is)")
        else:
            click.echo(f"site {code}: {label} created at {create(code)} (secret; back it up)")
    signing = keys.signing_key(code)
    if name:
        enrolment = register_site(
            system_session(db, "site-init"),
            code,
            public_pem(signing),
            name=name,
            region=region or name,
            country=country,
        )
        state = "registered" if enrolment.site_added else "already registered"
        click.echo(f"site {code} {state} in {db.path}")
    click.echo(f"public key fingerprint: {spoken(fingerprint(signing.public_key()))}")


@site.command("public-key")
@click.argument("code")
@db_option
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
@friendly
def site_public_key(code: str, db_path: Path | None, out_file: Path) -> None:
    """Write the site's public signing key (PEM) for the coordinator; print its fingerprint."""
    from schemas.errors import CaseguardError
    from warehouse.store.site_keys import fingerprint, public_pem, spoken

    signing = database(db_path, must_exist=False).keys.signing_key(code)
    try:
        Path(out_file).write_bytes(public_pem(signing))
    except OSError as exc:
        raise CaseguardError(f"cannot write {out_file}: {exc.strerror or exc}") from None
    click.echo(f"public key of site {code} written to {out_file} (not secret: send it)")
    click.echo(f"fingerprint: {spoken(fingerprint(signing.public_key()))}")


@site.command("register")
@click.argument("code")
@db_option
@click.option("--name", help="Name of the site (needed when it is not registered yet).")
@click.option("--region", default="", help="Region of the site.")
@click.option("--country", default="RU", show_default=True)
@click.option(
    "--public-key",
    "public_key",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The site's public key file (from caseguard site public-key).",
)
@click.option("--rotate", is_flag=True, help="Replace the site's registered key (audited).")
@friendly
def site_register(
    code: str,
    db_path: Path | None,
    name: str | None,
    region: str,
    country: str,
    public_key: Path,
    rotate: bool,
) -> None:
    """Enrol a site at the coordinator by its public key (or re-key it with --rotate)."""
    from warehouse.store.access import system_session
    from warehouse.store.site_keys import register_site, spoken

    db = database(db_path)
    pem = public_key.read_bytes()[:8192]
    enrolment = register_site(
        system_session(db, "site-register"),
        code,
        pem,
        name=name,
        region=region or name,
        rotate=rotate,
        country=country,
    )
    added = " (site added)" if enrolment.site_added else ""
    click.echo(f"site {code}: key {enrolment.outcome}{added}")
    click.echo(f"fingerprint: {spoken(enrolment.fingerprint)} - compare it with the site by phone")


def register(main: click.Group) -> None:
    """Add the site commands to the ``caseguard`` group."""
    main.add_command(site, "site")
