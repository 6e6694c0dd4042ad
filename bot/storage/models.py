"""The data model: one table per aggregate the bot keeps.

Telegram ids are BigInteger (group ids exceed 32 bits). Times are timezone-aware UTC datetimes. Secrets
(Netatmo tokens) are stored only as Fernet ciphertext; OAuth states only as their SHA-256.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.storage.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints the same everywhere."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


def _now_default() -> Any:
    return func.now()


class TelegramUser(Base):
    """A person who talked to the bot; `language_code` picks the language of their messages."""

    __tablename__ = "telegram_users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(String(256), default="")
    username: Mapped[str | None] = mapped_column(String(64))
    language_code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(server_default=_now_default())


class TelegramChat(Base):
    """A private chat or group the bot is in. `migrated_to` follows a group that became a supergroup."""

    __tablename__ = "telegram_chats"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(256))
    migrated_to: Mapped[int | None] = mapped_column(BigInteger)
    bot_blocked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=_now_default())


class LinkState(StrEnum):
    """The state of a Netatmo link: only an active link's tokens are used; a broken one waits for a relink."""

    ACTIVE = "active"
    BROKEN = "broken"


class NetatmoLink(Base):
    """One Telegram user's link to their own Netatmo account, holding that user's own token pair.

    Several Telegram users may link the same Netatmo account (same `netatmo_user_id`); each holds their own
    tokens because Netatmo rotates refresh tokens and a shared pair would break for everyone at once.
    `token_version` grows with every refresh: a replica that refreshed with an outdated pair notices it
    lost the race instead of overwriting the newer pair.
    """

    __tablename__ = "netatmo_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(
        ForeignKey("telegram_users.id", ondelete="CASCADE"), unique=True
    )
    netatmo_user_id: Mapped[str | None] = mapped_column(String(64), index=True)
    access_token_enc: Mapped[bytes] = mapped_column(LargeBinary)
    refresh_token_enc: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime]
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default=LinkState.ACTIVE.value)  # a LinkState
    broken_reason: Mapped[str | None] = mapped_column(String(256))
    broken_notified_at: Mapped[datetime | None]
    refresh_lock_until: Mapped[datetime | None]
    webhook_registered_at: Mapped[datetime | None]
    linked_at: Mapped[datetime] = mapped_column(server_default=_now_default())
    updated_at: Mapped[datetime] = mapped_column(server_default=_now_default(), onupdate=func.now())


class OAuthState(Base):
    """A pending `/link`: single use, short lived, bound to the Telegram user and chat that asked."""

    __tablename__ = "oauth_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(ForeignKey("telegram_users.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(server_default=_now_default())
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Home(Base):
    """A Netatmo home seen through at least one link, with the watcher's intake bookkeeping."""

    __tablename__ = "homes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(256), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    last_polled_at: Mapped[datetime | None]
    next_poll_at: Mapped[datetime | None]
    last_webhook_at: Mapped[datetime | None]
    last_event_time: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(server_default=_now_default(), onupdate=func.now())


class HomeDevice(Base):
    """A camera, alarm or sensor of a home: names for captions and settings, reachability for outages."""

    __tablename__ = "home_devices"

    home_id: Mapped[str] = mapped_column(ForeignKey("homes.id", ondelete="CASCADE"), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(256), default="")
    bridge: Mapped[str | None] = mapped_column(String(64))  # a tag's or siren's camera (homesdata `bridge`)
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    unreachable_since: Mapped[datetime | None]
    offline_alerted: Mapped[bool] = mapped_column(Boolean, default=False)


class HomeMember(Base):
    """Who may do what in a home. Linked users get their role from their link; others are invited."""

    __tablename__ = "home_members"

    home_id: Mapped[str] = mapped_column(ForeignKey("homes.id", ondelete="CASCADE"), primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(
        ForeignKey("telegram_users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16))  # owner | member | viewer
    link_id: Mapped[int | None] = mapped_column(ForeignKey("netatmo_links.id", ondelete="CASCADE"))
    granted_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(server_default=_now_default())


class Subscription(Base):
    """A chat receiving a home's alerts, with that chat's own filters and quiet hours."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("chat_id", "home_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("telegram_chats.id", ondelete="CASCADE"), index=True)
    home_id: Mapped[str] = mapped_column(ForeignKey("homes.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    paused_reason: Mapped[str | None] = mapped_column(String(64))
    event_kinds: Mapped[list[Any] | None] = mapped_column(JSON)  # None = every kind
    camera_ids: Mapped[list[Any] | None] = mapped_column(JSON)  # None = every camera
    people_mode: Mapped[str] = mapped_column(String(16), default="all")  # all | unknown | chosen
    person_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    quiet_start: Mapped[int | None] = mapped_column(Integer)  # minutes after local midnight
    quiet_end: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(server_default=_now_default())


class Mute(Base):
    """Alerts of one camera (or of the whole home when device_id is NULL) held back in one chat."""

    __tablename__ = "mutes"
    __table_args__ = (Index("ix_mutes_chat_home", "chat_id", "home_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("telegram_chats.id", ondelete="CASCADE"))
    home_id: Mapped[str] = mapped_column(ForeignKey("homes.id", ondelete="CASCADE"))
    device_id: Mapped[str | None] = mapped_column(String(64))
    until: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(server_default=_now_default())


class Event(Base):
    """A Netatmo event stored exactly once, whichever of webhook or poll brought it first."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("home_id", "event_id", "subevent_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    home_id: Mapped[str] = mapped_column(ForeignKey("homes.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(64))
    subevent_id: Mapped[str] = mapped_column(String(64), default="")
    type: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str | None] = mapped_column(String(64))
    person_id: Mapped[str | None] = mapped_column(String(64))
    time: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(16))  # webhook | poll | watcher
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(server_default=_now_default())


class Delivery(Base):
    """One alert to one chat: the outbox row the delivery worker leases, sends and records."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_pk", "chat_id"),
        Index("ix_deliveries_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_pk: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(ForeignKey("telegram_chats.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sent|failed|skipped
    silent: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=_now_default())
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    telegram_file_id: Mapped[str | None] = mapped_column(String(256))
    has_photo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(server_default=_now_default())
    sent_at: Mapped[datetime | None]


class AuditEntry(Base):
    """Who did what from which chat: every control action and every security-relevant refusal."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(server_default=_now_default(), index=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    home_id: Mapped[str | None] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # ok | denied | error
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Lease(Base):
    """A named, time-limited claim on a piece of shared work (a home's polling, the delivery loop)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    until: Mapped[datetime]


class NetatmoRequest(Base):
    """One Netatmo API request of an account, kept for the longest budget window: the request budget that
    replicas on one PostgreSQL database share (`bot.netatmo.shared_budget`)."""

    __tablename__ = "netatmo_requests"
    __table_args__ = (Index("ix_netatmo_requests_account_at", "account_key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_key: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime]
