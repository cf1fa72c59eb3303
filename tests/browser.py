"""What the Playwright browser tests share: the phone and desktop viewports, and a page opened in
a language, signed in as a user if given."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.test import Client

if TYPE_CHECKING:
    from playwright._impl._api_structures import SetCookieParam
    from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize
    from pytest_django.live_server_helper import LiveServer

    from jiceng.orgs.models import User

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def open_page(
    browser: Browser,
    live_server: LiveServer,
    *,
    viewport: ViewportSize,
    user: User | None = None,
    language: str = "zh-hans",
    prefer_language: bool = False,
    locale: str | None = None,
    accept_dialogs: bool = False,
    timeout_ms: float = 15_000,
) -> tuple[BrowserContext, Page]:
    """A new browser context of `viewport` and its page, speaking `language` (the language
    cookie), signed in as `user` (the session cookie of a forced login) if given.

    `prefer_language` first saves `language` as the user's preferred language too; `locale` is
    the browser's own (what it asks for in Accept-Language); `accept_dialogs` confirms every
    dialog the pages open; the page waits `timeout_ms` at the most for each action."""
    context = browser.new_context(viewport=viewport, locale=locale)  # None: the default
    cookies: list[SetCookieParam] = [
        {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}
    ]
    if user is not None:
        if prefer_language:
            user.preferred_language = language
            user.save()
        client = Client()
        client.force_login(user)
        cookies.append(
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            }
        )
    context.add_cookies(cookies)
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    if accept_dialogs:
        page.on("dialog", lambda dialog: dialog.accept())
    return context, page
