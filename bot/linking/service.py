"""Account linking as a service: OAuth states, completing a link, unlinking. No Telegram here.

Both ends of the flow use it: the web callback (`bot.linking.web`) and the paste fallback in the private
chat (`bot.linking.chat`), so a link completes the same way whichever way the code arrives.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.netatmo.errors import NetatmoError
from bot.netatmo.gateway import NetatmoGateway
from bot.netatmo.oauth import GrantRefused, TokenPair, exchange_code, hash_state, new_state
from bot.netatmo.topology import HomeInfo
from bot.storage.crypto import TokenCipher
from bot.storage.models import (
    AuditEntry,
    Home,
    HomeDevice,
    HomeMember,
    NetatmoLink,
    OAuthState,
    Subscription,
    TelegramChat,
)
from bot.storage.upsert import insert_ignore, upsert

LOG = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)


class LinkFailure(Exception):
    """Linking stopped; `reason` picks the page and message, and nothing was linked.

    Reasons: denied, expired, unknown, replayed, other_user, refused, unavailable, missing.
    `telegram_user_id`/`chat_id` say whom to tell in Telegram (None when the state was unknown).
    """

    def __init__(self, reason: str, telegram_user_id: int | None = None, chat_id: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.telegram_user_id = telegram_user_id
        self.chat_id = chat_id


@dataclass(frozen=True)
class PendingLink:
    """A claimed (now used) state: whom the link is for."""

    telegram_user_id: int
    chat_id: int


@dataclass(frozen=True)
class LinkResult:
    telegram_user_id: int
    chat_id: int
    link_id: int
    homes: tuple[HomeInfo, ...]
    relinked: bool  # the same Netatmo account was linked before: tokens replaced
    replaced_account: bool  # a different Netatmo account was linked before: that link is gone


@dataclass(frozen=True)
class UnlinkResult:
    home_ids: tuple[str, ...]
    webhook_dropped: bool


async def start_link(session: AsyncSession, telegram_user_id: int, chat_id: int) -> str:
    """Create a state bound to the user and chat; only its SHA-256 is stored. Returns the state."""
    state = new_state()
    now = datetime.now(UTC)
    session.add(
        OAuthState(
            state_hash=hash_state(state),
            telegram_user_id=telegram_user_id,
            chat_id=chat_id,
            created_at=now,
            expires_at=now + STATE_TTL,
        )
    )
    # Old states of this user are useless once expired; keep the table small.
    await session.execute(
        delete(OAuthState).where(OAuthState.telegram_user_id == telegram_user_id, OAuthState.expires_at < now)
    )
    return state


async def claim_state(
    session: AsyncSession,
    *,
    state: str | None = None,
    state_hash: str | None = None,
    by_user: int | None = None,
    consume: bool = True,
) -> PendingLink:
    """Use a state once. `by_user` (the paste fallback) must be the user the state was made for.

    With `consume=False` only check it (the confirmation page): the same failures, nothing used up.
    """
    key = state_hash or hash_state(state or "")
    row = await session.get(OAuthState, key, populate_existing=True)
    if row is None:
        raise LinkFailure("unknown", by_user, by_user)
    if by_user is not None and row.telegram_user_id != by_user:
        # Someone else's state: refuse without using it up, so its owner can still finish.
        raise LinkFailure("other_user", by_user, by_user)
    if row.used_at is not None:
        raise LinkFailure("replayed", row.telegram_user_id, row.chat_id)
    now = datetime.now(UTC)
    if row.expires_at <= now:
        raise LinkFailure("expired", row.telegram_user_id, row.chat_id)
    if not consume:
        return PendingLink(row.telegram_user_id, row.chat_id)
    result = await session.execute(
        update(OAuthState)
        .where(OAuthState.state_hash == key, OAuthState.used_at.is_(None))
        .values(used_at=now)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise LinkFailure("replayed", row.telegram_user_id, row.chat_id)
    return PendingLink(row.telegram_user_id, row.chat_id)


async def latest_state_hash(session: AsyncSession, telegram_user_id: int) -> str | None:
    """The user's newest unused, unexpired state (a pasted bare code carries none)."""
    found = await session.scalar(
        select(OAuthState.state_hash)
        .where(
            OAuthState.telegram_user_id == telegram_user_id,
            OAuthState.used_at.is_(None),
            OAuthState.expires_at > datetime.now(UTC),
        )
        .order_by(OAuthState.created_at.desc())
        .limit(1)
    )
    return str(found) if found is not None else None


async def complete_link(
    gateway: NetatmoGateway, http: aiohttp.ClientSession, settings: Settings, pending: PendingLink, code: str
) -> LinkResult:
    """Exchange the code, read the homes, and store link, homes, devices, members, subscriptions at once."""
    user, chat = pending.telegram_user_id, pending.chat_id
    try:
        pair = await exchange_code(http, settings, code)
    except GrantRefused as exc:
        LOG.info("link_code_refused user=%s error=%s", user, exc.error)
        raise LinkFailure("refused", user, chat) from None
    except NetatmoError as exc:
        LOG.warning("link_exchange_failed user=%s error=%s", user, type(exc).__name__)
        raise LinkFailure("unavailable", user, chat) from None
    try:
        account_id, homes = await gateway.homes_with_token(pair.access_token)
    except NetatmoError as exc:
        LOG.warning("link_homes_failed user=%s error=%s", user, type(exc).__name__)
        raise LinkFailure("unavailable", user, chat) from None
    account_id = account_id or pair.netatmo_user_id
    async with gateway.sessions.begin() as session:
        link, relinked, replaced = await _save_link(session, gateway.cipher, user, account_id, pair)
        await _save_homes(session, user, link.id, homes)
        session.add(
            AuditEntry(
                telegram_user_id=user,
                chat_id=chat,
                action="link",
                outcome="ok",
                detail={"homes": [home.id for home in homes], "replaced_account": replaced},
            )
        )
    gateway.forget(link.id)
    LOG.info("link_completed user=%s link=%s homes=%d replaced=%s", user, link.id, len(homes), replaced)
    return LinkResult(user, chat, link.id, tuple(homes), relinked, replaced)


async def _save_link(
    session: AsyncSession, cipher: TokenCipher, user: int, account_id: str | None, pair: TokenPair
) -> tuple[NetatmoLink, bool, bool]:
    link = await session.scalar(
        select(NetatmoLink).where(NetatmoLink.telegram_user_id == user).with_for_update()
    )
    now = datetime.now(UTC)
    replaced = bool(link and link.netatmo_user_id and account_id and link.netatmo_user_id != account_id)
    relinked = link is not None and not replaced
    if link is None:
        link = NetatmoLink(telegram_user_id=user, token_version=0, linked_at=now)
        session.add(link)
    else:
        link.token_version = link.token_version + 1
        if replaced:
            link.linked_at = now
    link.netatmo_user_id = account_id
    link.access_token_enc = cipher.encrypt(pair.access_token)
    link.refresh_token_enc = cipher.encrypt(pair.refresh_token)
    link.expires_at = pair.expires_at
    link.scopes = list(pair.scopes)
    link.state = "active"
    link.broken_reason = None
    link.broken_notified_at = None
    link.refresh_lock_until = None
    await session.flush()
    return link, relinked, replaced


async def _save_homes(session: AsyncSession, user: int, link_id: int, homes: list[HomeInfo]) -> None:
    # The user's private chat has the same id as the user; it receives alerts by default.
    await insert_ignore(session, TelegramChat, {"id": user, "type": "private", "title": None}, keys=["id"])
    seen = [home.id for home in homes]
    for home in homes:
        await upsert(
            session,
            Home,
            {"id": home.id, "name": home.name, "timezone": home.timezone},
            keys=["id"],
            update=["name", "timezone"],
        )
        for device in home.devices:
            await upsert(
                session,
                HomeDevice,
                {
                    "home_id": home.id,
                    "device_id": device.id,
                    "type": device.type,
                    "name": device.name,
                    "bridge": device.bridge,
                },
                keys=["home_id", "device_id"],
                update=["type", "name", "bridge"],
            )
        await upsert(
            session,
            HomeMember,
            {"home_id": home.id, "telegram_user_id": user, "role": "owner", "link_id": link_id},
            keys=["home_id", "telegram_user_id"],
            update=["role", "link_id"],
        )
        await insert_ignore(
            session,
            Subscription,
            {"chat_id": user, "home_id": home.id, "created_by": user},
            keys=["chat_id", "home_id"],
        )
    # Homes this link no longer sees (another account, or removed from the home): drop their access.
    lost = select(HomeMember.home_id).where(
        HomeMember.telegram_user_id == user, HomeMember.link_id == link_id, HomeMember.home_id.not_in(seen)
    )
    await session.execute(
        delete(Subscription).where(Subscription.created_by == user, Subscription.home_id.in_(lost))
    )
    await session.execute(
        delete(HomeMember).where(
            HomeMember.telegram_user_id == user,
            HomeMember.link_id == link_id,
            HomeMember.home_id.not_in(seen),
        )
    )


async def unlink(
    gateway: NetatmoGateway, telegram_user_id: int, chat_id: int | None = None
) -> UnlinkResult | None:
    """Forget the user's tokens, their subscriptions to the link's homes, and the webhook if unused."""
    link = await gateway.link_of_user(telegram_user_id)
    if link is None:
        return None
    async with gateway.sessions() as session:
        home_ids = tuple(
            await session.scalars(select(HomeMember.home_id).where(HomeMember.link_id == link.id))
        )
        others = await session.scalar(
            select(func.count())
            .select_from(NetatmoLink)
            .where(
                NetatmoLink.netatmo_user_id == link.netatmo_user_id,
                NetatmoLink.id != link.id,
                NetatmoLink.state == "active",
            )
        )
    dropped = False
    if link.state == "active" and not others and link.netatmo_user_id is not None:
        try:
            await gateway.drop_webhook(link.id)
            dropped = True
        except NetatmoError as exc:  # unlinking must work even when Netatmo does not answer
            LOG.warning("unlink_dropwebhook_failed link=%s error=%s", link.id, type(exc).__name__)
    async with gateway.sessions.begin() as session:
        await session.execute(
            delete(Subscription).where(
                Subscription.created_by == telegram_user_id, Subscription.home_id.in_(home_ids)
            )
        )
        await session.execute(delete(HomeMember).where(HomeMember.link_id == link.id))
        await session.execute(delete(NetatmoLink).where(NetatmoLink.id == link.id))
        session.add(
            AuditEntry(
                telegram_user_id=telegram_user_id,
                chat_id=chat_id,
                action="unlink",
                outcome="ok",
                detail={"homes": list(home_ids), "webhook_dropped": dropped},
            )
        )
    gateway.forget(link.id)
    LOG.info("link_removed user=%s link=%s homes=%d", telegram_user_id, link.id, len(home_ids))
    return UnlinkResult(home_ids, dropped)
