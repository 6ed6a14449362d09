"""Screenshots of the editors' console for docs/editors.md, in Khmer, 360 and 1280 px wide.

Builds a throwaway store from the bundled knowledge, asks it the dev questions (spread over the
last 30 days, so the dashboard has figures), starts the console on 127.0.0.1 and photographs it
with Debian's Chromium (the emoji need Debian's fonts-noto-color-emoji, as editors' own
browsers have). Run from the repository root:

    python scripts/console_screenshots.py          # writes docs/img/console-*.png
"""

from __future__ import annotations

import asyncio
import socket
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.assistant import Assistant  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.conversation import Conversation  # noqa: E402
from bot.evaluation import read_labelled  # noqa: E402
from bot.replies import Sender  # noqa: E402
from bot.store import signin  # noqa: E402
from bot.web.app import create_app  # noqa: E402
from bot.web.server import web_server  # noqa: E402

OUT = ROOT / "docs" / "img"
WIDTHS = (360, 1280)
PAGES = {"dashboard": "/console/", "editor": "/console/entries/evisa-fees"}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fill(conversation: Conversation) -> None:
    """Questions people asked over the last 30 days, some thumbs up and down."""
    rows = read_labelled((ROOT / "tests/data/dev_questions.jsonl").read_text().splitlines())
    for i, row in enumerate(rows):
        sender = Sender(f"tg:{1000 + i % 40}", row.lang)
        conversation.text(sender, row.q)
        if i % 9 == 0:
            answer = conversation.assistant.ask(row.q)
            if answer.entry is not None:
                conversation.action(sender, f"f{'+' if (i // 9) % 4 else '-'}:{answer.entry.id}")
    db = conversation.assistant.db
    db.execute("update queries set at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', "
               "'-' || ((id * 7) % 30) || ' days')")
    db.conn.commit()


async def main() -> None:
    from playwright.async_api import async_playwright

    with tempfile.TemporaryDirectory() as tmp:
        port = _port()
        settings = Settings(db_path=Path(tmp) / "govbot.db", editors=frozenset({777}),
                            console_port=port, secret="screenshots")
        conversation = Conversation.for_settings(Assistant.open(settings), settings)
        _fill(conversation)
        token = signin.issue_link(conversation.assistant.db, "tg:777", "សុភា")
        server = web_server(create_app(conversation, settings), "127.0.0.1", port)
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        try:
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path="/usr/bin/chromium",
                                                  args=["--no-sandbox"])
                context = await browser.new_context()
                page = await context.new_page()
                await page.goto(f"{base}/console/login?token={token}")
                await page.click("#sign-in")
                await page.wait_for_url(f"{base}/console/")
                OUT.mkdir(parents=True, exist_ok=True)
                for width in WIDTHS:
                    await page.set_viewport_size({"width": width, "height": 900})
                    for name, path in PAGES.items():
                        await page.goto(base + path)
                        await page.wait_for_load_state("networkidle")
                        target = OUT / f"console-{name}-{width}.png"
                        if name == "editor" and width < 600:  # a phone: the Khmer column
                            await page.set_viewport_size({"width": width, "height": 1500})
                            khmer = page.locator("section.lang-col[lang=km]")
                            await khmer.scroll_into_view_if_needed()
                            await page.evaluate("window.scrollBy(0, -40)")
                            await page.screenshot(path=str(target))
                        else:
                            await page.screenshot(path=str(target), full_page=True)
                        print(target.relative_to(ROOT))
                await browser.close()
        finally:
            server.should_exit = True
            await serving


if __name__ == "__main__":
    asyncio.run(main())
