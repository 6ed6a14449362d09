"""Keeping people posted: topic subscriptions and the messages subscribers get.

Under an answer about services, visits, business or training, "Notify me about updates"
subscribes the person to the answer's topic; /subscriptions lists and removes them. When editors
import a new or changed entry in a topic (`bot.kb.importer`), or an entry's `opens`/`deadline`
date approaches (`remind`, run hourly), each subscriber gets one short message in their language,
with a link that opens the entry in the bot and a button to unsubscribe. The messages wait in the
outbox (`bot.store.outbox`); the channel sends them at its own pace and reports back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from bot.assistant import Assistant
from bot.i18n import _, format_day, gettext
from bot.model import SUBSCRIBABLE_TOPICS, Entry
from bot.officehours import CAMBODIA
from bot.replies import NOTE, TEXT, TITLE, Block, Button, Outcome, Reply, Sender
from bot.store import outbox
from bot.store.outbox import DEADLINE, OPENS, UPDATE, Notification
from bot.store.people import Profile
from bot.topics import TOPIC_NAMES

# Button actions: subscribe, unsubscribe (under a notification), unsubscribe from the list.
SUBSCRIBE, UNSUBSCRIBE, REMOVE = "s+:", "s-:", "sx:"
LINKED_ENTRIES = 5  # "read" buttons in one message
LISTED_ENTRIES = 10  # titles listed in one message
REMIND_HOURS = (8, 20)  # reminders are queued in the daytime, Cambodia time


def _topic(lang: str, topic: str) -> str:
    return gettext(lang, TOPIC_NAMES.get(topic, topic))


class Subscriptions:
    """Subscribe, unsubscribe, list; compose the messages subscribers get."""

    def __init__(self, assistant: Assistant,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.assistant = assistant
        self._clock = clock

    @property
    def db(self):
        return self.assistant.db

    def button(self, entry: Entry, lang: str) -> Button | None:
        """"Notify me about updates" under an answer whose topic people can follow."""
        if entry.topic not in SUBSCRIBABLE_TOPICS:
            return None
        return Button(gettext(lang, _("🔔 Notify me about updates")), SUBSCRIBE + entry.topic)

    def subscribe(self, profile: Profile, sender: Sender, topic: str) -> Outcome:
        """Subscribe to a topic (and keep the chat to message the person in)."""
        if topic not in SUBSCRIBABLE_TOPICS:
            return Outcome()
        lang = profile.lang
        with self.db.atomic():
            new = outbox.subscribe(self.db, profile.user_hash, topic)
            outbox.save_contact(self.db, profile.user_hash, sender.reach, lang)
        if not new:
            return Outcome(notice=gettext(lang, _("You already get updates about {topic}."),
                                          topic=_topic(lang, topic)))
        return Outcome(notice=gettext(lang, _(
            "Done: I will send you a message when there is news about {topic}. "
            "/subscriptions lists your subscriptions."), topic=_topic(lang, topic)))

    def unsubscribe(self, profile: Profile, topic: str, from_list: bool) -> Outcome:
        """Stop a subscription: from a notification's button, or from the /subscriptions list
        (which then shows what is left in its place)."""
        lang = profile.lang
        with self.db.atomic():
            outbox.unsubscribe(self.db, profile.user_hash, topic)
        notice = gettext(lang, _("You will no longer get updates about {topic}."),
                         topic=_topic(lang, topic))
        if from_list:
            return Outcome([self.listing(profile)], notice=notice, replace=True)
        return Outcome(notice=notice)

    def listing(self, profile: Profile) -> Reply:
        """/subscriptions: the person's topics, each with a button to stop it."""
        lang = profile.lang
        topics = outbox.topics_of(self.db, profile.user_hash)
        if not topics:
            return Reply((Block(TEXT, gettext(lang, _(
                "You have no subscriptions. Under answers about public services, visiting "
                "Cambodia, business and training, press “🔔 Notify me about updates” to get a "
                "message when something changes."))),))
        rows = tuple((Button("🔕 " + _topic(lang, t), REMOVE + t),) for t in topics)
        return Reply((
            Block(TEXT, gettext(lang, _("You get updates about these topics:"))),
            Block(TEXT, "\n".join("• " + _topic(lang, t) for t in topics)),
            Block(NOTE, gettext(lang, _("Press a topic to stop its updates."))),
        ), rows)

    def compose(self, notification: Notification) -> Reply | None:
        """The message for one outbox row, or None when nothing in it is still relevant (the
        entries are gone, or the person unsubscribed meanwhile)."""
        subscribed = set(outbox.topics_of(self.db, notification.user_hash))
        snapshot = self.assistant.snapshot
        entries = [
            entry for entry in (snapshot.entries.get(e) for e in notification.entries)
            if entry is not None and entry.is_current(snapshot.built_on)
            and entry.topic in subscribed
        ]
        if not entries:
            return None
        lang = notification.lang
        topics = list(dict.fromkeys(e.topic for e in entries))
        stop = [(Button(gettext(lang, _("🔕 Stop updates about {topic}"),
                                topic=_topic(lang, t)), UNSUBSCRIBE + t),) for t in topics[:3]]
        entry = entries[0]
        title = entry.text(lang).title
        if notification.kind == OPENS and entry.opens is not None:
            text = gettext(lang, _("⏰ Applications for “{title}” open on {date}."), title=title,
                           date=format_day(entry.opens, lang))
        elif notification.kind == DEADLINE and entry.deadline is not None:
            text = gettext(lang, _("⏰ The deadline for “{title}” is {date}."), title=title,
                           date=format_day(entry.deadline, lang))
        elif notification.kind == UPDATE:
            names = ", ".join(_topic(lang, t) for t in topics)
            lines = [f"• {e.text(lang).title}" for e in entries[:LISTED_ENTRIES]]
            if len(entries) > LISTED_ENTRIES:
                lines.append("…")
            read = [(Button("📖 " + e.text(lang).title, start=e.id),)
                    for e in entries[:LINKED_ENTRIES]]
            return Reply((
                Block(TITLE, gettext(lang, _("🔔 New information: {topics}"), topics=names)),
                Block(TEXT, "\n".join(lines)),
            ), (*read, *stop))
        else:
            return None
        return Reply((Block(TEXT, text),),
                     ((Button(gettext(lang, _("📖 Read more")), start=entry.id),), *stop))

    def take_for(self, chat: str) -> list[Reply]:
        """The waiting messages for one chat, marked sent (the terminal shows them at once)."""
        replies, sent, dropped = [], [], {}
        for notification in outbox.pending(self.db, limit=50, channel=chat):
            if notification.chat != chat:
                continue
            reply = self.compose(notification)
            if reply is None:
                dropped[notification.id] = "no longer relevant"
            else:
                replies.append(reply)
                sent.append(notification.id)
        if sent or dropped:
            outbox.finish(self.db, sent=sent, dropped=dropped)
        return replies

    def remind(self, now: datetime | None = None) -> int:
        """Queue the `opens`/`deadline` reminders due today (in the daytime, Cambodia time).

        Safe to run as often as wanted: each reminder reaches each subscriber once.
        """
        local = (now or self._clock()).astimezone(CAMBODIA)
        if not REMIND_HOURS[0] <= local.hour < REMIND_HOURS[1]:
            return 0
        queued = 0
        with self.db.atomic():
            for batch, kind, entry in outbox.due_reminders(
                    self.assistant.snapshot.entries.values(), local.date()):
                queued += outbox.enqueue(self.db, batch, kind, [entry])
        return queued
