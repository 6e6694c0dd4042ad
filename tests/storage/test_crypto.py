from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.storage import migrate
from bot.storage.crypto import KEY_FILE_NAME, TokenCipher, TokenDecryptError, load_or_create_key
from bot.storage.engine import create_engine, create_session_factory
from bot.storage.models import NetatmoLink, TelegramUser

ACCESS = "5c81004a1b2c3d4e5f6a7b8c|0123456789abcdef0123456789abcdef"
REFRESH = "5c81004a1b2c3d4e5f6a7b8c|fedcba9876543210fedcba9876543210"


def test_generated_key_is_private_and_stable(tmp_path: Path) -> None:
    key = load_or_create_key("", tmp_path)
    path = tmp_path / KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key("", tmp_path) == key
    assert TokenCipher(key).decrypt(TokenCipher(key).encrypt("x")) == "x"


def test_configured_key_wins_and_is_validated(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    assert load_or_create_key(key, tmp_path) == key.encode()
    assert not (tmp_path / KEY_FILE_NAME).exists()
    with pytest.raises(ValueError):
        load_or_create_key("not-a-key", tmp_path)


def test_wrong_key_is_a_clear_error() -> None:
    ciphertext = TokenCipher(Fernet.generate_key()).encrypt(ACCESS)
    with pytest.raises(TokenDecryptError, match="TOKEN_ENCRYPTION_KEY"):
        TokenCipher(Fernet.generate_key()).decrypt(ciphertext)


async def test_stored_tokens_are_not_readable_in_the_database_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await migrate.upgrade(url)
    cipher = TokenCipher(load_or_create_key("", tmp_path))
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    async with sessions.begin() as session:
        session.add(TelegramUser(id=42, first_name="Anna"))
        await session.flush()
        session.add(
            NetatmoLink(
                telegram_user_id=42,
                netatmo_user_id="5c81004a1b2c3d4e5f6a7b8c",
                access_token_enc=cipher.encrypt(ACCESS),
                refresh_token_enc=cipher.encrypt(REFRESH),
                expires_at=datetime.now(UTC) + timedelta(hours=3),
            )
        )
    async with sessions() as session:
        link = await session.get(NetatmoLink, 1)
        assert link is not None
        assert cipher.decrypt(link.refresh_token_enc) == REFRESH
    await engine.dispose()
    files = [entry.path for entry in os.scandir(tmp_path) if entry.name.startswith("bot.db")]
    raw = b"".join(Path(name).read_bytes() for name in files)  # noqa: ASYNC240
    assert b"0123456789abcdef0123456789abcdef" not in raw
    assert b"fedcba9876543210fedcba9876543210" not in raw
