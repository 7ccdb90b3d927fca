"""Secret key files, kept outside the database and never exported.

A key store is a directory (mode 0700) holding one file per key (mode 0600), each
32 random bytes written as hex: ``site-<CODE>.key`` for a site's pseudonym key and
``audit.key`` for the audit chain's HMAC. A site key is never overwritten: losing it
would make every existing pseudonym of that site unreachable.

Beside each site key lies the site's bundle-signing key, ``site-<CODE>.sign.pem``: an
Ed25519 private key (PKCS#8 PEM, 0600) made from fresh randomness, not derived from the
pseudonym key, so the coordinator verifies bundles with the public half alone and never
needs the secret that makes the site's pseudonyms. It is never overwritten either.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.errors import KeyFileError

_KEY_BYTES = 32
_SITE_CODE = re.compile(r"^[A-Z]{2,8}$")


class KeyStore:
    """A directory of key files."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def site_key_path(self, site_code: str) -> Path:
        """Where the key of ``site_code`` lives."""
        if not _SITE_CODE.match(site_code):
            raise KeyFileError(f"site code {site_code!r} must be 2-8 capital Latin letters")
        return self.directory / f"site-{site_code}.key"

    def create_site_key(self, site_code: str) -> Path:
        """Create a new random key for a site; refuse if one exists."""
        path = self.site_key_path(site_code)
        if path.exists():
            raise KeyFileError(
                f"site {site_code} already has a key at {path}; it is never replaced"
            )
        self._write(path, secrets.token_bytes(_KEY_BYTES))
        return path

    def has_site_key(self, site_code: str) -> bool:
        """True if the site's key file exists."""
        return self.site_key_path(site_code).exists()

    def site_key(self, site_code: str) -> bytes:
        """Read a site's key; a clear error if it is missing or malformed."""
        path = self.site_key_path(site_code)
        if not path.exists():
            raise KeyFileError(
                f"no key for site {site_code} in {self.directory} "
                f"(run: caseguard site init {site_code})"
            )
        return self._read(path)

    def signing_key_path(self, site_code: str) -> Path:
        """Where the bundle-signing private key of ``site_code`` lives."""
        return self.site_key_path(site_code).with_name(f"site-{site_code}.sign.pem")

    def has_signing_key(self, site_code: str) -> bool:
        """True if the site's signing key file exists."""
        return self.signing_key_path(site_code).exists()

    def create_signing_key(self, site_code: str) -> Path:
        """Create the site's Ed25519 signing key pair; refuse if one exists."""
        path = self.signing_key_path(site_code)
        if path.exists():
            raise KeyFileError(
                f"site {site_code} already has a signing key at {path}; it is never replaced"
            )
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self._write_bytes(path, pem)
        return path

    def signing_key(self, site_code: str) -> Ed25519PrivateKey:
        """The site's signing key; a clear error if it is missing or malformed."""
        path = self.signing_key_path(site_code)
        if not path.exists():
            raise KeyFileError(
                f"no signing key for site {site_code} in {self.directory} "
                f"(run at the site: caseguard site init {site_code})"
            )
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise KeyFileError(
                f"cannot read signing key file {path}: {exc.__class__.__name__}"
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFileError(f"signing key file {path} does not hold an Ed25519 key")
        return key

    @property
    def linkage_key_path(self) -> Path:
        """Where the study-wide linkage key lives (at sites only, never at the coordinator)."""
        return self.directory / "linkage.key"

    def has_linkage_key(self) -> bool:
        """True if this key store holds the study's linkage key."""
        return self.linkage_key_path.exists()

    def create_linkage_key(self) -> Path:
        """Create the study-wide linkage key (done once per study); refuse if one exists."""
        path = self.linkage_key_path
        if path.exists():
            raise KeyFileError(f"a linkage key already exists at {path}; it is never replaced")
        self._write(path, secrets.token_bytes(_KEY_BYTES))
        return path

    def import_linkage_key(self, source: Path) -> Path:
        """Install the study's linkage key from a file made by ``linkage export-key``.

        Importing the same key again is harmless; a different key is refused, since tokens
        made under two keys never agree (rotation re-tokenises: docs/SECURITY.md).
        """
        key = self._read(Path(source))
        if self.has_linkage_key():
            if self.linkage_key() != key:
                raise KeyFileError(
                    f"{self.linkage_key_path} holds a different linkage key; it is never replaced"
                )
            return self.linkage_key_path
        self._write(self.linkage_key_path, key)
        return self.linkage_key_path

    def export_linkage_key(self, out: Path) -> Path:
        """Write the linkage key to ``out`` (0600, never over an existing file) for
        another site; it is a secret and travels like a site key, never by e-mail."""
        key = self.linkage_key()
        out = Path(out)
        try:
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise KeyFileError(f"{out} already exists; choose a new file name") from None
        except OSError as exc:
            raise KeyFileError(f"cannot write {out}: {exc.strerror or exc}") from None
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key.hex() + "\n")
        return out

    def linkage_key(self) -> bytes:
        """The study's linkage key; a clear error where it is missing (a coordinator)."""
        path = self.linkage_key_path
        if not path.exists():
            raise KeyFileError(
                f"no linkage key in {self.directory} (a site runs: caseguard linkage "
                "import-key FILE; the study's first site: caseguard linkage init)"
            )
        return self._read(path)

    def audit_key(self, create: bool = False) -> bytes:
        """The audit-chain key; created only when ``create`` (a log with no entries yet).

        A missing key for a log that has entries is an error, not a new key: a new key
        would make the whole chain look forged, or continue it under another key.
        """
        path = self.directory / "audit.key"
        if not path.exists():
            if not create:
                raise KeyFileError(
                    f"no audit key at {path}: is the key directory right? (set $CASEGUARD_KEY_DIR)"
                )
            self._write(path, secrets.token_bytes(_KEY_BYTES), exclusive_ok=True)
        return self._read(path)

    def _write(self, path: Path, key: bytes, exclusive_ok: bool = False) -> None:
        """Write a 32-byte key as hex (see :meth:`_write_bytes`)."""
        self._write_bytes(path, (key.hex() + "\n").encode("ascii"), exclusive_ok)

    def _write_bytes(self, path: Path, content: bytes, exclusive_ok: bool = False) -> None:
        """Write a key file to a temporary file (mode 0600) and link it into place, so a
        process killed midway leaves no empty or half-written key file behind."""
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{path.name}-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(tmp, path)  # atomic, and fails if the key exists: never replaced
            except FileExistsError:
                if exclusive_ok:  # another process created it first: use theirs
                    return
                raise KeyFileError(f"key file {path} already exists") from None
        finally:
            os.unlink(tmp)

    @staticmethod
    def _read(path: Path) -> bytes:
        try:
            text = path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise KeyFileError(f"cannot read key file {path}: {exc.__class__.__name__}") from None
        if not re.fullmatch(r"[0-9a-f]{64}", text):
            raise KeyFileError(f"key file {path} is malformed (expected 64 hex digits)")
        return bytes.fromhex(text)
