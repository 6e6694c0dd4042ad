"""Links and OAuth states: single-use states, the link that serves a home, relinks, and the
compare-and-set writes that keep replicas from overwriting a newer token pair."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.storage import links
from bot.storage.crypto import TokenCipher
from bot.storage.models import Home, HomeMember, LinkState, NetatmoLink, OAuthState, TelegramUser

CIPHER = TokenCipher(Fernet.generate_key())


async def _add_link(session: Any, user: int, account: str, linked_at: Any, home: str | None = None) -> int:
    session.add(TelegramUser(id=user, first_name=f"u{user}"))
    await session.flush()
    link = NetatmoLink(
        telegram_user_id=user,
        netatmo_user_id=account,
        access_token_enc=b"a",
        refresh_token_enc=b"r",
        expires_at=linked_at,
        linked_at=linked_at,
    )
    session.add(link)
    await session.flush()
    if home is not None:
        session.add(HomeMember(home_id=home, telegram_user_id=user, role="owner", link_id=link.id))
        await session.flush()
    return link.id


async def test_states_are_used_once_and_expired_ones_cleaned(seeded: Any) -> None:
    now = seeded.now
    async with seeded.sessions.begin() as session:
        await links.add_state(session, "old", 10, 10, now - timedelta(hours=1), now - timedelta(minutes=50))
        await links.add_state(
            session, "first", 10, 10, now - timedelta(minutes=2), now + timedelta(minutes=8)
        )
    async with seeded.sessions.begin() as session:
        await links.add_state(session, "second", 10, -100, now, now + timedelta(minutes=10))
        await links.add_state(session, "bobs", 20, 20, now, now + timedelta(minutes=10))
    async with seeded.sessions.begin() as session:
        assert {row.state_hash for row in await session.scalars(select(OAuthState))} == {
            "first",
            "second",
            "bobs",
        }  # the expired one went when Anna asked again
        assert await links.latest_state_hash(session, 10, now) == "second"
        state = await links.get_state(session, "second")
        assert state is not None and (state.telegram_user_id, state.chat_id) == (10, -100)
        assert await links.get_state(session, "nope") is None
        assert await links.use_state(session, "second", now)
        assert not await links.use_state(session, "second", now)  # a replay
        assert await links.latest_state_hash(session, 10, now) == "first"
        assert await links.latest_state_hash(session, 10, now + timedelta(minutes=9)) is None


async def test_the_active_link_of_a_home_is_the_one_linked_longest(seeded: Any) -> None:
    home, now = seeded.home, seeded.now
    async with seeded.sessions.begin() as session:
        assert await links.active_link_of_home(session, home) == seeded.link_id
        assert await links.active_link_of_home(session, "other") is None
        older = await _add_link(session, 30, "acc", now - timedelta(days=30), home)
        newer = await _add_link(session, 40, "acc", now + timedelta(days=1), home)
        assert await links.active_link_of_home(session, home) == older
        old = await session.get(NetatmoLink, older)
        assert old is not None
        old.state = LinkState.BROKEN
        await session.flush()
        first = await session.get(NetatmoLink, seeded.link_id)
        assert first is not None
        first.linked_at = now + timedelta(days=2)
        await session.flush()
        assert await links.active_link_of_home(session, home) == newer
        # The same rule inside a larger read, correlated with the home of each row.
        per_home = links.active_link_of_home_select(Home.id).correlate(Home).scalar_subquery()
        rows = dict((await session.execute(select(Home.id, per_home).order_by(Home.id))).all())
        assert rows == {home: newer, "other": None}


async def test_link_of_user_and_other_active_links_of_the_account(seeded: Any) -> None:
    async with seeded.sessions.begin() as session:
        anna = await links.link_of_user(session, 10)
        assert anna is not None and anna.id == seeded.link_id and anna.state == LinkState.ACTIVE
        assert await links.link_of_user(session, 20) is None
        assert await links.link_of_user(session, 10, for_update=True) is anna
        anna.netatmo_user_id = "acc"
        await session.flush()
        assert await links.other_active_links(session, "acc", anna.id) == 0
        other = await _add_link(session, 30, "acc", seeded.now)
        assert await links.other_active_links(session, "acc", anna.id) == 1
        assert await links.other_active_links(session, "acc", other) == 1
        await links.delete_link(session, other)
        assert await links.other_active_links(session, "acc", anna.id) == 0
        assert await links.get_link(session, other) is None


async def test_save_link_creates_relinks_and_replaces_an_account(seeded: Any) -> None:
    now = seeded.now
    tokens = {"access_token": "A1", "refresh_token": "R1", "expires_at": now, "scopes": ["read_camera"]}
    async with seeded.sessions.begin() as session:
        session.add(TelegramUser(id=30, first_name="Cleo"))
        await session.flush()
        created = await links.save_link(session, CIPHER, 30, "acc", now=now, **tokens)
        assert (created.relinked, created.replaced_account) == (False, False)
        assert created.link.token_version == 0 and created.link.state == LinkState.ACTIVE
        assert CIPHER.decrypt(created.link.access_token_enc) == "A1"
        created.link.state = LinkState.BROKEN
        created.link.broken_reason = "refused"
        await session.flush()
    later = now + timedelta(days=1)
    async with seeded.sessions.begin() as session:
        again = await links.save_link(
            session, CIPHER, 30, "acc", now=later, **{**tokens, "access_token": "A2"}
        )
        assert (again.relinked, again.replaced_account) == (True, False)
        assert again.link.id == created.link.id and again.link.token_version == 1
        assert again.link.state == LinkState.ACTIVE and again.link.broken_reason is None
        assert again.link.linked_at == now  # the same account: the link keeps its seniority
        assert CIPHER.decrypt(again.link.access_token_enc) == "A2"
    async with seeded.sessions.begin() as session:
        other = await links.save_link(session, CIPHER, 30, "acc2", now=later, **tokens)
        assert (other.relinked, other.replaced_account) == (False, True)
        assert other.link.id == created.link.id and other.link.netatmo_user_id == "acc2"
        assert other.link.linked_at == later


async def test_refresh_claim_store_and_release_guarded_by_the_token_version(seeded: Any) -> None:
    link_id, now = seeded.link_id, seeded.now
    until = now + timedelta(seconds=30)
    async with seeded.sessions.begin() as session:
        assert await links.claim_refresh(session, link_id, 0, now, until)
    async with seeded.sessions.begin() as session:
        assert not await links.claim_refresh(session, link_id, 0, now, until)  # held
        assert await links.claim_refresh(session, link_id, 0, until + timedelta(seconds=1), until)  # expired
        await links.release_refresh(session, link_id, 0)
        assert not await links.claim_refresh(session, link_id, 1, now, until)  # not that version
        new = {"access_token": "A", "refresh_token": "R", "expires_at": until}
        assert await links.store_tokens(session, CIPHER, link_id, 0, **new)
        assert not await links.store_tokens(session, CIPHER, link_id, 0, **new)  # lost the race
    async with seeded.sessions() as session:
        link = await links.get_link(session, link_id)
        assert link is not None and link.token_version == 1 and link.refresh_lock_until is None
        assert CIPHER.decrypt(link.refresh_token_enc) == "R" and link.scopes == []  # kept: none named
        assert link.expires_at == until


async def test_a_broken_link_is_told_once_and_claims_nothing(seeded: Any) -> None:
    link_id, now = seeded.link_id, seeded.now
    async with seeded.sessions.begin() as session:
        assert await links.mark_broken(session, link_id, "x" * 300, now) == 10
        assert await links.mark_broken(session, link_id, "again", now) is None
        assert not await links.claim_refresh(session, link_id, 0, now, now + timedelta(seconds=30))
        assert await links.active_link_of_home(session, seeded.home) is None
    async with seeded.sessions() as session:
        link = await links.get_link(session, link_id)
    assert link is not None and link.state == LinkState.BROKEN and link.broken_reason == "x" * 256


async def test_webhook_registration_is_recorded_and_cleared(seeded: Any) -> None:
    async with seeded.sessions.begin() as session:
        await links.set_webhook_registered(session, seeded.link_id, seeded.now)
        link = await links.get_link(session, seeded.link_id)
        assert link is not None and link.webhook_registered_at == seeded.now
        await links.set_webhook_registered(session, seeded.link_id, None)
        link = await links.get_link(session, seeded.link_id)
        assert link is not None and link.webhook_registered_at is None
