"""Putting one leased delivery into its chat: a photo, a text now and the photo later, or a fold into the
message that already tells of the same camera.

Telegram errors are not handled here but raised to the worker (`bot.alerts.delivery`), which alone
decides about retries, pauses and migrations; this module only knows how an alert looks in a chat.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InlineKeyboardMarkup, InputMediaPhoto, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.alerts.render import AlertNames, load_alert_names, render_alert
from bot.alerts.snapshots import SnapshotStore
from bot.domain.events import SecurityEvent, Severity, is_urgent
from bot.i18n import translator
from bot.storage import deliveries as outbox
from bot.storage import sent_records
from bot.storage.deliveries import AlertHints, Claimed
from bot.storage.languages import chat_language

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rendered:
    """What an alert message says and its buttons."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


# (session, events of one camera oldest first, chat id) -> the message; see `ChatRenderer`.
Renderer = Callable[[AsyncSession, Sequence[SecurityEvent], int], Awaitable[Rendered]]


class ChatRenderer:
    """The real renderer (`bot.alerts.render.render_alert` in the chat's language), with the names and
    languages it looks up kept for `ttl` seconds (one per worker).

    An alert needs its home's name and zone, its device's name and its chat's language: four queries that
    give the same answers for every alert of a busy home. A rename shows in alerts within `ttl` seconds.
    """

    def __init__(self, ttl: float = 30.0, capacity: int = 4096) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self._names: dict[tuple[str, str | None, str | None], tuple[float, Any]] = {}
        self._languages: dict[int, tuple[float, str | None]] = {}

    async def __call__(
        self, session: AsyncSession, events: Sequence[SecurityEvent], chat_id: int
    ) -> Rendered:
        now = time.monotonic()
        first = events[0]
        key = (first.home_id, first.device_id, first.module_id)
        cached = self._names.get(key)
        if cached is not None and cached[0] > now:
            names = replace(cached[1], person_names=_people(first))
        else:
            names = await load_alert_names(session, first)
            self._remember(self._names, key, (now + self.ttl, names))
        language = self._languages.get(chat_id)
        if language is None or language[0] <= now:
            language = (now + self.ttl, await chat_language(session, chat_id))
            self._remember(self._languages, chat_id, language)
        view = render_alert(events, names, translator(language[1]))
        return Rendered(view.text, view.keyboard)

    def prime(self, event: SecurityEvent, chat_id: int, hints: AlertHints) -> None:
        """Fill the caches from what intake already read (see `AlertHints`)."""
        until = time.monotonic() + self.ttl
        names = AlertNames(
            home_name=hints.home_name,
            device_name=hints.device_name,
            person_names={},
            timezone=hints.timezone,
        )
        self._remember(self._names, (event.home_id, event.device_id, event.module_id), (until, names))
        self._remember(self._languages, chat_id, (until, hints.language))

    def _remember(self, cache: dict[Any, Any], key: Any, value: Any) -> None:
        if len(cache) >= self.capacity:
            cache.clear()  # crude but bounded; refilled from the database on the next alerts
        cache[key] = value


def _people(event: SecurityEvent) -> dict[str, str]:
    """As `load_alert_names` fills `person_names`: from the event itself, never cached."""
    return {event.person_id: event.person_name} if event.person_id and event.person_name else {}


@dataclass(frozen=True)
class SendingPolicy:
    """Timings of grouping and of the late picture."""

    group_window: float = 60.0  # events of one camera this close share one message
    group_max: int = 10  # … up to this many, so the caption stays readable and under 1024 chars
    late_photo_delays: tuple[float, ...] = (2.0, 4.0, 8.0, 15.0, 30.0, 60.0)


def _largest_file_id(message: Message) -> str | None:
    return message.photo[-1].file_id if message.photo else None


def _is_not_modified(error: BadRequest) -> bool:
    return "not modified" in error.message.lower()


class AlertSender:
    """Sends, folds and completes alerts for the delivery worker."""

    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        snapshots: SnapshotStore,
        render: Renderer,
        policy: SendingPolicy | None = None,
    ) -> None:
        self._bot = bot
        self._sessions = sessions
        self._snapshots = snapshots
        self._render = render
        self.policy = policy or SendingPolicy()
        self._records = sent_records.SentRecorder(sessions)

    def prime(self, rows: Sequence[Claimed]) -> None:
        """Warm the renderer's and the picture store's caches with what intake read (`AlertHints`), so
        that rows handed over by intake cost no lookups before their send."""
        prime_renderer = getattr(self._render, "prime", None)
        for row in rows:
            if row.hints is None:
                continue
            if prime_renderer is not None:
                prime_renderer(row.event, row.chat_id, row.hints)
            if row.hints.link_id is not None:
                self._snapshots.remember_link(row.event.home_id, row.hints.link_id)

    def prefetch(self, events: Sequence[SecurityEvent]) -> None:
        """Start fetching the pictures of events about to be stored (see `SnapshotStore.prefetch`)."""
        for event in events:
            if event.severity != Severity.ALARM:  # an alarm never waits for its picture
                self._snapshots.prefetch(event)

    async def _rendered(self, events: Sequence[SecurityEvent], chat_id: int) -> Rendered:
        async with self._sessions() as session:
            return await self._render(session, events, chat_id)

    # -- a new alert ---------------------------------------------------------------------------------
    async def deliver(self, row: Claimed) -> None:
        """Send a pending delivery (or fold it into a recent message); record the message id at once."""
        if await self._fold(row):
            return
        alarm = row.event.severity == Severity.ALARM
        file_id = self._snapshots.file_id(row.event_pk) or row.snapshot_file_id
        fetching: asyncio.Task[bytes | None] | None = None
        if file_id is None and row.event.snapshot is not None and not alarm:
            # The picture is fetched while the text is rendered (neither needs the other).
            fetching = asyncio.create_task(self._snapshots.fetch(row.event_pk, row.event))
        try:
            rendered = await self._rendered([row.event], row.chat_id)
        except BaseException:
            if fetching is not None:
                fetching.cancel()
                await asyncio.gather(fetching, return_exceptions=True)
            raise
        if fetching is not None:
            data = await fetching
            if data is not None:
                async with self._snapshots.upload_lock(row.event_pk):
                    file_id = self._snapshots.file_id(row.event_pk)
                    if file_id is None:  # this chat uploads; the others wait here, then send by id
                        if await self._upload(row, rendered, data):
                            return
                        file_id = self._snapshots.file_id(row.event_pk)
        if file_id is not None:
            try:
                message = await self._bot.send_photo(
                    row.chat_id,
                    file_id,
                    caption=rendered.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=rendered.keyboard,
                    disable_notification=row.silent,
                )
            except BadRequest as exc:  # a stale or foreign file id: the alert matters more than the picture
                LOG.warning("photo_by_id_failed delivery=%s error=%s", row.id, exc.message)
            else:
                await self._records.record_sent(row.id, message.message_id, has_photo=True, file_id=file_id)
                LOG.info("alert_sent delivery=%s chat=%s photo=file_id", row.id, row.chat_id)
                return
        await self._send_text(row, rendered)

    async def _upload(self, row: Claimed, rendered: Rendered, data: bytes) -> bool:
        try:
            message = await self._bot.send_photo(
                row.chat_id,
                data,
                filename="snapshot.jpg",
                caption=rendered.text,
                parse_mode=ParseMode.HTML,
                reply_markup=rendered.keyboard,
                disable_notification=row.silent,
            )
        except BadRequest as exc:  # Telegram refused the picture itself: send the words instead
            LOG.warning("photo_upload_refused delivery=%s error=%s", row.id, exc.message)
            return False
        file_id = _largest_file_id(message)
        await self._records.record_sent(
            row.id,
            message.message_id,
            has_photo=True,
            file_id=file_id,
        )
        if file_id is not None:
            self._snapshots.remember_file_id(row.event_pk, file_id)
        LOG.info("alert_sent delivery=%s chat=%s photo=upload", row.id, row.chat_id)
        return True

    async def _send_text(self, row: Claimed, rendered: Rendered) -> None:
        message = await self._bot.send_message(
            row.chat_id,
            rendered.text,
            parse_mode=ParseMode.HTML,
            reply_markup=rendered.keyboard,
            disable_notification=row.silent,
        )
        later = None
        if row.event.snapshot is not None and self.policy.late_photo_delays:
            later = datetime.now(UTC) + timedelta(seconds=self.policy.late_photo_delays[0])
        await self._records.record_sent(row.id, message.message_id, has_photo=False, awaiting_photo_at=later)
        LOG.info("alert_sent delivery=%s chat=%s photo=%s", row.id, row.chat_id, "later" if later else "none")

    # -- grouping ------------------------------------------------------------------------------------
    async def _fold(self, row: Claimed) -> bool:
        """Edit the camera's recent message to tell this event too; False when there is none to edit."""
        policy = self.policy
        # An alarm (a ring too: someone is at the door now) is its own message, which notifies; an edit
        # would not.
        if is_urgent(row.event) or row.event.severity == Severity.ALARM or policy.group_max <= 1:
            return False
        async with self._sessions() as session:
            head = await outbox.group_head(
                session, row.chat_id, row.event, policy.group_window, policy.group_max
            )
            if head is None or (head.silent and not row.silent):  # a loud alert is never hidden in an edit
                return False
            rendered = await self._render(session, [*head.events, row.event], row.chat_id)
        try:
            if head.has_photo:
                await self._bot.edit_message_caption(
                    row.chat_id,
                    head.message_id,
                    caption=rendered.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=rendered.keyboard,
                )
            else:
                await self._bot.edit_message_text(
                    rendered.text,
                    row.chat_id,
                    head.message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=rendered.keyboard,
                )
        except BadRequest as exc:
            if not _is_not_modified(exc):  # deleted by the user, too old …: send a message of its own
                LOG.info("fold_failed delivery=%s error=%s", row.id, exc.message)
                return False
        await self._records.record_sent(row.id, head.message_id, has_photo=False)
        LOG.info("alert_folded delivery=%s chat=%s into=%s", row.id, row.chat_id, head.message_id)
        return True

    # -- the late picture ----------------------------------------------------------------------------
    async def add_late_photo(self, row: Claimed, owner: str) -> None:
        """Put the picture into a text alert once Netatmo has it; give up after the last delay."""
        assert row.telegram_message_id is not None
        file_id = self._snapshots.file_id(row.event_pk) or row.snapshot_file_id
        data = None if file_id else await self._snapshots.fetch(row.event_pk, row.event)
        if file_id is None and data is None:
            delays = self.policy.late_photo_delays
            if row.attempts + 1 >= len(delays):
                await outbox.finish(self._sessions, row.id, outbox.SENT, "picture never became available")
                LOG.info("late_photo_gave_up delivery=%s", row.id)
            else:
                await outbox.reschedule(
                    self._sessions, row.id, owner, delays[row.attempts + 1], "picture not ready"
                )
            return
        async with self._sessions() as session:
            events = await outbox.group_events(session, row.chat_id, row.telegram_message_id)
            rendered = await self._render(session, events or [row.event], row.chat_id)
        async with self._snapshots.upload_lock(row.event_pk):
            file_id = self._snapshots.file_id(row.event_pk) or file_id
            media = InputMediaPhoto(
                file_id or data or b"",
                caption=rendered.text,
                parse_mode=ParseMode.HTML,
                filename="snapshot.jpg",
            )
            try:
                message = await self._bot.edit_message_media(
                    media, row.chat_id, row.telegram_message_id, reply_markup=rendered.keyboard
                )
            except BadRequest as exc:
                if _is_not_modified(exc):
                    await sent_records.record_photo_added(self._sessions, row.id, file_id)
                    return
                if "no media" not in exc.message.lower():  # message deleted, too old to edit …
                    LOG.info("late_photo_dropped delivery=%s error=%s", row.id, exc.message)
                    await outbox.finish(self._sessions, row.id, outbox.SENT, exc.message)
                    return
                # A Bot API without "add media to text messages": send it as a quiet reply instead.
                message = await self._bot.send_photo(
                    row.chat_id,
                    file_id or data or b"",
                    filename="snapshot.jpg",
                    caption=rendered.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=rendered.keyboard,
                    reply_to_message_id=row.telegram_message_id,
                    disable_notification=True,
                )
            new_id = _largest_file_id(message) if isinstance(message, Message) else None
            if file_id is None and new_id is not None:
                self._snapshots.remember_file_id(row.event_pk, new_id)
        await sent_records.record_photo_added(self._sessions, row.id, file_id or new_id)
        LOG.info("late_photo_added delivery=%s chat=%s", row.id, row.chat_id)
