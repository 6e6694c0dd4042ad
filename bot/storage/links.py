"""Netatmo links and the OAuth states that create them.

A link holds one Telegram user's own encrypted token pair. Writes that race with other replicas (the
refresh claim, the new pair, marking broken) are compare-and-set updates guarded by `token_version`, so a
replica acting on an outdated pair finds zero rows changed instead of overwriting a newer pair. Functions
take an open session: the caller decides the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.crypto import TokenCipher
from bot.storage.models import HomeMember, LinkState, NetatmoLink, OAuthState

# -- OAuth states -------------------------------------------------------------------------------------


async def add_state(
    session: AsyncSession,
    state_hash: str,
    telegram_user_id: int,
    chat_id: int,
    now: datetime,
    expires: datetime,
) -> None:
    """A new pending link; the user's expired states go at the same time, to keep the table small."""
    session.add(
        OAuthState(
            state_hash=state_hash,
            telegram_user_id=telegram_user_id,
            chat_id=chat_id,
            created_at=now,
            expires_at=expires,
        )
    )
    await session.execute(
        delete(OAuthState).where(OAuthState.telegram_user_id == telegram_user_id, OAuthState.expires_at < now)
    )


async def get_state(session: AsyncSession, state_hash: str) -> OAuthState | None:
    """The state as the database has it now (not as this session last saw it: another request may have
    used it meanwhile)."""
    return await session.get(OAuthState, state_hash, populate_existing=True)


async def use_state(session: AsyncSession, state_hash: str, now: datetime) -> bool:
    """Mark the state used; False when someone used it first (a state links once)."""
    result = await session.execute(
        update(OAuthState)
        .where(OAuthState.state_hash == state_hash, OAuthState.used_at.is_(None))
        .values(used_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def latest_state_hash(session: AsyncSession, telegram_user_id: int, now: datetime) -> str | None:
    """The user's newest unused, unexpired state."""
    found = await session.scalar(
        select(OAuthState.state_hash)
        .where(
            OAuthState.telegram_user_id == telegram_user_id,
            OAuthState.used_at.is_(None),
            OAuthState.expires_at > now,
        )
        .order_by(OAuthState.created_at.desc())
        .limit(1)
    )
    return str(found) if found is not None else None


# -- reading links ------------------------------------------------------------------------------------


def active_link_of_home_select(home_id: str | ColumnElement[str]) -> Select[Any]:
    """The one rule for which link serves a home: an active link that sees it, the one that has worked
    longest (it is the least likely to be a mistake, and every part then uses the same account's budget).

    `home_id` may be a column (`Home.id`) to use this as a correlated subquery in a larger read."""
    return (
        select(NetatmoLink.id)
        .join(HomeMember, HomeMember.link_id == NetatmoLink.id)
        .where(HomeMember.home_id == home_id, NetatmoLink.state == LinkState.ACTIVE)
        .order_by(NetatmoLink.linked_at, NetatmoLink.id)
        .limit(1)
    )


async def active_link_of_home(session: AsyncSession, home_id: str) -> int | None:
    """The id of the link that serves the home (see `active_link_of_home_select`), None when none does."""
    found = await session.scalar(active_link_of_home_select(home_id))
    return int(found) if found is not None else None


async def link_of_user(
    session: AsyncSession, telegram_user_id: int, *, for_update: bool = False
) -> NetatmoLink | None:
    """The user's link, whatever its state (a user has at most one)."""
    query = select(NetatmoLink).where(NetatmoLink.telegram_user_id == telegram_user_id)
    if for_update:
        query = query.with_for_update()
    link: NetatmoLink | None = await session.scalar(query)
    return link


async def get_link(session: AsyncSession, link_id: int) -> NetatmoLink | None:
    """The link as the database has it now: another replica may have refreshed its tokens meanwhile."""
    return await session.get(NetatmoLink, link_id, populate_existing=True)


async def other_active_links(session: AsyncSession, netatmo_user_id: str | None, link_id: int) -> int:
    """How many other active links reach the same Netatmo account (they share its webhook)."""
    counted = await session.scalar(
        select(func.count())
        .select_from(NetatmoLink)
        .where(
            NetatmoLink.netatmo_user_id == netatmo_user_id,
            NetatmoLink.id != link_id,
            NetatmoLink.state == LinkState.ACTIVE,
        )
    )
    return int(counted or 0)


# -- writing links ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedLink:
    link: NetatmoLink
    relinked: bool  # the same Netatmo account was linked before: tokens replaced
    replaced_account: bool  # a different Netatmo account was linked before: that link is gone


async def save_link(
    session: AsyncSession,
    cipher: TokenCipher,
    telegram_user_id: int,
    account_id: str | None,
    *,
    access_token: str,
    refresh_token: str,
    expires_at: datetime,
    scopes: Sequence[str],
    now: datetime,
) -> SavedLink:
    """Create the user's link, or give their existing one the new pair and make it active again.

    The row keeps its id across relinks: the user's home memberships point at it. A new `token_version`
    makes any refresh still running on the old pair lose its compare-and-set."""
    link = await link_of_user(session, telegram_user_id, for_update=True)
    replaced = bool(link and link.netatmo_user_id and account_id and link.netatmo_user_id != account_id)
    relinked = link is not None and not replaced
    if link is None:
        link = NetatmoLink(telegram_user_id=telegram_user_id, token_version=0, linked_at=now)
        session.add(link)
    else:
        link.token_version = link.token_version + 1
        if replaced:
            link.linked_at = now
    link.netatmo_user_id = account_id
    link.access_token_enc = cipher.encrypt(access_token)
    link.refresh_token_enc = cipher.encrypt(refresh_token)
    link.expires_at = expires_at
    link.scopes = list(scopes)
    link.state = LinkState.ACTIVE
    link.broken_reason = None
    link.broken_notified_at = None
    link.refresh_lock_until = None
    await session.flush()
    return SavedLink(link, relinked, replaced)


async def delete_link(session: AsyncSession, link_id: int) -> None:
    await session.execute(delete(NetatmoLink).where(NetatmoLink.id == link_id))


async def claim_refresh(
    session: AsyncSession, link_id: int, version: int, now: datetime, until: datetime
) -> bool:
    """Take the right to refresh the pair of `version` until `until`; False when another holder has it or
    the pair changed. On PostgreSQL the row lock serialises this check-and-set with other replicas."""
    await session.execute(select(NetatmoLink.id).where(NetatmoLink.id == link_id).with_for_update())
    result = await session.execute(
        update(NetatmoLink)
        .where(
            NetatmoLink.id == link_id,
            NetatmoLink.token_version == version,
            NetatmoLink.state == LinkState.ACTIVE,
            or_(NetatmoLink.refresh_lock_until.is_(None), NetatmoLink.refresh_lock_until < now),
        )
        .values(refresh_lock_until=until)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def release_refresh(session: AsyncSession, link_id: int, version: int) -> None:
    """Give the refresh claim back (the refresh failed and someone may retry at once)."""
    await session.execute(
        update(NetatmoLink)
        .where(NetatmoLink.id == link_id, NetatmoLink.token_version == version)
        .values(refresh_lock_until=None)
    )


async def store_tokens(
    session: AsyncSession,
    cipher: TokenCipher,
    link_id: int,
    version: int,
    *,
    access_token: str,
    refresh_token: str,
    expires_at: datetime,
    scopes: Sequence[str] = (),
) -> bool:
    """Replace the pair of `version` by a refreshed one (version + 1); False when the pair changed
    meanwhile. Scopes are kept when the refresh answer names none."""
    values: dict[str, Any] = {
        "access_token_enc": cipher.encrypt(access_token),
        "refresh_token_enc": cipher.encrypt(refresh_token),
        "expires_at": expires_at,
        "token_version": version + 1,
        "refresh_lock_until": None,
    }
    if scopes:
        values["scopes"] = list(scopes)
    result = await session.execute(
        update(NetatmoLink)
        .where(NetatmoLink.id == link_id, NetatmoLink.token_version == version)
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_broken(session: AsyncSession, link_id: int, reason: str, now: datetime) -> int | None:
    """Mark an active link broken. Returns the user to tell, only the first time (`broken_notified_at`),
    so a user hears once however many callers hit the refused token."""
    await session.execute(
        update(NetatmoLink)
        .where(NetatmoLink.id == link_id, NetatmoLink.state == LinkState.ACTIVE)
        .values(state=LinkState.BROKEN, broken_reason=reason[:256], refresh_lock_until=None)
    )
    claimed = await session.execute(
        update(NetatmoLink)
        .where(NetatmoLink.id == link_id, NetatmoLink.broken_notified_at.is_(None))
        .values(broken_notified_at=now)
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        return None
    user_id = await session.scalar(select(NetatmoLink.telegram_user_id).where(NetatmoLink.id == link_id))
    return int(user_id) if user_id is not None else None


async def set_webhook_registered(session: AsyncSession, link_id: int, at: datetime | None) -> None:
    """When Netatmo last accepted the link's webhook; None once dropped, so it is registered again."""
    await session.execute(
        update(NetatmoLink).where(NetatmoLink.id == link_id).values(webhook_registered_at=at)
    )


async def active_link_ids(session: AsyncSession) -> list[int]:
    """The ids of every active link (the topology refresh visits each in turn)."""
    rows = await session.scalars(
        select(NetatmoLink.id).where(NetatmoLink.state == LinkState.ACTIVE.value).order_by(NetatmoLink.id)
    )
    return [int(row) for row in rows]
