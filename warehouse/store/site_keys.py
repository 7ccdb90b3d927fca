"""Enrolled sites' public keys: the only thing a coordinator needs to verify a bundle.

A site signs its bundles with its own Ed25519 private key (kept in the site's key store,
see :class:`anonymise.keys.KeyStore`); the coordinator registers the public half, read
from the PEM file the site sends, and compares its fingerprint with the site by phone.
Registering is audited; replacing a registered key needs ``rotate`` and is audited with
the old and the new fingerprint, so the audit log holds every key a site ever had.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import duckdb
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from schemas.errors import CaseguardError, Conflict
from warehouse.store.access import MANAGE_SITES, Session, require
from warehouse.store.admin import add_site
from warehouse.store.audit import Event, audited_transaction
from warehouse.store.db import one

MAX_PEM_BYTES = 4096


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The public key as PEM (SubjectPublicKeyInfo), the form a site sends."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(pem: bytes, source: str = "the public key") -> Ed25519PublicKey:
    """An Ed25519 public key from PEM text; a clear error for anything else."""
    if len(pem) > MAX_PEM_BYTES:
        raise CaseguardError(f"{source} is not a public key file (larger than 4 KB)")
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise CaseguardError(
            f"{source} is not a PEM public key (write it with: caseguard site public-key)"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise CaseguardError(f"{source} is not an Ed25519 key (caseguard signs with Ed25519)")
    return key


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw 32-byte public key, in hex: what the audit log records."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def spoken(fp: str) -> str:
    """A fingerprint in groups of four, to read out and compare by phone."""
    return " ".join(fp[i : i + 4] for i in range(0, len(fp), 4))


@dataclass(frozen=True)
class RegisteredKey:
    """A site's registered public key and its fingerprint."""

    site_code: str
    key: Ed25519PublicKey
    fingerprint: str


def registered_key(conn: duckdb.DuckDBPyConnection, site_code: str) -> RegisteredKey | None:
    """The public key registered for ``site_code`` (None if the site has none)."""
    row = one(
        conn,
        "SELECT public_key, fingerprint FROM site_public_keys WHERE site_code = ?",
        [site_code],
    )
    if row is None:
        return None
    return RegisteredKey(site_code, load_public_key(str(row[0]).encode("ascii")), str(row[1]))


@dataclass(frozen=True)
class Enrolment:
    """What :func:`register_site` did: the fingerprint and whether anything changed."""

    site_code: str
    fingerprint: str
    site_added: bool
    outcome: str  # "registered", "rotated" or "unchanged"


def register_site(
    session: Session,
    site_code: str,
    pem: bytes,
    name: str | None = None,
    region: str | None = None,
    rotate: bool = False,
    country: str = "RU",
) -> Enrolment:
    """Enrol a site by its public key (adding the site when ``name`` is given).

    A site whose registered key differs is refused unless ``rotate``: a new key for a
    known site is exactly what an impostor would send, so it must be asked for.
    """
    require(session, MANAGE_SITES, None, f"register the key of site {site_code}")
    key = load_public_key(pem)
    fp = fingerprint(key)
    text = public_pem(key).decode("ascii")
    with session.db.connect(read_only=True) as conn:
        known = one(conn, "SELECT 1 FROM sites WHERE site_code = ?", [site_code]) is not None
    added = False
    if not known:
        if not name:
            raise CaseguardError(
                f"site {site_code} is not registered here; give --name and --region to add it"
            )
        add_site(session, site_code, name, region or name, country)
        added = True
    with audited_transaction(session.db, session.actor) as (conn, events):
        current = registered_key(conn, site_code)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        if current is not None and current.fingerprint == fp:
            return Enrolment(site_code, fp, added, "unchanged")
        if current is not None and not rotate:
            raise Conflict(
                f"site {site_code} already has a registered key ({spoken(current.fingerprint)[:19]}"
                "...); a new key replaces it only with --rotate, after checking its fingerprint "
                "with the site"
            )
        conn.execute("DELETE FROM site_public_keys WHERE site_code = ?", [site_code])
        conn.execute("INSERT INTO site_public_keys VALUES (?, ?, ?, ?)", [site_code, text, fp, now])
        before = {"fingerprint": current.fingerprint} if current else None
        action = "rotate_site_key" if current else "register_site_key"
        events.append(
            Event(
                action,
                "site_public_keys",
                site_code,
                before=before,
                after={"fingerprint": fp, "public_key": text},
            )
        )
    return Enrolment(site_code, fp, added, "rotated" if current else "registered")
