"""OAuth2: consent page, code grant, refresh rotation, expiry and revocation."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp

from standins.netatmo_sim import Simulator, SimulatorConfig
from standins.netatmo_sim.world.demo import DEMO_ACCOUNT, SECOND_ACCOUNT

# The simulator's default client, the one the `sim` fixture runs with.
CLIENT_ID, CLIENT_SECRET = SimulatorConfig.client_id, SimulatorConfig.client_secret
REDIRECT = "http://127.0.0.1:9/callback"
TOKEN_RE = re.compile(r"^[0-9a-f]{24}\|[0-9a-f]{32}$")


def _query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def _token(http: aiohttp.ClientSession, sim: Simulator, **form: str) -> tuple[int, Any]:
    data = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **form}
    async with http.post(f"{sim.base_url}/oauth2/token", data=data) as resp:
        return resp.status, await resp.json()


async def test_consent_page_lists_demo_accounts(sim: Simulator, http: aiohttp.ClientSession) -> None:
    params = {"client_id": CLIENT_ID, "redirect_uri": REDIRECT, "scope": "read_camera", "state": "s1"}
    async with http.get(f"{sim.base_url}/oauth2/authorize", params=params) as resp:
        page = await resp.text()
    assert resp.status == 200
    assert DEMO_ACCOUNT in page and SECOND_ACCOUNT in page
    assert 'value="allow"' in page and 'value="deny"' in page


async def test_unknown_client_is_refused_at_authorize(sim: Simulator, http: aiohttp.ClientSession) -> None:
    params = {"client_id": "nope", "redirect_uri": REDIRECT, "state": "s"}
    async with http.get(f"{sim.base_url}/oauth2/authorize", params=params) as resp:
        assert resp.status == 400


async def test_scripted_allow_deny_and_form_post(sim: Simulator, http: aiohttp.ClientSession) -> None:
    base = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": "read_camera read_thermostat",
        "state": "xyz",
    }
    auto = {**base, "_sim_auto": "allow", "_sim_account": SECOND_ACCOUNT}
    async with http.get(f"{sim.base_url}/oauth2/authorize", params=auto, allow_redirects=False) as resp:
        assert resp.status == 302
        query = _query(resp.headers["Location"])
    assert resp.headers["Location"].startswith(REDIRECT)
    assert query["state"] == "xyz" and re.fullmatch(r"[0-9a-f]{32}", query["code"])

    deny = {**base, "_sim_auto": "deny"}
    async with http.get(f"{sim.base_url}/oauth2/authorize", params=deny, allow_redirects=False) as resp:
        assert _query(resp.headers["Location"]) == {"error": "access_denied", "state": "xyz"}

    form = {**base, "account_id": DEMO_ACCOUNT, "decision": "allow"}
    async with http.post(f"{sim.base_url}/oauth2/authorize", data=form, allow_redirects=False) as resp:
        code = _query(resp.headers["Location"])["code"]
    status, body = await _token(http, sim, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert status == 200
    assert body["access_token"].startswith(DEMO_ACCOUNT + "|")
    assert body["scope"] == ["read_camera", "read_thermostat"]


async def test_code_grant_shape_and_single_use(sim: Simulator, http: aiohttp.ClientSession) -> None:
    code = await sim.authorize(DEMO_ACCOUNT, CLIENT_ID, REDIRECT, "read_camera")
    status, body = await _token(http, sim, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert status == 200
    assert TOKEN_RE.match(body["access_token"]) and TOKEN_RE.match(body["refresh_token"])
    assert body["expires_in"] == body["expire_in"] == 10800
    assert body["scope"] == ["read_camera"]
    again = await _token(http, sim, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert again == (400, {"error": "invalid_grant"})


async def test_redirect_uri_and_secret_are_checked(sim: Simulator, http: aiohttp.ClientSession) -> None:
    code = await sim.authorize(DEMO_ACCOUNT, CLIENT_ID, REDIRECT, "read_camera")
    wrong_uri = await _token(
        http, sim, grant_type="authorization_code", code=code, redirect_uri=REDIRECT + "x"
    )
    assert wrong_uri == (400, {"error": "invalid_grant"})
    code = await sim.authorize(DEMO_ACCOUNT, CLIENT_ID, REDIRECT, "read_camera")
    form = {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "client_secret": "bad",
        "code": code,
        "redirect_uri": REDIRECT,
    }
    async with http.post(f"{sim.base_url}/oauth2/token", data=form) as resp:
        assert (resp.status, await resp.json()) == (400, {"error": "invalid_client"})
    assert await _token(http, sim, grant_type="password") == (400, {"error": "unsupported_grant_type"})


async def test_refresh_rotates_and_kills_the_old_pair(
    sim: Simulator, http: aiohttp.ClientSession, get_token: Any, api: Any
) -> None:
    first = await get_token()
    status, second = await _token(http, sim, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert status == 200 and second["access_token"] != first["access_token"]
    assert await _token(http, sim, grant_type="refresh_token", refresh_token=first["refresh_token"]) == (
        400,
        {"error": "invalid_grant"},
    )
    assert await api("homesdata", bearer=first["access_token"]) == (
        403,
        {"error": {"code": 2, "message": "Invalid access token"}},
    )
    status, _ = await api("homesdata", bearer=second["access_token"])
    assert status == 200
    assert (await sim.counters(DEMO_ACCOUNT))["refreshes"] == 1


async def test_expired_and_revoked_tokens(
    sim: Simulator, http: aiohttp.ClientSession, get_token: Any, api: Any
) -> None:
    pair = await get_token()
    await sim.expire_tokens(DEMO_ACCOUNT)
    assert await api("homesdata", bearer=pair["access_token"]) == (
        403,
        {"error": {"code": 3, "message": "Access token expired"}},
    )
    status, fresh = await _token(http, sim, grant_type="refresh_token", refresh_token=pair["refresh_token"])
    assert status == 200
    await sim.revoke_tokens(DEMO_ACCOUNT)
    status, body = await api("homesdata", bearer=fresh["access_token"])
    assert (status, body["error"]["code"]) == (403, 2)
    assert await _token(http, sim, grant_type="refresh_token", refresh_token=fresh["refresh_token"]) == (
        400,
        {"error": "invalid_grant"},
    )


async def test_token_lifetime_follows_the_clock(sim: Simulator, api: Any) -> None:
    assert (await api("homesdata"))[0] == 200
    sim.advance_clock(10801)
    status, body = await api("homesdata")
    assert (status, body["error"]["code"]) == (403, 3)
