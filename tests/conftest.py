"""Shared fixtures: the two stand-ins (Netatmo simulator, Telegram Bot API emulator), settings pointing at
them, a running bot, a user linked through the real OAuth flow, the environment for `python -m bot` as a
child process, and databases (SQLite always; PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import html
import os
import re
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

# PTB 22 warns about int/timedelta durations unless told which it should use; with filterwarnings=error
# that warning would fail every test that builds an Application.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from bot.config import Settings
from bot.domain.events import SecurityEvent, event_to_dict
from bot.storage.engine import create_engine, create_session_factory
from bot.storage.models import (
    Base,
    Delivery,
    Event,
    Home,
    HomeDevice,
    HomeMember,
    NetatmoLink,
    Subscription,
    TelegramChat,
    TelegramUser,
)
from standins.netatmo_sim.world.demo import DEMO_ACCOUNT

CONTRACT_VARIABLES = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_URL",
    "TELEGRAM_WEBHOOK_URL",
    "TELEGRAM_WEBHOOK_SECRET",
    "NETATMO_CLIENT_ID",
    "NETATMO_CLIENT_SECRET",
    "NETATMO_API_URL",
    "PUBLIC_URL",
    "WEB_HOST",
    "WEB_PORT",
    "DATA_DIR",
    "DATABASE_URL",
    "TOKEN_ENCRYPTION_KEY",
    "WEBRTC_ICE_SERVERS",
    "LOG_LEVEL",
    "NETATMO_WEBHOOKS",
    "DELIVERY_LEASE_SECONDS",
)

REPO_DIR = Path(__file__).resolve().parents[1]
FIXTURES_DIR = REPO_DIR / "tests" / "fixtures" / "netatmo"  # real answers, see its README.md


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's own environment for the bot's variables."""
    for name in CONTRACT_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES_DIR


# -- databases ------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{(tmp_path / 'bot.db').as_posix()}"


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set")
    import asyncpg

    url = make_url(base)
    name = f"t_{uuid.uuid4().hex[:12]}"
    host = f"{url.host or '127.0.0.1'}:{url.port or 5432}"
    dsn = f"postgresql://{url.username or 'postgres'}@{host}/{url.database}"
    if url.password:
        dsn = dsn.replace("@", f":{url.password}@", 1)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """Runs a test once on SQLite and once on PostgreSQL (skipped without TEST_DATABASE_URL)."""
    if request.param == "sqlite":
        return sqlite_url
    url: str = request.getfixturevalue("postgres_url")
    return url


# Seeding helpers shared by the alert tests and the storage tests of what alerts read and write: one copy,
# so a change to the schema is made once and both folders keep seeding the same way.
Sessions = async_sessionmaker[AsyncSession]
SEED_HOME = "home-a"
SEED_CAMERA = "70:ee:50:00:00:0a"
SEED_OWNER = 1001


@asynccontextmanager
async def _database(url: str) -> AsyncIterator[Sessions]:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


async def _seed_home(
    sessions: Sessions,
    home_id: str = SEED_HOME,
    *,
    chats: Sequence[int] = (SEED_OWNER,),
    owner: int = SEED_OWNER,
    link_state: str = "active",
    devices: Sequence[tuple[str, str]] = ((SEED_CAMERA, "NACamera"),),
    netatmo_user: str = "netatmo-user-1",
) -> int:
    """A home seen by `owner`'s link, its devices, and an active subscription per chat; returns link id."""
    async with sessions.begin() as session:
        if await session.get(TelegramUser, owner) is None:
            session.add(TelegramUser(id=owner, first_name="Owner", language_code="en"))
        for chat in {owner, *chats}:
            if await session.get(TelegramChat, chat) is None:
                session.add(TelegramChat(id=chat, type="private" if chat > 0 else "group"))
        await session.flush()
        link = await session.scalar(select(NetatmoLink).where(NetatmoLink.telegram_user_id == owner))
        if link is None:
            link = NetatmoLink(
                telegram_user_id=owner,
                netatmo_user_id=netatmo_user,
                access_token_enc=b"x",
                refresh_token_enc=b"x",
                expires_at=datetime.now(UTC) + timedelta(hours=3),
                state=link_state,
            )
            session.add(link)
        session.add(Home(id=home_id, name=f"Home {home_id}", timezone="UTC"))
        await session.flush()
        session.add(HomeMember(home_id=home_id, telegram_user_id=owner, role="owner", link_id=link.id))
        for device_id, device_type in devices:
            session.add(HomeDevice(home_id=home_id, device_id=device_id, type=device_type, name=device_id))
        for chat in chats:
            session.add(Subscription(chat_id=chat, home_id=home_id, active=True))
        link_id: int = link.id
    return link_id


async def _add_event(
    sessions: Sessions, event: SecurityEvent, chat_ids: Sequence[int], *, silent: bool = False
) -> int:
    """Store an event and one pending delivery per chat in one transaction, as intake does."""
    async with sessions.begin() as session:
        row = Event(
            home_id=event.home_id,
            event_id=event.event_id,
            subevent_id=event.subevent_id,
            type=event.netatmo_type,
            device_id=event.device_id,
            time=event.time,
            source="webhook",
            data=event_to_dict(event),
        )
        session.add(row)
        await session.flush()
        for chat_id in chat_ids:
            session.add(Delivery(event_pk=row.id, chat_id=chat_id, silent=silent))
        pk: int = row.id
        return pk


@pytest.fixture
def database() -> Callable[[str], AbstractAsyncContextManager[Sessions]]:
    """`async with database(url) as sessions`: a fresh schema on `url` (tables created, no migrations)."""
    return _database


@pytest.fixture
def seed_home() -> Callable[..., Awaitable[int]]:
    """`await seed_home(sessions, home_id, chats=..., ...)`: see `_seed_home`."""
    return _seed_home


@pytest.fixture
def add_event() -> Callable[..., Awaitable[int]]:
    """`await add_event(sessions, event, chat_ids, silent=...)`: an event and its outbox rows."""
    return _add_event


# -- stand-ins ------------------------------------------------------------------------------------


@pytest.fixture
async def emulator() -> AsyncIterator[Any]:
    from standins.telegram_emulator import BotApiEmulator

    async with BotApiEmulator() as running:
        yield running


@pytest.fixture
async def simulator() -> AsyncIterator[Any]:
    from standins.netatmo_sim import Simulator, SimulatorConfig

    async with Simulator(SimulatorConfig(port=0)) as running:
        yield running


# -- the bot --------------------------------------------------------------------------------------


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings for a test bot: temp DATA_DIR and SQLite, no ICE servers, a free port, no .env file."""

    def build(emulator: Any = None, simulator: Any = None, **overrides: Any) -> Settings:
        port = overrides.pop("web_port", None) or free_port()
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "web_port": port,
            "public_url": f"http://127.0.0.1:{port}",
            "webrtc_ice_servers": "",
            "telegram_bot_token": emulator.token if emulator is not None else "123456:TEST-TOKEN",
        }
        if emulator is not None:
            values["telegram_api_url"] = emulator.base_url
        if simulator is not None:
            values["netatmo_api_url"] = simulator.base_url
            values["netatmo_client_id"] = simulator.config.client_id
            values["netatmo_client_secret"] = simulator.config.client_secret
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return build


StartBot = Callable[..., Awaitable[Any]]


@pytest.fixture
async def start_bot(make_settings: Callable[..., Settings]) -> AsyncIterator[StartBot]:
    """Start `BotRuntime`s with the production wiring (`features=` adds a test's own buttons to it); every
    one started is stopped at teardown."""
    from bot.app import BotRuntime
    from bot.chat.application import FEATURES
    from bot.wiring import default_components, default_routes

    started: list[BotRuntime] = []

    async def start(
        emulator: Any = None, simulator: Any = None, *, features: Any = FEATURES, **overrides: Any
    ) -> BotRuntime:
        settings = make_settings(emulator, simulator, **overrides)
        runtime = BotRuntime(
            settings, features=features, routes=default_routes(), components=default_components()
        )
        started.append(runtime)
        await runtime.start()
        return runtime

    yield start
    for runtime in reversed(started):
        await runtime.stop()


def free_port() -> int:
    """A port that was free a moment ago (the OAuth redirect URI must name the bot's port up front)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(name="free_port")
def _free_port_fixture() -> Callable[[], int]:
    """`free_port()` for tests that must name a port before anything listens on it."""
    return free_port


@pytest.fixture
def cli_env(tmp_path: Path) -> Callable[..., dict[str, str]]:
    """`cli_env(**values)`: the environment for `python -m bot` as a child process. It is this process's
    environment without the bot's own variables, so a developer's real token never reaches a test bot;
    PYTHONPATH names this checkout, so the child runs the code under test (stand-ins included) and not
    whatever copy of the package the virtualenv has installed."""

    def build(**values: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key not in CONTRACT_VARIABLES}
        pythonpath = os.pathsep.join(filter(None, [str(REPO_DIR), env.get("PYTHONPATH")]))
        env.update({"DATA_DIR": str(tmp_path / "data"), "PTB_TIMEDELTA": "true", "PYTHONPATH": pythonpath})
        env.update(values)
        return env

    return build


# -- a linked user --------------------------------------------------------------------------------

LINK_TIMEOUT = 10  # seconds for the bot's answers during linking: it runs the real Application


@dataclass
class Consent:
    """What the bot offered and what the simulator answered."""

    authorize_url: str
    state: str
    redirect_url: str  # the bot's /oauth/callback?... the browser would open


CONFIRM_FORM = re.compile(
    r'<form method="post" action="/oauth/callback">(.*?)<button type="submit">', re.DOTALL
)
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


class LinkingFlow:
    """A person linking a Telegram user to a simulator account, one step per method, so that a test can
    stop after any step or make it go wrong: /link in the private chat, consent at the simulator, the
    browser opening the bot's callback and confirming."""

    @staticmethod
    def url_button(message: Any) -> str:
        for _label, target in message.buttons:
            if isinstance(target, str) and target.startswith("http"):
                return target
        raise AssertionError(f"no URL button in {message.buttons!r}")

    async def request_link(self, emulator: Any, user: Any) -> tuple[Any, str]:
        """/link in the private chat; returns (the bot's message, the authorize URL)."""
        await emulator.send_message(user, None, "/link")
        message = await emulator.wait_for_message(
            emulator.private_chat(user), predicate=lambda m: bool(m.buttons), timeout=LINK_TIMEOUT
        )
        return message, self.url_button(message)

    @staticmethod
    async def consent(authorize_url: str, *, account: str = DEMO_ACCOUNT, decision: str = "allow") -> Consent:
        """Press Allow/Deny on the simulator's consent page; returns where it redirects the browser."""
        separator = "&" if "?" in authorize_url else "?"
        url = f"{authorize_url}{separator}{urlencode({'_sim_auto': decision, '_sim_account': account})}"
        async with aiohttp.ClientSession() as http, http.get(url, allow_redirects=False) as resp:
            assert resp.status == 302, await resp.text()
            location = resp.headers["Location"]
        state = parse_qs(urlsplit(authorize_url).query)["state"][0]
        return Consent(authorize_url, state, location)

    @staticmethod
    async def open_callback(url: str, *, confirm: bool = True) -> tuple[int, str]:
        """The browser opening the redirect, and the person pressing "Yes, link it" when the page asks:
        (status, HTML of the last page)."""
        async with aiohttp.ClientSession() as http:
            async with http.get(url, allow_redirects=False) as resp:
                status, page = resp.status, await resp.text()
            form = CONFIRM_FORM.search(page)
            if not confirm or status != 200 or form is None:
                return status, page
            fields = {name: html.unescape(value) for name, value in HIDDEN.findall(form.group(1))}
            post_url = urlunsplit(urlsplit(url)._replace(path="/oauth/callback", query=""))
            async with http.post(post_url, data=fields, allow_redirects=False) as resp:
                return resp.status, await resp.text()

    async def grant(
        self, emulator: Any, user: Any, *, account: str = DEMO_ACCOUNT, decision: str = "allow"
    ) -> Consent:
        """/link, then Allow (or Deny) at the simulator: the browser is about to come back to the bot."""
        _message, authorize = await self.request_link(emulator, user)
        return await self.consent(authorize, account=account, decision=decision)

    async def link_user(self, emulator: Any, user: Any, *, account: str = DEMO_ACCOUNT) -> Any:
        """Link `user` to a simulator account end to end; returns the bot's "Linked" message."""
        granted = await self.grant(emulator, user, account=account)
        status, page = await self.open_callback(granted.redirect_url)
        assert status == 200 and "Linked." in page, page
        return await emulator.wait_for_message(
            emulator.private_chat(user), predicate=lambda m: "I can" in (m.text or ""), timeout=LINK_TIMEOUT
        )


@pytest.fixture
def linking() -> LinkingFlow:
    """The linking steps one by one, for tests of linking itself."""
    return LinkingFlow()


@pytest.fixture
def link_user(linking: LinkingFlow) -> Callable[..., Awaitable[Any]]:
    """`await link_user(emulator, user, account=...)`, for tests that need a linked user to start from."""
    return linking.link_user


# -- pressing buttons ------------------------------------------------------------------------------

BUTTON_TIMEOUT = 10  # seconds for the bot's answers to a press


class ButtonUI:
    """Pressing inline buttons the way a person does, while tests name the buttons by what they mean.

    The bot signs its callback data (`feature:action:args:MAC`), so tests speak of a button by its
    verified body (`bot.chat.callbacks.verify`): `data_of` lists the bodies of a message's buttons and
    `press` presses the button on the message whose body is the one wanted. `replay` presses data the
    bot made, though not on this keyboard (a button of an older screen, a double tap of a button the edit
    replaced, data with genuine MAC and forged arguments); `forge` sends hand-made data as it is."""

    def __init__(self, emulator: Any, simulator: Any) -> None:
        self.emulator = emulator
        self.simulator = simulator

    @staticmethod
    def data_of(message: Any) -> list[str]:
        """The verified bodies of the message's callback buttons (data the bot did not sign is left out)."""
        from bot.chat import callbacks

        bodies = (callbacks.verify(target) for _label, target in message.buttons if isinstance(target, str))
        return [body for body in bodies if body is not None]

    @staticmethod
    def signed(message: Any, body: str) -> str:
        """The signed data of the button on `message` whose verified body is `body`."""
        from bot.chat import callbacks

        for _label, target in message.buttons:
            if isinstance(target, str) and callbacks.verify(target) == body:
                return target
        raise AssertionError(f"no button {body!r} on the message: {ButtonUI.data_of(message)!r}")

    async def answer_to(self, query_id: str) -> Any:
        return await self.emulator.wait_for_callback_answer(query_id, timeout=BUTTON_TIMEOUT)

    async def press(self, user: Any, message: Any, body: str) -> Any:
        """Press the button `body` of `message` and wait for the callback's answer."""
        query = await self.emulator.press_button(user, message, self.signed(message, body))
        return await self.answer_to(query)

    async def press_and_edit(self, user: Any, message: Any, body: str) -> tuple[Any, Any]:
        """Press a button and wait for the answer and the message's edit."""
        answer = await self.press(user, message, body)
        return answer, await self.emulator.wait_for_edit(message, timeout=BUTTON_TIMEOUT)

    async def replay(self, user: Any, message: Any, body: str) -> Any:
        """Press data signed by the running bot (`callbacks.encode`) that `message` does not carry."""
        from bot.chat import callbacks

        feature, action, *args = body.split(callbacks.SEPARATOR)
        query = await self.emulator.press_button(user, message, callbacks.encode(feature, action, *args))
        return await self.answer_to(query)

    async def forge(self, user: Any, message: Any, data: str) -> Any:
        """Send hand-made callback data as it is (no MAC) and wait for the answer."""
        query = await self.emulator.press_button(user, message, data)
        return await self.answer_to(query)

    async def writes(self, endpoint: str | None = None) -> list[dict[str, Any]]:
        """The simulator's write log, of one endpoint or all."""
        log = await self.simulator.write_log()
        return [w for w in log if endpoint is None or w["endpoint"] == endpoint]


@pytest.fixture
def ui(emulator: Any, simulator: Any) -> ButtonUI:
    """Press buttons by their verified bodies (see ButtonUI)."""
    return ButtonUI(emulator, simulator)


# -- the family most feature tests start from ------------------------------------------------------------


class Family(NamedTuple):
    """A running bot, Anna linked to the demo account (owner of the demo homes), Bob not linked, and their
    group chat "Family"."""

    runtime: Any
    anna: Any
    bob: Any
    group: Any


@pytest.fixture
async def family(emulator: Any, simulator: Any, start_bot: StartBot, link_user: Any) -> Family:
    """The control and subscription tests' common start, built in one place so both start alike."""
    runtime, (anna, bob), group = await _family_group(emulator, simulator, start_bot, link_user, "Bob")
    return Family(runtime, anna, bob, group)


async def _family_group(
    emulator: Any, simulator: Any, start_bot: StartBot, link_user: Any, *others: str
) -> tuple[Any, list[Any], Any]:
    """(runtime, [Anna, *others], group): a running bot, Anna linked to the demo account, the `others`
    not linked, and all of them in the group chat "Family"."""
    runtime = await start_bot(emulator, simulator)
    people = [emulator.add_user(name) for name in ("Anna", *others)]
    await link_user(emulator, people[0])
    return runtime, people, emulator.add_group("Family", people)


# -- a family to test roles with ---------------------------------------------------------------------


class RolesFamily(NamedTuple):
    """Anna linked (owner of the demo homes), Bob and Carl not linked, their group subscribed to
    HOME_ONE."""

    runtime: Any
    anna: Any
    bob: Any
    carl: Any
    group: Any


@pytest.fixture
async def roles_family(emulator: Any, simulator: Any, start_bot: StartBot, link_user: Any) -> RolesFamily:
    from bot.storage import subscriptions as subscriptions_repo
    from bot.storage.telegram import save_chat
    from standins.netatmo_sim.world.demo import HOME_ONE_ID

    runtime, (anna, bob, carl), group = await _family_group(
        emulator, simulator, start_bot, link_user, "Bob", "Carl"
    )
    async with runtime.services.sessions.begin() as session:
        await save_chat(session, group.id, "group", "Family")
        await subscriptions_repo.subscribe(session, group.id, HOME_ONE_ID, anna.id)
    return RolesFamily(runtime, anna, bob, carl, group)


ReplyCommand = Callable[[Any, Any, dict[str, Any], str], Awaitable[None]]


@pytest.fixture
def reply_command(emulator: Any) -> ReplyCommand:
    """`await reply_command(user, group, replied, text)`: `user` answers the message `replied` (as the
    Bot API shows it) with the command `text`; the emulator has no shortcut for a reply."""
    import asyncio

    from standins.telegram_emulator.formatting import command_entities

    async def send(user: Any, group: Any, replied: dict[str, Any], text: str) -> None:
        world = emulator.world
        message = world.new_message(emulator.chat(group), user)
        message.text, message.entities = text, command_entities(text)
        payload = world.message_api(message)
        payload["reply_to_message"] = replied
        world.enqueue("message", payload)
        await asyncio.sleep(0)

    return send
