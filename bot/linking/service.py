"""Account linking as a service: OAuth states, completing a link, unlinking. No Telegram here.

Both ends of the flow use it: the web callback (`bot.linking.web`) and the paste fallback in the private
chat (`bot.linking.chat`), so a link completes the same way whichever way the code arrives. The flow:
claim the state → exchange the code → save the link → save its homes → subscribe the private chat →
audit; everything after the exchange is one transaction, so a failure links nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.domain.permissions import Role
from bot.netatmo.errors import NetatmoError
from bot.netatmo.gateway import NetatmoGateway
from bot.netatmo.oauth import GrantRefused, exchange_code, hash_state, new_state
from bot.netatmo.topology import HomeInfo
from bot.storage import homes as homes_repo
from bot.storage import links
from bot.storage.audit import record_audit
from bot.storage.models import LinkState
from bot.storage.subscriptions import drop_subscriptions_by, subscribe_if_absent
from bot.storage.telegram import save_private_chat

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
    await links.add_state(session, hash_state(state), telegram_user_id, chat_id, now, now + STATE_TTL)
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
    row = await links.get_state(session, key)
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
    if consume and not await links.use_state(session, key, now):
        raise LinkFailure("replayed", row.telegram_user_id, row.chat_id)
    return PendingLink(row.telegram_user_id, row.chat_id)


async def latest_state_hash(session: AsyncSession, telegram_user_id: int) -> str | None:
    """The user's newest pending state: a pasted bare code carries none."""
    return await links.latest_state_hash(session, telegram_user_id, datetime.now(UTC))


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
        saved = await links.save_link(
            session, gateway.cipher, user, account_id, now=datetime.now(UTC), **asdict(pair)
        )
        link_id = saved.link.id
        await save_link_homes(session, user, link_id, homes)
        await record_audit(
            session,
            user_id=user,
            chat_id=chat,
            home_id=None,
            action="link",
            outcome="ok",
            detail={"homes": [home.id for home in homes], "replaced_account": saved.replaced_account},
        )
    gateway.forget(link_id)
    LOG.info(
        "link_completed user=%s link=%s homes=%d replaced=%s",
        user,
        link_id,
        len(homes),
        saved.replaced_account,
    )
    return LinkResult(user, chat, link_id, tuple(homes), saved.relinked, saved.replaced_account)


async def save_link_homes(
    session: AsyncSession,
    user: int,
    link_id: int,
    homes: list[HomeInfo],
    *,
    subscribe: Collection[str] | None = None,
) -> None:
    """The homes the link sees become the user's (as owner), and alert their private chat, whose id is
    the user's; homes it no longer sees (another account, or removed from the home) lose that access.

    `subscribe` limits which homes get the private chat's subscription (None: all). The topology refresh
    passes only the homes new to the link, so a user who unsubscribed is not subscribed again."""
    await save_private_chat(session, user)
    for home in homes:
        await homes_repo.save_home(session, home.id, home.name, home.timezone)
        for device in home.devices:
            await homes_repo.save_device(session, home.id, device.id, device.type, device.name, device.bridge)
        await homes_repo.save_member(session, home.id, user, Role.OWNER, link_id)
        if subscribe is None or home.id in subscribe:
            await subscribe_if_absent(session, user, home.id, user)
    lost = await homes_repo.lost_link_homes(session, user, link_id, [home.id for home in homes])
    await drop_subscriptions_by(session, user, lost)
    await homes_repo.remove_members(session, user, lost)


async def unlink(
    gateway: NetatmoGateway, telegram_user_id: int, chat_id: int | None = None
) -> UnlinkResult | None:
    """Forget the user's tokens, their subscriptions to the link's homes, and the webhook if unused."""
    link = await gateway.link_of_user(telegram_user_id)
    if link is None:
        return None
    async with gateway.sessions() as session:
        home_ids = tuple(await homes_repo.link_home_ids(session, link.id))
        others = await links.other_active_links(session, link.netatmo_user_id, link.id)
    dropped = False
    # The webhook belongs to the Netatmo account: drop it only when no other link still uses it.
    if link.state == LinkState.ACTIVE and not others and link.netatmo_user_id is not None:
        try:
            await gateway.drop_webhook(link.id)
            dropped = True
        except NetatmoError as exc:  # unlinking must work even when Netatmo does not answer
            LOG.warning("unlink_dropwebhook_failed link=%s error=%s", link.id, type(exc).__name__)
    async with gateway.sessions.begin() as session:
        await drop_subscriptions_by(session, telegram_user_id, home_ids)
        await homes_repo.remove_link_members(session, link.id)
        await links.delete_link(session, link.id)
        await record_audit(
            session,
            user_id=telegram_user_id,
            chat_id=chat_id,
            home_id=None,
            action="unlink",
            outcome="ok",
            detail={"homes": list(home_ids), "webhook_dropped": dropped},
        )
    gateway.forget(link.id)
    LOG.info("link_removed user=%s link=%s homes=%d", telegram_user_id, link.id, len(home_ids))
    return UnlinkResult(home_ids, dropped)
