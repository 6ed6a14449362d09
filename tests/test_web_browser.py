"""The editors' console in a real browser (Debian's Chromium, driven by Playwright), with the
bot polling a fake Bot API in the same event loop: what an editor does, end to end."""

from __future__ import annotations

import asyncio
import re
import socket
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from bot.assistant import Assistant
from bot.conversation import Conversation
from bot.telegram.app import _post_init, build_application
from bot.telegram.polling import polling
from bot.web.app import create_app
from bot.web.server import web_server

CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "123456:TEST-console-token"
EDITOR_ID = 777
NEW_ANSWER = "តម្លៃទិដ្ឋាការ e-Visa គឺ <b>US$36</b> ចាប់ពីឆ្នាំ ២០២៧។"

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (scripts/test.sh "
                                                     "installs it)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@asynccontextmanager
async def bot_and_console(settings, fake_bot_api):
    """The bot polling the fake Bot API, and the console on 127.0.0.1, in this event loop."""
    port = free_port()
    async with fake_bot_api(TOKEN) as api:
        settings = replace(settings, token=TOKEN, api_url=api.root, secret="s",
                           editors=frozenset({EDITOR_ID}), console_port=port,
                           console_url=f"http://127.0.0.1:{port}")
        assistant = Assistant.open(settings)
        conversation = Conversation.for_settings(assistant, settings)
        app = build_application(settings, conversation)
        server = web_server(create_app(conversation, settings), "127.0.0.1", port)
        await app.initialize()
        await _post_init(app)
        await app.start()
        serving = asyncio.create_task(server.serve())
        try:
            async with polling(app, long_poll=1):
                while not server.started:
                    await asyncio.sleep(0.01)
                yield api, f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await serving
            await app.stop()
            await app.shutdown()


@asynccontextmanager
async def chromium():
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield browser
        finally:
            await browser.close()


async def sign_in_link(api) -> str:
    """Ask the bot for /console as the editor; the link from its reply."""
    editor = await api.user(EDITOR_ID, "Dara", language_code="km")
    since = api.mark()
    await api.send_command(editor, "console")
    reply = await api.wait_for(lambda s: s.method == "sendMessage", since=since)
    return re.search(r"http://\S+/console/login\?token=\S+", reply.text).group(0)


async def signed_in_page(browser, link: str):
    page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
    await page.goto(link)
    await page.click("#sign-in")
    await page.wait_for_url(re.compile(r"/console/$"))
    return page


async def test_an_editor_edits_an_answer_the_bot_gives_then_rolls_it_back(settings, fake_bot_api):
    async with bot_and_console(settings, fake_bot_api) as (api, _base), chromium() as browser:
        page = await signed_in_page(browser, await sign_in_link(api))
        assert "ផ្ទាំងសង្ខេប" in await page.inner_text("h1")

        await page.click("nav >> text=ចម្លើយ")
        await page.fill("input[name=q]", "តម្លៃ e-Visa")
        await page.press("input[name=q]", "Enter")
        await page.click("a[href='/console/entries/evisa-fees']")
        await page.wait_for_url(re.compile("/console/entries/evisa-fees$"))

        answer = page.locator("textarea[name='km.answer']")
        await answer.fill("តម្លៃ <div>US$36</div>")
        problems = page.locator("ul.problems[data-for='km.answer'] li.error")
        await problems.first.wait_for()  # checked as the editor types
        assert "<div> is not allowed" in await problems.first.inner_text()
        await page.click("#save")
        await page.wait_for_load_state()
        assert "<div> is not allowed" in await page.inner_text(
            "ul.problems[data-for='km.answer']")
        assert await answer.input_value() == "តម្លៃ <div>US$36</div>"  # kept as typed

        await answer.fill(NEW_ANSWER)
        await page.click("#save")
        await page.wait_for_url(re.compile(r"/console/entries/evisa-fees\?flash="))
        assert "បានរក្សាទុក" in await page.inner_text(".flash")

        person = await api.user(2002, "សុខា", language_code="km")
        reply = await api.ask(person, "តម្លៃទិដ្ឋាការ")
        assert "US$36" in reply.text

        await page.goto(page.url.split("?")[0] + "/history")
        await page.click("button.rollback >> nth=0")
        await page.wait_for_load_state()
        assert "បានត្រឡប់" in await page.inner_text(".flash")
        reply = await api.ask(person, "តម្លៃទិដ្ឋាការ")
        assert "US$36" not in reply.text and "US$30" in reply.text


async def test_a_second_browser_without_a_session_is_refused(settings, fake_bot_api):
    async with bot_and_console(settings, fake_bot_api) as (api, base), chromium() as browser:
        await signed_in_page(browser, await sign_in_link(api))
        stranger = await (await browser.new_context()).new_page()
        response = await stranger.goto(f"{base}/console/entries/evisa-fees")
        assert response.status == 403
        assert "/console" in await stranger.inner_text("main")
        assert await stranger.locator("textarea").count() == 0


async def test_a_sign_in_link_used_twice_is_refused(settings, fake_bot_api):
    async with bot_and_console(settings, fake_bot_api) as (api, _base), chromium() as browser:
        link = await sign_in_link(api)
        await signed_in_page(browser, link)
        again = await (await browser.new_context()).new_page()
        await again.goto(link)
        async with again.expect_response(re.compile("/console/login$")) as refused:
            await again.click("#sign-in")
        assert (await refused.value).status == 403
        assert await again.locator("nav").count() == 0


async def test_a_form_forged_without_its_csrf_token_is_refused(settings, fake_bot_api):
    async with bot_and_console(settings, fake_bot_api) as (api, base), chromium() as browser:
        page = await signed_in_page(browser, await sign_in_link(api))
        await page.goto(f"{base}/console/entries/evisa-fees")
        # The editor's own browser, session cookie and all, posting a form with no token.
        response = await page.request.post(f"{base}/console/entries/evisa-fees", form={
            "id": "evisa-fees", "topic": "evisa", "category": "visitors",
            "en.title": "Forged", "en.answer": "Forged", "km.title": "x", "km.answer": "x"})
        assert response.status == 403
        await page.reload()
        assert await page.input_value("input[name='en.title']") != "Forged"
