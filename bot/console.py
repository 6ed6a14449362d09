"""The terminal channel: the same replies as Telegram, as plain text with numbered buttons.

Anyone can try the bot without a Telegram token; with stdin not a terminal, it reads one message
per line, which makes the whole conversation scriptable in tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html.parser import HTMLParser

from bot.conversation import HTML, NOTE, TITLE, Button, Conversation, Outcome, Reply, Sender
from bot.i18n import _, gettext
from bot.replies import QUOTE

#: Typed in the terminal to leave the chat. The terminal's own word, not a bot command: in
#: Telegram a chat is left by closing it, so the conversation core never sees it.
QUIT = "/quit"


class _PlainText(HTMLParser):
    """Entry HTML → terminal text: tags dropped, links shown with their address."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._href: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href:
            href = self._href.pop()
            if href:
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Plain text of Telegram-HTML."""
    parser = _PlainText()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


def render(reply: Reply) -> tuple[str, list[Button]]:
    """Text of a reply and its action buttons in the order they are numbered."""
    lines: list[str] = []
    for block in reply.blocks:
        if block.kind == TITLE:
            lines.append(f"== {block.text} ==")
        elif block.kind == HTML:
            lines.append(html_to_text(block.text))
        elif block.kind == NOTE:
            lines.append(f"({block.text})")
        elif block.kind == QUOTE:
            lines.extend(f"│ {line}" for line in block.text.split("\n"))
        else:
            lines.append(block.text)
    if reply.image:
        lines.append(f"[chart: a {len(reply.image):,}-byte PNG image]")
    actions: list[Button] = []
    for row in reply.buttons:
        for button in row:
            if button.url:
                lines.append(f"  {button.label}: {button.url}")
            elif button.start:
                lines.append(f"  {button.label}: /start {button.start}")
            else:
                actions.append(button)
                lines.append(f"  [{len(actions)}] {button.label}")
    return "\n".join(lines), actions


def run_chat(
    conversation: Conversation,
    sender: Sender,
    lines: Iterable[str],
    write: Callable[[str], None],
) -> None:
    """Read messages, write replies.

    A bare number presses that button of the last reply; "/name args" is a command, as in
    Telegram; /quit ends the chat; anything else is a question.
    """
    buttons: list[Button] = []
    if sender.lang_hint:
        conversation.choose_language(sender, sender.lang_hint)
    write(_render_outcome(conversation.start(sender), buttons))
    write(gettext(conversation.profile(sender).lang, _("(Type /quit to leave.)")) + "\n")
    for raw in lines:
        message = raw.strip()
        if not message:
            continue
        if message.lower() == QUIT:
            return
        if message.isdigit() and 1 <= int(message) <= len(buttons):
            outcome = conversation.action(sender, buttons[int(message) - 1].action or "")
        elif message.startswith("/") and len(message) > 1:
            name, _sep, args = message[1:].partition(" ")
            outcome = conversation.command(sender, name.lower(), args)
        else:
            outcome = conversation.text(sender, message)
        write(_render_outcome(outcome, buttons))
        if conversation.subscriptions is not None:
            for reply in conversation.subscriptions.take_for(sender.reach):
                write(_render_outcome(Outcome([reply]), buttons, "update message for you"))


def _render_outcome(outcome: Outcome, buttons: list[Button], heading: str = "") -> str:
    """Text of every reply; `buttons` becomes the last reply's numbered actions.

    Messages for other chats (the staff chat, a person staff answer) are shown as what would
    be sent there: the terminal reaches no other chat.
    """
    parts = [f"({outcome.notice})"] if outcome.notice else []
    for delivery in outcome.deliveries:
        text, _actions = render(delivery.reply)
        parts.append(f"--- would be sent to {delivery.to} ---\n{text}\n---")
    if heading:
        parts.append(f"--- {heading} ---")
    for reply in outcome.replies:
        text, actions = render(reply)
        parts.append(text)
        buttons[:] = actions
    return "\n".join(parts) + "\n" if parts else ""
