"""OAuth2: the consent page (`/oauth2/authorize`) and the token endpoint (`/oauth2/token`).

The consent page lists the demo accounts with Allow / Deny buttons. Tests script it without a
browser: `GET /oauth2/authorize?...&_sim_auto=allow&_sim_account=<id>` redirects at once (use
`_sim_auto=deny` for a refusal), or POST the page's form fields (`account_id`, `decision`).
"""

from __future__ import annotations

import html
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from standins.netatmo_sim.api.state import STATE, SimState
from standins.netatmo_sim.api.tokens import OAuthError, TokenRecord, parse_scopes

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Netatmo simulator - authorize</title>
<style>body{{font-family:sans-serif;max-width:32em;margin:3em auto}}button{{margin:.5em}}</style></head>
<body><h1>Netatmo (simulator)</h1>
<p><b>{client}</b> asks for access to: {scopes}</p>
<form method="post" action="/oauth2/authorize">
{hidden}
<fieldset><legend>Sign in as</legend>{accounts}</fieldset>
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form></body></html>"""
_FIELDS = ("client_id", "redirect_uri", "scope", "state")
MAX_LISTED_ACCOUNTS = 12


def _redirect(redirect_uri: str, **params: str) -> web.HTTPFound:
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return web.HTTPFound(f"{redirect_uri}{separator}{urlencode(params)}")


def _bad(message: str) -> web.Response:
    return web.Response(status=400, text=f"Bad request: {message}")


def _validate(state: SimState, values: dict[str, str]) -> str | None:
    """Why the authorize request cannot even reach the consent page, or None."""
    if values.get("client_id") not in state.tokens.clients:
        return "unknown client_id"
    uri = urlsplit(values.get("redirect_uri", ""))
    if uri.scheme not in ("http", "https") or not uri.netloc:
        return "invalid redirect_uri"
    return None


def decide(state: SimState, values: dict[str, str], decision: str, account_id: str | None) -> web.HTTPFound:
    """Redirect back to the client with a code, or with error=access_denied."""
    redirect_uri, client_state = values["redirect_uri"], values.get("state", "")
    if decision != "allow":
        return _redirect(redirect_uri, error="access_denied", state=client_state)
    if not account_id or state.world.account(account_id) is None:
        raise web.HTTPBadRequest(text="Bad request: unknown account")
    code = state.tokens.new_code(
        account_id, values["client_id"], redirect_uri, parse_scopes(values.get("scope"))
    )
    return _redirect(redirect_uri, state=client_state, code=code)


async def authorize_page(request: web.Request) -> web.StreamResponse:
    """GET: the consent page (or an immediate decision with `_sim_auto`)."""
    state = request.app[STATE]
    values = {k: request.query.get(k, "") for k in _FIELDS}
    if (problem := _validate(state, values)) is not None:
        return _bad(problem)
    if (auto := request.query.get("_sim_auto")) is not None:
        raise decide(state, values, auto, request.query.get("_sim_account"))
    hidden = "\n".join(
        f'<input type="hidden" name="{k}" value="{html.escape(v)}">' for k, v in values.items()
    )
    accounts = []
    for i, account_id in enumerate(state.world.account_ids()):
        if i >= MAX_LISTED_ACCOUNTS:
            break
        account = state.world.account(account_id)
        assert account is not None
        checked = " checked" if i == 0 else ""
        accounts.append(
            f'<label><input type="radio" name="account_id" value="{account.id}"{checked}> '
            f"{html.escape(account.display_name)} ({html.escape(account.email)})</label><br>"
        )
    page = _PAGE.format(
        client=html.escape(values["client_id"]),
        scopes=html.escape(", ".join(parse_scopes(values["scope"]))),
        hidden=hidden,
        accounts="\n".join(accounts),
    )
    return web.Response(text=page, content_type="text/html")


async def authorize_submit(request: web.Request) -> web.StreamResponse:
    """POST: the consent form's Allow / Deny."""
    state = request.app[STATE]
    form = await request.post()
    values = {k: str(form.get(k, "")) for k in _FIELDS}
    if (problem := _validate(state, values)) is not None:
        return _bad(problem)
    account_id = form.get("account_id")
    raise decide(state, values, str(form.get("decision", "deny")), str(account_id) if account_id else None)


def token_json(state: SimState, record: TokenRecord) -> dict[str, object]:
    """The token answer, shaped like fixtures/pyatmo/archive/oauth2_token.json."""
    lifetime = state.tokens.lifetime
    return {
        "access_token": record.access_token,
        "refresh_token": record.refresh_token,
        "scope": list(record.scopes),
        "expires_in": lifetime,
        "expire_in": lifetime,
    }


async def token(request: web.Request) -> web.Response:
    """POST form: authorization_code and refresh_token grants."""
    state = request.app[STATE]
    form = await request.post()
    values = {k: str(v) for k, v in form.items()}
    try:
        client_id = state.tokens.check_client(values.get("client_id"), values.get("client_secret"))
        grant = values.get("grant_type")
        if grant == "authorization_code":
            record = state.tokens.exchange_code(values.get("code"), client_id, values.get("redirect_uri"))
        elif grant == "refresh_token":
            record = state.tokens.refresh(values.get("refresh_token"), client_id)
        elif not grant:
            raise OAuthError("invalid_request")
        else:
            raise OAuthError("unsupported_grant_type")
    except OAuthError as exc:
        return web.json_response({"error": exc.error}, status=400)
    return web.json_response(token_json(state, record))


def routes() -> list[web.RouteDef]:
    """OAuth routes."""
    return [
        web.get("/oauth2/authorize", authorize_page),
        web.post("/oauth2/authorize", authorize_submit),
        web.post("/oauth2/token", token),
    ]
