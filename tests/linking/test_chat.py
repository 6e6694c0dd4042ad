"""Account linking end to end: the real Application, the web server, the simulator and the emulator."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from sqlalchemy import select

from bot.netatmo.oauth import hash_state
from bot.netatmo.scopes import ALL_SCOPES
from bot.storage.models import Home, HomeDevice, HomeMember, NetatmoLink, OAuthState, Subscription
from standins.netatmo_sim.world.demo import DEMO_ACCOUNT, HOME_ONE_ID, HOME_TWO_ID, SECOND_ACCOUNT

TIMEOUT = 10  # seconds to wait for the bot's answers


async def _rows(runtime: Any, model: Any) -> list[Any]:
    async with runtime.services.sessions() as session:
        return list(await session.scalars(select(model)))


async def _refused(
    emulator: Any, linking: Any, user: Any, url: str, status: int, page_says: str, chat_says: str
) -> None:
    """Opening `url` links nothing: the page answers `status` with `page_says`, and the user's chat is told
    `chat_says` (a refused callback is explained in both places)."""
    got, page = await linking.open_callback(url)
    assert got == status and page_says in page, (got, page)
    told = await emulator.wait_for_message(emulator.private_chat(user), timeout=TIMEOUT)
    assert chat_says in told.text


async def test_link_offers_an_authorize_url_with_every_scope_and_a_hashed_state(
    emulator: Any, simulator: Any, start_bot: Any, linking: Any
) -> None:
    runtime = await start_bot(emulator, simulator)
    anna = emulator.add_user("Anna")
    message, url = await linking.request_link(emulator, anna)
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{simulator.base_url}/oauth2/authorize"
    assert query["client_id"] == simulator.config.client_id
    assert query["redirect_uri"] == f"{runtime.settings.public_url}/oauth/callback"
    assert set(query["scope"].split()) == set(ALL_SCOPES)
    assert len(query["state"]) >= 22  # >= 128 bits, URL-safe base64
    assert "Cameras and doorbell" in message.text and "paste" in message.text
    states = await _rows(runtime, OAuthState)
    assert [s.state_hash for s in states] == [hash_state(query["state"])]
    assert states[0].telegram_user_id == anna.id and states[0].chat_id == anna.id
    assert (states[0].expires_at - states[0].created_at).total_seconds() == 600


async def test_start_button_and_deep_link_start_linking(
    emulator: Any, simulator: Any, start_bot: Any, linking: Any
) -> None:
    await start_bot(emulator, simulator)
    anna = emulator.add_user("Anna")
    await emulator.send_message(anna, None, "/start")
    welcome = await emulator.wait_for_message(emulator.private_chat(anna), timeout=TIMEOUT)
    await emulator.press_button(anna, welcome, "link:start")
    offer = await emulator.wait_for_message(emulator.private_chat(anna), timeout=TIMEOUT)
    assert "oauth2/authorize" in linking.url_button(offer)
    await emulator.send_message(anna, None, "/start link")
    deep = await emulator.wait_for_message(emulator.private_chat(anna), timeout=TIMEOUT)
    assert "oauth2/authorize" in linking.url_button(deep)
    assert "Hi Anna" not in deep.text


async def test_link_in_a_group_points_to_the_private_chat(
    emulator: Any, simulator: Any, start_bot: Any, linking: Any
) -> None:
    await start_bot(emulator, simulator)
    anna, ben = emulator.add_user("Anna"), emulator.add_user("Ben")
    family = emulator.add_group("Family", [anna, ben])
    await emulator.send_message(anna, family, "/link")
    reply = await emulator.wait_for_message(family, timeout=TIMEOUT)
    assert "private chat" in reply.text
    assert linking.url_button(reply) == f"https://t.me/{emulator.bot.username}?start=link"


async def test_full_flow_links_homes_members_and_default_subscriptions(
    emulator: Any, simulator: Any, start_bot: Any, link_user: Any
) -> None:
    runtime = await start_bot(emulator, simulator)
    anna = emulator.add_user("Anna")
    linked = await link_user(emulator, anna)
    homes = {home.id: home for home in await _rows(runtime, Home)}
    assert set(homes) == {HOME_ONE_ID, HOME_TWO_ID}
    for home in homes.values():
        assert home.name in linked.text
    assert "/status" in linked.text and "Alerts are on" in linked.text
    members = await _rows(runtime, HomeMember)
    links = await _rows(runtime, NetatmoLink)
    assert len(links) == 1 and links[0].netatmo_user_id == DEMO_ACCOUNT and links[0].state == "active"
    assert {(m.home_id, m.telegram_user_id, m.role, m.link_id) for m in members} == {
        (HOME_ONE_ID, anna.id, "owner", links[0].id),
        (HOME_TWO_ID, anna.id, "owner", links[0].id),
    }
    subscriptions = await _rows(runtime, Subscription)
    assert {(s.chat_id, s.home_id, s.created_by) for s in subscriptions} == {
        (anna.id, HOME_ONE_ID, anna.id),
        (anna.id, HOME_TWO_ID, anna.id),
    }
    devices = await _rows(runtime, HomeDevice)
    assert any(d.type == "NACamera" for d in devices) and all(d.name for d in devices)
    cameras = {d.device_id for d in devices if d.type == "NACamera"}
    tags = [d for d in devices if d.type in ("NACamDoorTag", "NIS")]
    assert tags and all(d.bridge in cameras for d in tags)  # each tag and siren knows its camera


async def test_the_callback_asks_before_linking_and_names_the_telegram_account(
    emulator: Any, simulator: Any, start_bot: Any, linking: Any
) -> None:
    """A forwarded sign-in link must not link someone else's cameras silently: the page names the Telegram
    account, nothing is linked until "Yes, link it", and "Cancel" links nothing."""
    runtime = await start_bot(emulator, simulator)
    mallory = emulator.add_user("Mallory", username="mallory")
    granted = await linking.grant(emulator, mallory)  # the victim signs in with the forwarded link
    status, page = await linking.open_callback(granted.redirect_url, confirm=False)
    assert status == 200 and "Mallory (@mallory)" in page and "Yes, link it" in page
    assert await _rows(runtime, NetatmoLink) == []
    state_row = (await _rows(runtime, OAuthState))[0]
    assert state_row.used_at is None  # still usable: looking is not consenting

    cancel_status, cancel_page = await _post_cancel(runtime, granted.state)
    assert cancel_status == 200 and "cancelled" in cancel_page.lower()
    assert await _rows(runtime, NetatmoLink) == []
    status, page = await linking.open_callback(granted.redirect_url)  # the same link again: used up
    assert status == 400 and await _rows(runtime, NetatmoLink) == []


async def _post_cancel(runtime: Any, state: str) -> tuple[int, str]:
    url = f"{runtime.settings.public_url}/oauth/callback"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data={"state": state, "error": "access_denied"}) as resp:
            return resp.status, await resp.text()


async def test_deny_links_nothing(emulator: Any, simulator: Any, start_bot: Any, linking: Any) -> None:
    runtime = await start_bot(emulator, simulator)
    anna = emulator.add_user("Anna")
    refused = await linking.grant(emulator, anna, decision="deny")
    status, page = await linking.open_callback(refused.redirect_url)
    assert status == 200 and "cancelled" in page
    told = await emulator.wait_for_message(emulator.private_chat(anna), timeout=TIMEOUT)
    assert "not allowed" in told.text and "/link" in told.text
    assert await _rows(runtime, NetatmoLink) == []


async def test_replayed_and_unknown_states_are_refused(
    emulator: Any, simulator: Any, start_bot: Any, linking: Any, link_user: Any
) -> None:
    runtime = await start_bot(emulator, simulator)
    anna = emulator.add_user("Anna")
    await link_user(emulator, anna)
    links_before = await _rows(runtime, NetatmoLink)
    granted = await linking.grant(emulator, anna)
    assert (await linking.open_callback(granted.redirect_url))[0] == 200
    await emulator.wait_for_message(emulator.private_chat(anna), timeout=TIMEOUT)
    await _refused(emulator, linking, anna, granted.redirect_url, 400, "already used", "already used")
    unknown = granted.redirect_url.replace(granted.state, "x" * 32)
    status, page = await linking.open_callback(unknown)
    assert status == 400 and "recognise" in page
    links_after = await _rows(runtime, NetatmoLink)
    assert len(links_after) == 1 and links_after[0].id == links_before[0].id


async def _paste(emulator: Any, user: Any, text: str) -> str:
    """The bot's answer when `user` pastes `text` in their private chat."""
    await emulator.send_message(user, None, text)
    return str((await emulator.wait_for_message(emulator.private_chat(user), timeout=TIMEOUT)).text)


@pytest.fixture
async def anna_granted(emulator: Any, simulator: Any, start_bot: Any, linking: Any) -> tuple[Any, Any, Any]:
    """(runtime, anna, granted): the bot running and Netatmo's consent granted to Anna, not yet redeemed."""
    runtime = await start_bot(emulator, simulator)
    anna = emulator.add_user("Anna")
    return runtime, anna, await linking.grant(emulator, anna)


async def test_expired_state_links_nothing(emulator: Any, linking: Any, anna_granted: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    runtime, anna, granted = anna_granted
    async with runtime.services.sessions.begin() as session:
        await session.execute(update(OAuthState).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    await _refused(emulator, linking, anna, granted.redirect_url, 400, "expired", "expired")
    assert await _rows(runtime, NetatmoLink) == []


async def test_a_code_netatmo_refuses_links_nothing(emulator: Any, linking: Any, anna_granted: Any) -> None:
    runtime, anna, granted = anna_granted
    forged = granted.redirect_url.replace("code=", "code=0")
    await _refused(emulator, linking, anna, forged, 200, "refused", "refused")
    assert await _rows(runtime, NetatmoLink) == []


async def test_paste_fallback_with_url_and_with_bare_code(
    emulator: Any, linking: Any, anna_granted: Any
) -> None:
    runtime, anna, granted = anna_granted
    assert "Linked!" in await _paste(emulator, anna, granted.redirect_url)
    # Ben pastes a bare code: the latest unexpired state of Ben is used.
    ben = emulator.add_user("Ben")
    granted = await linking.grant(emulator, ben, account=SECOND_ACCOUNT)
    code = parse_qs(urlsplit(granted.redirect_url).query)["code"][0]
    assert "Linked!" in await _paste(emulator, ben, code)
    links = {link.telegram_user_id: link for link in await _rows(runtime, NetatmoLink)}
    assert links[anna.id].netatmo_user_id == DEMO_ACCOUNT and links[ben.id].netatmo_user_id == SECOND_ACCOUNT


async def test_state_pasted_by_another_user_is_refused_and_kept(
    emulator: Any, linking: Any, anna_granted: Any
) -> None:
    runtime, anna, granted = anna_granted
    mallory = emulator.add_user("Mallory")
    assert "someone else" in await _paste(emulator, mallory, granted.redirect_url)
    assert await _rows(runtime, NetatmoLink) == []
    # The state was not used up: Anna can still finish.
    status, page = await linking.open_callback(granted.redirect_url)
    assert status == 200 and "Linked." in page
    links = await _rows(runtime, NetatmoLink)
    assert [link.telegram_user_id for link in links] == [anna.id]


async def test_codes_states_and_tokens_never_reach_the_logs(
    emulator: Any, simulator: Any, start_bot: Any, caplog: Any, linking: Any
) -> None:
    import logging

    caplog.set_level(logging.INFO)
    await start_bot(emulator, simulator)
    anna, ben = emulator.add_user("Anna"), emulator.add_user("Ben")
    granted = await linking.grant(emulator, anna)
    await linking.open_callback(granted.redirect_url)
    await emulator.wait_for_message(emulator.private_chat(anna), timeout=TIMEOUT)
    pasted = await linking.grant(emulator, ben, account=SECOND_ACCOUNT)
    await emulator.send_message(ben, None, pasted.redirect_url)
    await emulator.wait_for_message(emulator.private_chat(ben), timeout=TIMEOUT)
    await simulator.expire_tokens(DEMO_ACCOUNT)
    await emulator.send_message(anna, None, "/status")
    picker = await emulator.wait_for_message(emulator.private_chat(anna), timeout=TIMEOUT)
    await emulator.press_button(anna, picker, text="🏠 Demo House")  # forces a refresh: a second pair
    await emulator.wait_for_edit(picker, timeout=TIMEOUT)
    secrets = {granted.state, pasted.state}
    for redirect in (granted.redirect_url, pasted.redirect_url):
        secrets.add(parse_qs(urlsplit(redirect).query)["code"][0])
    for record in simulator.state.tokens._access.values():
        secrets |= {record.access_token, record.refresh_token}
    logs = "\n".join(f"{record.getMessage()} {record.exc_text or ''}" for record in caplog.records)
    assert "link_completed" in logs and "netatmo_token_refreshed" in logs
    for secret in secrets:
        assert secret not in logs


async def test_link_refresh_and_unlink_on_each_database(
    emulator: Any, simulator: Any, start_bot: Any, database_url: str, link_user: Any
) -> None:
    """Linking, the refresh claim and unlink on SQLite and (with TEST_DATABASE_URL) PostgreSQL."""
    runtime = await start_bot(emulator, simulator, database_url=database_url)
    anna = emulator.add_user("Anna")
    await link_user(emulator, anna)
    await link_user(emulator, anna)  # relink: same rows, new tokens
    await simulator.expire_tokens(DEMO_ACCOUNT)
    await emulator.send_message(anna, None, "/status")
    picker = await emulator.wait_for_message(emulator.private_chat(anna), timeout=TIMEOUT)
    await emulator.press_button(anna, picker, text="🏠 Demo House")
    status = await emulator.wait_for_edit(picker, timeout=TIMEOUT)
    assert ": online" in status.text
    assert (await _rows(runtime, NetatmoLink))[0].token_version == 2
    await emulator.send_message(anna, None, "/unlink")
    ask = await emulator.wait_for_message(emulator.private_chat(anna), timeout=TIMEOUT)
    await emulator.press_button(anna, ask, text="Yes, unlink")
    assert "Unlinked" in (await emulator.wait_for_edit(ask, timeout=TIMEOUT)).text
    assert await _rows(runtime, NetatmoLink) == [] and await _rows(runtime, Subscription) == []
