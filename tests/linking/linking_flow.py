"""Helpers that walk a user through linking against the simulator and the Bot API emulator.

Shared by tests/chat, tests/web and tests/netatmo (and usable by other features' tests that need a
linked user): `link_user(...)` does /link → consent at the simulator → GET /oauth/callback → confirm (POST).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import aiohttp

from standins.netatmo_sim.world.demo import DEMO_ACCOUNT

TIMEOUT = 10


@dataclass
class Consent:
    """What the bot offered and what the simulator answered."""

    authorize_url: str
    state: str
    redirect_url: str  # the bot's /oauth/callback?... the browser would open


def url_button(message: Any) -> str:
    for _label, target in message.buttons:
        if isinstance(target, str) and target.startswith("http"):
            return target
    raise AssertionError(f"no URL button in {message.buttons!r}")


async def request_link(emulator: Any, user: Any) -> tuple[Any, str]:
    """/link in the private chat; returns (the bot's message, the authorize URL)."""
    await emulator.send_message(user, None, "/link")
    message = await emulator.wait_for_message(
        emulator.private_chat(user), predicate=lambda m: bool(m.buttons), timeout=TIMEOUT
    )
    return message, url_button(message)


async def consent(authorize_url: str, *, account: str = DEMO_ACCOUNT, decision: str = "allow") -> Consent:
    """Press Allow/Deny on the simulator's consent page; returns where it redirects the browser."""
    separator = "&" if "?" in authorize_url else "?"
    url = f"{authorize_url}{separator}{urlencode({'_sim_auto': decision, '_sim_account': account})}"
    async with aiohttp.ClientSession() as http, http.get(url, allow_redirects=False) as resp:
        assert resp.status == 302, await resp.text()
        location = resp.headers["Location"]
    state = parse_qs(urlsplit(authorize_url).query)["state"][0]
    return Consent(authorize_url, state, location)


CONFIRM_FORM = re.compile(
    r'<form method="post" action="/oauth/callback">(.*?)<button type="submit">', re.DOTALL
)
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


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


async def link_user(emulator: Any, user: Any, *, account: str = DEMO_ACCOUNT) -> Any:
    """Link `user` to a simulator account end to end; returns the bot's "Linked" message."""
    _message, authorize = await request_link(emulator, user)
    granted = await consent(authorize, account=account)
    status, page = await open_callback(granted.redirect_url)
    assert status == 200 and "Linked." in page, page
    return await emulator.wait_for_message(
        emulator.private_chat(user), predicate=lambda m: "I can" in (m.text or ""), timeout=TIMEOUT
    )
