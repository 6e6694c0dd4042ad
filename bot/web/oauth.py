"""GET /oauth/callback: the browser's return from Netatmo's consent page.

Answers a small self-contained HTML page at once, and tells the user in Telegram through the
`LinkNotifier` the linking feature registered. Every failure links nothing and says what to do.
"""

from __future__ import annotations

import html
import logging

from aiohttp import web
from sqlalchemy import select

from bot.chat.linking import LINK_NOTIFIER, LinkNotifier
from bot.domain.linking import page_text
from bot.i18n import translator
from bot.netatmo.linking import LinkFailure, claim_state, complete_link
from bot.services import Services
from bot.storage.models import TelegramUser
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
    lang = request.headers.get("Accept-Language", "").split(",")[0].split(";")[0].strip() or None
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


async def oauth_callback(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    notifier = services.extras.get(LINK_NOTIFIER)
    state = request.query.get("state", "")
    code = request.query.get("code", "")
    error = request.query.get("error", "")
    gateway = services.netatmo
    try:
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
        if isinstance(notifier, LinkNotifier):
            await notifier.failed(failure)
        status = 400 if failure.reason in ("unknown", "missing", "expired", "replayed") else 200
        return _page(services, request, failure.reason, status=status)
    if isinstance(notifier, LinkNotifier):
        await notifier.linked(result)
    async with services.sessions() as session:
        name = await session.scalar(
            select(TelegramUser.first_name).where(TelegramUser.id == result.telegram_user_id)
        )
    _ = translator(None)
    who = _("Linked for Telegram user {name}.").format(name=name) if name else ""
    return _page(services, request, None, who=who)


def register(app: web.Application) -> None:
    app.router.add_get("/oauth/callback", oauth_callback)
