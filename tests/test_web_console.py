"""The editors' web console through Starlette's TestClient: sign-in, sessions, CSRF, and every
page doing what an editor expects (the browser journey is in test_web_browser.py)."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from dataclasses import replace

import pytest
from starlette.testclient import TestClient

from bot.assistant import Assistant
from bot.conversation import Conversation
from bot.replies import Sender
from bot.store.knowledge import read_entry
from bot.web import forms
from bot.web.app import create_app

EDITOR = 777
BASE = "http://127.0.0.1:8080"


def conversation_for(settings, editors=frozenset({EDITOR})) -> Conversation:
    settings = replace(settings, editors=editors)
    return Conversation.for_settings(Assistant.open(settings), settings)


def link_for(conversation: Conversation, user: int = EDITOR) -> str:
    """What the bot answers an editor's /console: the text of its sign-in link."""
    outcome = conversation.command(Sender(f"tg:{user}", "en", None, "Dara"), "console")
    text = " ".join(b.text for r in outcome.replies for b in r.blocks)
    match = re.search(r"https?://\S+/console/login\?token=\S+", text)
    assert match, text
    return match.group(0)


def client_for(conversation: Conversation, settings, base_url: str = BASE) -> TestClient:
    """A browser for the console, its interface in English (Khmer is the default)."""
    client = TestClient(create_app(conversation, settings), base_url=base_url)
    client.cookies.set("govbot_console_lang", "en", path="/console")
    return client


def sign_in(client: TestClient, link: str):
    page = client.get(link.replace(BASE, ""))
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    return client.post("/console/login", data={"token": token}, follow_redirects=False)


@pytest.fixture
def console(settings):
    conversation = conversation_for(settings)
    client = client_for(conversation, conversation_settings(settings))
    sign_in(client, link_for(conversation))
    return client, conversation


def conversation_settings(settings):
    return replace(settings, editors=frozenset({EDITOR}))


def csrf_of(client: TestClient) -> str:
    page = client.get("/console/entries")
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def entry_fields(conversation: Conversation, entry_id: str, **changes: str) -> dict:
    """The editor form of a stored entry as the browser would submit it, with changes."""
    form = forms.entry_form(read_entry(conversation.assistant.db, entry_id))
    fields: dict[str, object] = {k: v for k, v in form.items()
                                 if k not in ("sources", "audience")}
    fields["audience"] = form["audience"]
    for column in forms.SOURCE_COLUMNS:
        fields[f"source_{column}"] = [row[column] for row in form["sources"]]
    fields.update(changes)
    return fields


def test_an_editor_asking_for_the_console_gets_a_one_time_link(settings):
    conversation = conversation_for(settings)
    assert link_for(conversation).startswith(f"{BASE}/console/login?token=")


def test_a_non_editor_asking_for_the_console_gets_the_ordinary_help(settings):
    conversation = conversation_for(settings)
    outcome = conversation.command(Sender("tg:1", "en", None, "Someone"), "console")
    text = " ".join(b.text for r in outcome.replies for b in r.blocks)
    assert "console" not in text.lower()
    assert text == " ".join(b.text for r in conversation.command(
        Sender("tg:1", "en"), "help").replies for b in r.blocks)


def test_the_sign_in_link_stores_only_a_hash_of_its_token(settings):
    conversation = conversation_for(settings)
    token = link_for(conversation).rpartition("=")[2]
    dump = "\n".join(sqlite3.connect(settings.db_path).iterdump())
    assert token not in dump


def test_signing_in_sets_a_strict_http_only_cookie_for_a_working_day(settings):
    conversation = conversation_for(settings)
    client = client_for(conversation, conversation_settings(settings))
    response = sign_in(client, link_for(conversation))
    cookie = response.headers["set-cookie"]
    assert response.status_code == 303 and response.headers["location"] == "/console/"
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=32400" in cookie
    assert "Secure" not in cookie  # plain http on 127.0.0.1


def test_the_cookie_is_secure_when_the_console_is_served_over_https(settings):
    conversation = conversation_for(settings)
    https = replace(conversation_settings(settings), console_url="https://bot.example.gov.kh")
    client = client_for(conversation, https, "https://bot.example.gov.kh")
    link = link_for(conversation).replace(BASE, "")
    page = client.get(link)
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    response = client.post("/console/login", data={"token": token}, follow_redirects=False)
    assert "Secure" in response.headers["set-cookie"]


def test_a_sign_in_link_used_twice_is_refused(settings):
    conversation = conversation_for(settings)
    link = link_for(conversation)
    first = client_for(conversation, conversation_settings(settings))
    assert sign_in(first, link).status_code == 303
    second = client_for(conversation, conversation_settings(settings))
    refused = sign_in(second, link)
    assert refused.status_code == 403 and "does not work" in refused.text


def test_a_sign_in_link_older_than_ten_minutes_is_refused(settings):
    conversation = conversation_for(settings)
    link = link_for(conversation)
    conversation.assistant.db.execute("update console_links set expires_at = '2000-01-01'")
    client = client_for(conversation, conversation_settings(settings))
    assert sign_in(client, link).status_code == 403


@pytest.mark.parametrize("path", ["/console/", "/console/entries", "/console/entries/evisa-apply",
                                  "/console/entries/new", "/console/gaps", "/console/history",
                                  "/console/transfer", "/console/export/knowledge.csv"])
def test_every_page_is_refused_without_a_session(settings, path):
    conversation = conversation_for(settings)
    client = client_for(conversation, conversation_settings(settings))
    response = client.get(path)
    assert response.status_code == 403 and "send /console to the bot" in response.text


def test_an_editor_removed_from_the_list_loses_access_at_once(settings, console):
    client, _ = console
    assert client.get("/console/").status_code == 200
    without = conversation_for(settings, editors=frozenset())  # restarted without 777
    same_browser = client_for(without, settings)
    same_browser.cookies = client.cookies
    assert same_browser.get("/console/").status_code == 403


def test_a_form_without_its_csrf_token_is_refused(console):
    client, conversation = console
    fields = entry_fields(conversation, "evisa-fees", **{"en.title": "Forged"})
    response = client.post("/console/entries/evisa-fees", data=fields)
    assert response.status_code == 403
    assert read_entry(conversation.assistant.db, "evisa-fees").texts["en"].title != "Forged"


def test_an_invalid_khmer_answer_is_refused_at_its_field_and_the_text_is_kept(console):
    client, conversation = console
    bad = "តម្លៃ <div>US$30</div>"
    fields = entry_fields(conversation, "evisa-fees", csrf=csrf_of(client),
                          **{"km.answer": bad, "en.title": "Edited title"})
    response = client.post("/console/entries/evisa-fees", data=fields)
    assert response.status_code == 422
    problems = re.search(r'<ul class="problems" data-for="km.answer"[^>]*>(.*?)</ul>',
                         response.text, re.S).group(1)
    assert "&lt;div&gt; is not allowed" in problems
    assert "តម្លៃ &lt;div&gt;US$30&lt;/div&gt;</textarea>" in response.text
    assert 'value="Edited title"' in response.text
    assert read_entry(conversation.assistant.db, "evisa-fees").texts["km"].answer != bad


def test_a_save_goes_live_at_once_and_is_recorded_with_the_editors_name(console):
    client, conversation = console
    fields = entry_fields(conversation, "evisa-fees", csrf=csrf_of(client),
                          **{"en.answer": "The e-Visa costs <b>US$36</b> from 2027."})
    response = client.post("/console/entries/evisa-fees", data=fields, follow_redirects=False)
    assert response.status_code == 303
    assert "US$36" in conversation.assistant.ask("evisa fee", "en").entry.texts["en"].answer
    history = client.get("/console/entries/evisa-fees/history").text
    assert "Dara (telegram:777)" in history and "US$36" in history


def test_validation_as_you_type_reports_problems_by_field(console):
    client, conversation = console
    fields = entry_fields(conversation, "evisa-fees", reviewed="2026-13-40",
                          **{"en.title": ""})
    response = client.post("/console/entries/evisa-fees/check", data=fields,
                           headers={"X-CSRF-Token": csrf_of(client)})
    result = response.json()
    assert result["errors"] is True
    assert "required" in result["fields"]["en.title"][0]["message"]
    assert "YYYY-MM-DD" in result["fields"]["reviewed"][0]["message"]


def test_a_question_already_owned_by_another_entry_is_refused(console):
    client, conversation = console
    fields = entry_fields(conversation, "evisa-fees", csrf=csrf_of(client),
                          **{"en.questions": "How much is the Cambodia e-visa?\napply evisa"})
    response = client.post("/console/entries/evisa-fees", data=fields)
    assert response.status_code == 422
    assert "is also a question of evisa-apply" in response.text


def test_trying_a_question_shows_the_answer_now_and_with_the_draft(console):
    client, conversation = console
    questions = "\n".join(["How much is the Cambodia e-visa?", "evisa fee", "visa price cambodia",
                           "cost of tourist visa", "e visa payment", "passport photo size"])
    fields = entry_fields(conversation, "evisa-fees", csrf=csrf_of(client), action="try",
                          question="passport photo size", **{"en.questions": questions})
    response = client.post("/console/entries/evisa-fees", data=fields)
    assert response.status_code == 200
    table = re.search(r'<table class="tried">(.*?)</table>', response.text, re.S).group(1)
    assert "No answer" in table or "Did you mean" in table  # now
    assert "How much the e-Visa costs" in table  # with the draft
    assert "passport photo size" not in str(read_entry(conversation.assistant.db, "evisa-fees"))


def test_a_new_entry_can_be_started_from_a_gap(console):
    client, conversation = console
    conversation.text(Sender("tg:5", "en"), "how do I register a boat")
    gaps_page = client.get("/console/gaps").text
    assert "how do I register a boat" in gaps_page
    new = client.get("/console/entries/new", params={"question": "how do I register a boat"})
    assert ">how do I register a boat</textarea>" in new.text


def test_a_gap_attached_in_the_console_is_answered_next_time(console):
    client, conversation = console
    conversation.text(Sender("tg:5", "en"), "where can I pay the visa money")
    key = re.search(r'name="gap" value="([0-9a-f]+)"', client.get("/console/gaps").text).group(1)
    response = client.post("/console/gaps", data={"csrf": csrf_of(client), "gap": key,
                                                  "do": "attach", "entry": "evisa-fees"})
    assert "Added" in response.text
    answer = conversation.assistant.ask("where can I pay the visa money", "en")
    assert answer.entry is not None and answer.entry.id == "evisa-fees"
    assert "where can I pay the visa money" not in response.text.split("</form>")[-1]


def test_a_gap_marked_not_ours_leaves_the_list(console):
    client, conversation = console
    conversation.text(Sender("tg:5", "en"), "what is the price of rice today")
    key = re.search(r'name="gap" value="([0-9a-f]+)"', client.get("/console/gaps").text).group(1)
    response = client.post("/console/gaps", data={"csrf": csrf_of(client), "gap": key,
                                                  "do": "not-ours"})
    assert "price of rice" not in response.text
    # a later question much like it is still a gap, and its page still lists only entries
    conversation.text(Sender("tg:6", "en"), "what is the price of rice this week")
    page = client.get("/console/gaps")
    assert page.status_code == 200 and "price of rice this week" in page.text


def test_rolling_back_an_edit_restores_the_answer(console):
    client, conversation = console
    before = read_entry(conversation.assistant.db, "evisa-fees").texts["en"].answer
    fields = entry_fields(conversation, "evisa-fees", csrf=csrf_of(client),
                          **{"en.answer": "Changed by mistake."})
    client.post("/console/entries/evisa-fees", data=fields)
    history = client.get("/console/entries/evisa-fees/history").text
    revision = re.search(r'name="revision" value="(\d+)"', history).group(1)
    response = client.post("/console/entries/evisa-fees/rollback",
                           data={"csrf": csrf_of(client), "revision": revision})
    assert "Rolled back" in response.text
    assert conversation.assistant.ask("evisa fee", "en").entry.texts["en"].answer == before


def test_entries_can_be_found_by_their_khmer_text(console):
    client, _ = console
    page = client.get("/console/entries", params={"q": "អត្តសញ្ញាណប័ណ្ណ"}).text
    assert "/console/entries/id-card-apply" in page and "/console/entries/evisa-fees" not in page


def test_the_dashboard_counts_questions_and_gaps(console):
    client, conversation = console
    conversation.text(Sender("tg:5", "en"), "evisa fee")
    conversation.text(Sender("tg:6", "en"), "how do I register a boat")
    page = client.get("/console/").text
    assert re.search(r'<span class="big">1</span>unanswered questions', page)
    assert re.search(r'<p class="big">2 <small>questions', page)


def test_the_dashboard_is_in_khmer_by_default(console):
    client, _ = console
    client.cookies.delete("govbot_console_lang", path="/console")
    page = client.get("/console/").text
    assert "ផ្ទាំងសង្ខេប" in page and "Dashboard" not in page


def test_an_exported_csv_imports_back_and_an_invalid_one_changes_nothing(console):
    client, conversation = console
    exported = client.get("/console/export/knowledge.csv")
    assert exported.headers["content-disposition"].endswith('filename="knowledge.csv"')
    rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert {r["id"] for r in rows} == {"evisa-apply", "evisa-fees", "id-card-apply"}
    ok = client.post("/console/import", data={"csrf": csrf_of(client)},
                     files={"file": ("knowledge.csv", exported.content, "text/csv")})
    assert ok.status_code == 200 and "Imported: 0 added, 0 changed" in ok.text
    broken = exported.text.replace("https://www.evisa.gov.kh/termcondition.aspx", "not a url")
    refused = client.post("/console/import", data={"csrf": csrf_of(client)},
                          files={"file": ("knowledge.csv", broken.encode(), "text/csv")})
    assert refused.status_code == 422 and "Nothing was imported" in refused.text
    assert "not a url" in refused.text
    assert "not a url" not in str(read_entry(conversation.assistant.db, "evisa-apply"))


def test_a_yaml_export_downloads_as_a_zip_that_imports_back(console):
    client, _ = console
    exported = client.get("/console/export/knowledge.zip")
    assert exported.content[:2] == b"PK"
    response = client.post("/console/import", data={"csrf": csrf_of(client)},
                           files={"file": ("knowledge.zip", exported.content, "application/zip")})
    assert "Imported: 0 added, 0 changed, 0 removed" in response.text


def test_saving_an_untouched_entry_changes_nothing(console):
    client, conversation = console
    version = conversation.assistant.snapshot.version
    fields = entry_fields(conversation, "evisa-apply", csrf=csrf_of(client))
    response = client.post("/console/entries/evisa-apply", data=fields)
    assert "Nothing changed." in response.text
    assert conversation.assistant.snapshot.version == version


def test_a_new_entry_is_saved_and_answered(console):
    client, conversation = console
    questions = ["how do I register a boat", "boat registration", "register my fishing boat",
                 "boat licence cambodia", "where to register a boat", "boat papers"]
    km = ["ចុះបញ្ជីទូក", "ធ្វើប័ណ្ណទូក", "ចុះបញ្ជីទូកនេសាទ", "ទូកត្រូវការឯកសារអ្វី",
          "ចុះបញ្ជីទូកនៅណា", "ប័ណ្ណបើកទូក"]
    fields = entry_fields(conversation, "id-card-apply", csrf=csrf_of(client), **{
        "id": "boat-registration", "en.title": "Register a boat", "km.title": "ការចុះបញ្ជីទូក",
        "en.answer": "Ask the provincial fisheries office.", "km.answer": "សូមសួរមន្ទីរជលផល។",
        "en.questions": "\n".join(questions), "km.questions": "\n".join(km)})
    response = client.post("/console/entries/new", data=fields, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/entries/boat-registration?")
    answer = conversation.assistant.ask("register my fishing boat", "en")
    assert answer.entry is not None and answer.entry.id == "boat-registration"


def test_a_save_keeps_fields_the_form_does_not_show():
    stored = {"id": "evisa-fees", "a_later_field": ["kept"], "topic": "evisa"}
    form = forms.entry_form(None)
    form.update({"id": "evisa-fees", "topic": "tax"})
    data = forms.form_data(form, stored)
    assert data["a_later_field"] == ["kept"] and data["topic"] == "tax"


def test_a_source_row_is_saved_with_its_standing_publisher_and_date(console):
    client, conversation = console
    fields = entry_fields(conversation, "evisa-fees", csrf=csrf_of(client))
    fields.update({"source_url": ["https://www.khmertimeskh.com/evisa-fee"],
                   "source_standing": ["press"], "source_publisher": ["Khmer Times"],
                   "source_date": ["2026-11-02"]})
    response = client.post("/console/entries/evisa-fees", data=fields, follow_redirects=False)
    assert response.status_code == 303
    [source] = read_entry(conversation.assistant.db, "evisa-fees").sources
    assert (source.url, source.standing, source.publisher, source.date.isoformat()) == (
        "https://www.khmertimeskh.com/evisa-fee", "press", "Khmer Times", "2026-11-02")


def test_a_bad_source_date_is_shown_under_the_sources(console):
    client, conversation = console
    fields = entry_fields(conversation, "evisa-fees", csrf=csrf_of(client))
    fields.update({"source_url": ["https://www.evisa.gov.kh/termcondition.aspx"],
                   "source_standing": ["official"], "source_publisher": [""],
                   "source_date": ["2 Nov"]})
    response = client.post("/console/entries/evisa-fees", data=fields)
    assert response.status_code == 422
    problems = re.search(r'<ul class="problems" data-for="sources"[^>]*>(.*?)</ul>',
                         response.text, re.S).group(1)
    assert "YYYY-MM-DD" in problems
    assert 'value="2 Nov"' in response.text


def test_only_when_words_are_edited_as_a_comma_separated_list(console):
    client, conversation = console
    fields = entry_fields(conversation, "evisa-fees", csrf=csrf_of(client),
                          only_when="korea, seoul, កូរ៉េ")
    client.post("/console/entries/evisa-fees", data=fields)
    entry = read_entry(conversation.assistant.db, "evisa-fees")
    assert entry.only_when == ("korea", "seoul", "កូរ៉េ")
    page = client.get("/console/entries/evisa-fees").text
    assert 'value="korea, seoul, កូរ៉េ"' in page
