"""Encryption of Netatmo tokens at rest (Fernet: AES-128-CBC + HMAC-SHA256, with a timestamp).

A database copy or backup alone must not give anyone access to a family's cameras. The key lives apart
from the database: TOKEN_ENCRYPTION_KEY, or a file generated once under DATA_DIR with mode 0600.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

KEY_FILE_NAME = "token-encryption.key"


class TokenDecryptError(Exception):
    """The stored ciphertext does not match the key (the key was changed or the row was tampered with)."""


class TokenCipher:
    """Encrypts and decrypts token strings with one Fernet key."""

    def __init__(self, key: bytes | str) -> None:
        self._fernet = Fernet(key)

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode("utf-8"))

    def decrypt(self, ciphertext: bytes) -> str:
        try:
            return self._fernet.decrypt(ciphertext).decode("utf-8")
        except InvalidToken as exc:
            raise TokenDecryptError("stored token cannot be decrypted with TOKEN_ENCRYPTION_KEY") from exc


def load_or_create_key(configured: str, data_dir: Path) -> bytes:
    """Return the configured key, or the key file under data_dir, creating it (0600) on first use."""
    if configured:
        key = configured.encode("ascii")
        Fernet(key)  # raises ValueError with a clear message when malformed
        return key
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / KEY_FILE_NAME
    if path.exists():
        return path.read_bytes().strip()
    key = Fernet.generate_key()
    # O_EXCL: two processes starting at once must not write two different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key
