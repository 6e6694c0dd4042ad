"""/oauth/callback: the browser's return from Netatmo's consent page.

GET answers a small self-contained page that names the Telegram account the Netatmo account is about to
be linked to and asks to confirm; the confirmation POSTs the same state and code, and only then is the
code exchanged and the user told in Telegram (through `services.link_notifier`, built by the runtime).
The extra click defeats a forwarded sign-in link: whoever opens it sees whose Telegram account would get
their cameras. Every failure links nothing and says what to do.
"""

from __future__ import annotations

import html
import logging

from aiohttp import web

from bot.i18n import translator
from bot.linking.service import LinkFailure, claim_state, complete_link
from bot.linking.texts import confirm_page_text, page_text
from bot.services import Services
from bot.storage.telegram import get_user
from bot.web.health import SERVICES

LOG = logging.getLogger(__name__)

_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:30em;margin:4em auto;padding:0 1em;line-height:1.5}}
a.button{{display:inline-block;padding:.6em 1.2em;background:#2aabee;color:#fff;border-radius:.4em;
text-decoration:none}}</style></head>
<body><h1>{title}</h1><p>{sentence}</p>{who}
<p><a class="button" href="{bot_url}">{back}</a></p></body></html>"""


def _page(
    services: Services, request: web.Request, reason: str | None, who: str = "", status: int = 200
) -> web.Response:
    lang = _language(request)
    _ = translator(lang)
    title, sentence = page_text(_, reason)
    bot_url = f"https://t.me/{services.bot_username}" if services.bot_username else "https://t.me/"
    body = _PAGE.format(
        lang=html.escape((lang or "en")[:8]),
        title=html.escape(title),
        sentence=html.escape(sentence),
        who=f"<p>{html.escape(who)}</p>" if who else "",
        bot_url=html.escape(bot_url),
        back=html.escape(_("Back to Telegram")),
    )
    return web.Response(
        text=body,
        status=status,
        content_type="text/html",
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


_CONFIRM = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:30em;margin:4em auto;padding:0 1em;line-height:1.5}}
button{{padding:.6em 1.2em;background:#2aabee;color:#fff;border:0;border-radius:.4em;font-size:1em}}
form{{display:inline}} .cancel{{background:#888}}</style></head>
<body><h1>{title}</h1><p>{sentence}</p>
<form method="post" action="/oauth/callback"><input type="hidden" name="state" value="{state}">
<input type="hidden" name="code" value="{code}"><button type="submit">{confirm}</button></form>
<form method="post" action="/oauth/callback"><input type="hidden" name="state" value="{state}">
<input type="hidden" name="error" value="access_denied"><button class="cancel" type="submit">{cancel}</button>
</form></body></html>"""


def _language(request: web.Request) -> str | None:
    return request.headers.get("Accept-Language", "").split(",")[0].split(";")[0].strip() or None


async def _telegram_name(services: Services, telegram_user_id: int) -> str:
    async with services.sessions() as session:
        user = await get_user(session, telegram_user_id)
    if user is None:
        return str(telegram_user_id)
    return f"{user.first_name} (@{user.username})" if user.username else user.first_name


async def oauth_confirm(request: web.Request) -> web.Response:
    """GET: check the state without using it up, and ask before linking anything."""
    services = request.app[SERVICES]
    state = request.query.get("state", "")
    code = request.query.get("code", "")
    if request.query.get("error") or not state or not code:
        return await _finish(request, dict(request.query))
    try:
        async with services.sessions() as session:
            pending = await claim_state(session, state=state, consume=False)
    except LinkFailure as failure:
        return await _finish(request, dict(request.query), failure)
    lang = _language(request)
    title, sentence, confirm, cancel = confirm_page_text(
        translator(lang), await _telegram_name(services, pending.telegram_user_id)
    )
    body = _CONFIRM.format(
        lang=html.escape((lang or "en")[:8]),
        title=html.escape(title),
        sentence=html.escape(sentence),
        state=html.escape(state),
        code=html.escape(code),
        confirm=html.escape(confirm),
        cancel=html.escape(cancel),
    )
    return web.Response(
        text=body,
        content_type="text/html",
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"},
    )


async def oauth_callback(request: web.Request) -> web.Response:
    """POST: the confirmation (or the cancel button) of the page above."""
    form = await request.post()
    return await _finish(request, {key: str(value) for key, value in form.items()})


async def _finish(
    request: web.Request, fields: dict[str, str], early: LinkFailure | None = None
) -> web.Response:
    services = request.app[SERVICES]
    notifier = services.link_notifier
    state = fields.get("state", "")
    code = fields.get("code", "")
    error = fields.get("error", "")
    gateway = services.netatmo
    try:
        if early is not None:
            raise early
        if not state:
            raise LinkFailure("unknown")
        async with services.sessions.begin() as session:
            pending = await claim_state(session, state=state)
        if error:
            raise LinkFailure("denied", pending.telegram_user_id, pending.chat_id)
        if not code:
            raise LinkFailure("missing", pending.telegram_user_id, pending.chat_id)
        if gateway is None:
            raise LinkFailure("unavailable", pending.telegram_user_id, pending.chat_id)
        result = await complete_link(gateway, services.http, services.settings, pending, code)
    except LinkFailure as failure:
        LOG.info("oauth_callback_failed reason=%s user=%s", failure.reason, failure.telegram_user_id)
        if notifier is not None:
            await notifier.failed(failure)
        status = 400 if failure.reason in ("unknown", "missing", "expired", "replayed") else 200
        return _page(services, request, failure.reason, status=status)
    if notifier is not None:
        await notifier.linked(result)
    name = await _telegram_name(services, result.telegram_user_id)
    _ = translator(_language(request))
    who = _("Linked for Telegram user {name}.").format(name=name)
    return _page(services, request, None, who=who)


def register(app: web.Application) -> None:
    app.router.add_get("/oauth/callback", oauth_confirm)
    app.router.add_post("/oauth/callback", oauth_callback)
