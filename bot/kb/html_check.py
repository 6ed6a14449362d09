"""Checks that an answer is HTML Telegram will accept, before it ever reaches Telegram.

Telegram rejects a whole message ("can't parse entities") for one stray `<` or an unsupported tag,
so a bad answer would fail every time it is asked. Catching it at import turns that into an
editor-facing error with a line number.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# The HTML subset answers may use (Telegram's, docs/content-guide.md), with each tag's attributes.
ALLOWED_TAGS: dict[str, frozenset[str]] = {
    "b": frozenset(), "i": frozenset(), "u": frozenset(), "s": frozenset(),
    "a": frozenset({"href"}), "code": frozenset(), "pre": frozenset(),
    "blockquote": frozenset(),
}
_BARE_AMP = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});)")


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(
                f"<{tag}> is not allowed; use only {', '.join(f'<{t}>' for t in ALLOWED_TAGS)}"
                " (new lines for line breaks)"
            )
            return
        for name, value in attrs:
            if name not in ALLOWED_TAGS[tag]:
                self.problems.append(f'<{tag}> cannot have the attribute "{name}"')
            elif tag == "a" and not (value or "").startswith(("https://", "http://", "tg://")):
                self.problems.append(f'link "{value}" must start with https://')
        if tag == "a" and "href" not in dict(attrs):
            self.problems.append("<a> needs an href")
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"<{tag}/> is not allowed: Telegram has no self-closing tags")

    def handle_endtag(self, tag: str) -> None:
        if tag not in ALLOWED_TAGS:
            return  # already reported at its start tag
        if not self.stack or self.stack[-1] != tag:
            expected = f"</{self.stack[-1]}>" if self.stack else "no closing tag"
            self.problems.append(f"</{tag}> closes a tag that is not open (expected {expected})")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            self.problems.append("a bare < or > must be written &lt; or &gt;")

    def unknown_decl(self, data: str) -> None:
        self.problems.append("unexpected <! … > declaration")


def check_telegram_html(text: str) -> list[str]:
    """Problems that would make Telegram reject `text` as HTML; empty when it is fine."""
    checker = _Checker()
    if _BARE_AMP.search(text):
        checker.problems.append("a bare & must be written &amp;")
    checker.feed(text)
    checker.close()
    if checker.rawdata:  # an unfinished tag such as "<b" at the end
        checker.problems.append("the text ends inside an unfinished tag")
    checker.problems.extend(f"<{tag}> is never closed" for tag in reversed(checker.stack))
    return checker.problems
