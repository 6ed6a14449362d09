"""The editors' web console: Starlette routes over the same store, validator and core as the bot.

Every page checks the session, and that its editor is still in GOVBOT_EDITORS; every form posts
a CSRF token. Pages only render: a save is `bot.kb.draft` (the validator and the import path of
`govbot kb import`), a gap action is the editor desk the Telegram /gaps uses, a rollback is
`bot.store.revisions`, an upload is `bot.kb.importer`. After any change the assistant swaps in
the new knowledge version at once; a bot in another process sees the version bump within seconds.
"""

from __future__ import annotations

import asyncio
import hmac
import io
import logging
import tempfile
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.config import Settings
from bot.conversation import Conversation
from bot.editing import ATTACH, DISMISS, NOT_OURS, gap_key
from bot.engine.normalize import detect_language, normalize
from bot.evaluation import changed_answers, read_labelled_files
from bot.i18n import LANGUAGE_NAMES, _, format_day, gettext, khmer_digits
from bot.kb import draft
from bot.kb.csvfile import CsvExportError, entries_csv
from bot.kb.export import folder_files
from bot.kb.files import CATEGORIES_FILE, SYNONYMS_FILE
from bot.kb.importer import apply_validated, is_csv, load_knowledge
from bot.kb.stale import stale_entries
from bot.kb.validate import Validated
from bot.model import LANGS, TOPIC_SLUGS, Entry
from bot.replies import Outcome
from bot.store import handovers, signin
from bot.store.gaps import gaps
from bot.store.knowledge import (
    knowledge_version,
    read_categories,
    read_entries,
    read_entry,
    read_synonyms,
)
from bot.store.revisions import RollbackError, conflicts, history, rollback
from bot.store.stats import per_day, period
from bot.topics import TOPIC_NAMES
from bot.web import charts, forms, preview

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "govbot_console"
LANG_COOKIE = "govbot_console_lang"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
MAX_UPLOAD = 5 * 1024 * 1024
AUDIENCES: dict[str, str] = {
    "citizen": _("citizens"), "visitor": _("visitors"), "business": _("businesses"),
    "student": _("students"), "official": _("civil servants"),
}
ACTIONS: dict[str, str] = {  # revision actions, as the history shows them
    "added": _("added"), "changed": _("changed"), "removed": _("removed"),
    "rollback": _("undone"), "question-added": _("question added"),
}
SECURITY_HEADERS = {
    # No inline script or style anywhere: an answer's HTML shown in a preview cannot run code.
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "script-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",  # the sign-in token never leaves in a Referer
    "cache-control": "no-store",
    "x-frame-options": "DENY",
}


@dataclass
class Console:
    """What the routes share: the conversation core (assistant, editors, desk) and settings."""

    conversation: Conversation
    settings: Settings
    _files: draft.StoreFiles | None = field(default=None, repr=False)

    @property
    def assistant(self):
        return self.conversation.assistant

    @property
    def db(self):
        return self.conversation.assistant.db

    def files(self) -> draft.StoreFiles:
        """The store as files, read again when the knowledge version has changed (a save here,
        an import from the command line)."""
        files = self._files
        if files is None or files.version != knowledge_version(self.db):
            files = self._files = draft.store_files(self.db, self.settings.knowledge_dir)
        return files

    async def changed(self) -> None:
        """After a change: answer from the new version now. The rebuild runs in a thread, on
        its own connection, as the bot's refresh job does, so replies never wait for it."""
        self._files = None
        await asyncio.to_thread(self.assistant.refresh)

    @property
    def secure(self) -> bool:
        return self.settings.console_base.startswith("https://")


@dataclass
class Page:
    """One request's view: the editor's session and interface language."""

    request: Request
    session: signin.Session | None
    lang: str

    def _(self, message: str, **values: object) -> str:
        return gettext(self.lang, message, **values)

    def num(self, value: object) -> str:
        return khmer_digits(str(value)) if self.lang == "km" else str(value)

    def topic(self, slug: str) -> str:
        """A topic's display name in the interface language (its slug when it has none)."""
        return gettext(self.lang, TOPIC_NAMES[slug]) if slug in TOPIC_NAMES else slug

    def action(self, name: str) -> str:
        """A revision's action ("changed") in the interface language."""
        return gettext(self.lang, ACTIONS[name]) if name in ACTIONS else name

    def day(self, value: date | str | None) -> str:
        if not value:
            return "–"
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        return format_day(day, self.lang)


_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _lang(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "")
    return lang if lang in LANGS else "km"


def render(page: Page, template: str, status: int = 200, **context: object) -> HTMLResponse:
    """A full page in the editor's language."""
    html = _env.get_template(template).render(
        page=page, _=page._, num=page.num, day=page.day, topic=page.topic, lang=page.lang,
        action=page.action,
        languages=LANGUAGE_NAMES, csrf=page.session.csrf if page.session else "",
        path=page.request.url.path, **context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def _console(request: Request) -> Console:
    return request.app.state.console


def _session(request: Request) -> signin.Session | None:
    """The request's session, if it is valid and its editor is still an editor."""
    console = _console(request)
    session = signin.find_session(console.db, request.cookies.get(SESSION_COOKIE, ""))
    if session is None or not console.conversation.may_edit(session.editor):
        return None
    return session


def _refused(request: Request) -> HTMLResponse:
    return render(Page(request, None, _lang(request)), "signin_needed.html", status=403)


Handler = Callable[[Request, Page], Awaitable[Response]]


def editor_page(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Only for a signed-in editor; a POST must carry the session's CSRF token."""

    async def guarded(request: Request) -> Response:
        session = _session(request)
        if session is None:
            return _refused(request)
        page = Page(request, session, _lang(request))
        if request.method == "POST":
            sent = request.headers.get(CSRF_HEADER, "")
            if not sent and request.headers.get("content-type", "").startswith(
                    ("application/x-www-form-urlencoded", "multipart/form-data")):
                sent = str((await request.form(max_part_size=MAX_UPLOAD)).get(CSRF_FIELD, ""))
            if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
                log.warning("console: refused a form without a valid CSRF token from %s",
                            session.editor)
                return render(page, "message.html", status=403,
                              title=page._("This form has expired"),
                              message=page._("Please open the page again and repeat the "
                                             "change."))
        return await handler(request, page)

    return guarded


def _redirect(url: str, flash: str = "") -> RedirectResponse:
    if flash:
        url += ("&" if "?" in url else "?") + urlencode({"flash": flash})
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


def outcome_text(outcome: Outcome) -> str:
    """What the core said, as one line for the page (the web's rendering of an Outcome)."""
    parts = [block.text for reply in outcome.replies for block in reply.blocks]
    if outcome.notice:
        parts.append(outcome.notice)
    return " ".join(parts)


# -- sign-in -----------------------------------------------------------------------------------

async def login(request: Request) -> Response:
    """GET shows a button (link previewers fetch URLs; only a person presses it); POST trades
    the one-time token for a session cookie."""
    page = Page(request, None, _lang(request))
    if request.method == "GET":
        token = request.query_params.get("token", "")
        return render(page, "login.html", token=token)
    form = await request.form()
    console = _console(request)
    redeemed = signin.redeem_link(console.db, str(form.get("token", "")))
    if redeemed is None or not console.conversation.may_edit(redeemed[0]):
        log.warning("console: refused a used, expired or unknown sign-in link")
        return render(page, "message.html", status=403,
                      title=page._("This sign-in link does not work"),
                      message=page._("Each link works once, for 10 minutes. Send /console to "
                                     "the bot for a new one."))
    editor, name = redeemed
    token = signin.start_session(console.db, editor, name)
    log.info("console: %s signed in", editor)
    response = _redirect("/console/")
    response.set_cookie(SESSION_COOKIE, token, max_age=int(signin.SESSION_LIFETIME.total_seconds()),
                        path="/console", httponly=True, samesite="strict",
                        secure=console.secure)
    return response


@editor_page
async def logout(request: Request, page: Page) -> Response:
    signin.end_session(_console(request).db, request.cookies.get(SESSION_COOKIE, ""))
    response = _redirect("/console/login")
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


async def language(request: Request) -> Response:
    lang = request.path_params["lang"]
    back = request.query_params.get("next", "/console/")
    if not back.startswith("/console") or "//" in back or "\\" in back:
        back = "/console/"
    response = _redirect(back)
    if lang in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path="/console",
                            httponly=True, samesite="strict", secure=_console(request).secure)
    return response


# -- dashboard ---------------------------------------------------------------------------------

@editor_page
async def dashboard(request: Request, page: Page) -> Response:
    console = _console(request)
    snapshot = console.assistant.snapshot
    periods = [period(console.db, days, snapshot.topic_of) for days in (7, 30)]
    days = per_day(console.db, 30, snapshot.built_on)
    stale = stale_entries(snapshot.entries.values(), snapshot.built_on)
    return render(
        page, "dashboard.html", periods=periods,
        shares=[charts.share_bar(p) for p in periods],
        daily=charts.daily_chart(days, page.lang),
        open_gaps=len(gaps(console.db)), stale=len(stale),
        requests=handovers.figures(console.db, 30),
    )


# -- entries -----------------------------------------------------------------------------------

def _haystack(entry: Entry) -> str:
    parts = [entry.id]
    for text in entry.texts.values():
        parts += [text.title, text.answer, *(q.text for q in text.questions)]
    return normalize(" ".join(parts))


def has_official_source(entry: Entry) -> bool:
    """True when at least one source is an official publication."""
    return any(getattr(s, "standing", "") == "official" for s in entry.sources)


@editor_page
async def entry_list(request: Request, page: Page) -> Response:
    console = _console(request)
    params = request.query_params
    query = params.get("q", "").strip()
    topic, category = params.get("topic", ""), params.get("category", "")
    only_stale, no_official = params.get("stale") == "1", params.get("no_official") == "1"
    snapshot = console.assistant.snapshot
    stale = {s.entry.id: s for s in stale_entries(snapshot.entries.values(), snapshot.built_on)}
    wanted = normalize(query) if query else ""
    found = [
        e for e in sorted(snapshot.entries.values(), key=lambda e: (e.category, e.topic, e.id))
        if (not wanted or wanted in _haystack(e))
        and (not topic or e.topic == topic) and (not category or e.category == category)
        and (not only_stale or e.id in stale) and (not no_official or not has_official_source(e))
    ]
    return render(page, "entries.html", entries=found, stale=stale, query=query,
                  selected_topic=topic,
                  category=category, only_stale=only_stale, no_official=no_official,
                  topics=sorted(TOPIC_SLUGS), categories=snapshot.categories,
                  has_official_source=has_official_source)


def _editor_context(console: Console, form: dict, entry_id: str | None,
                    validated=None) -> dict[str, object]:
    """What the editor page shows besides the form: problems by field, the preview."""
    problems: dict[str, list] = {}
    elsewhere: list = []
    previews: dict[str, object] = {}
    if validated is not None:
        own, elsewhere = draft.draft_problems(validated, forms.form_data(form))
        problems = draft.problem_fields(own)
        built = next((e for e in validated.entries if e.id == form["id"]), None)
        if built is not None:
            previews = preview.previews(console.conversation, built)
    stored = read_entry(console.db, entry_id) if entry_id else None
    attached = {
        lang: [q.text for q in text.questions if q.origin != "curated"]
        for lang, text in (stored.texts.items() if stored else ())
    }
    return {
        "form": form, "entry_id": entry_id, "problems": problems, "elsewhere": elsewhere,
        "previews": previews, "attached": attached, "topics": sorted(TOPIC_SLUGS),
        "categories": read_categories(console.db), "audiences": AUDIENCES,
        "standings": forms.STANDINGS, "langs": ("en", "km"),
        "revisions": history(console.db, entry_id, limit=5) if entry_id else [],
        "entry_ids": sorted(console.assistant.snapshot.entries),
    }


def _submitted(form: FormData) -> dict[str, object]:
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    multi = {k: [str(v) for v in form.getlist(k)]
             for k in ("audience", *(f"source_{c}" for c in forms.SOURCE_COLUMNS))}
    return forms.read_form(values, multi)


async def _check(console: Console, form: dict, entry_id: str | None):
    """Validate in a thread: pure work on data read here, in the loop (the store's connection
    is used by one thread at a time)."""
    files = console.files()
    data = forms.form_data(form, draft.stored_data(files, entry_id))
    return await asyncio.to_thread(draft.check_draft, files, data, entry_id)


@editor_page
async def entry_page(request: Request, page: Page) -> Response:
    console = _console(request)
    entry_id = request.path_params["entry_id"]
    if request.method == "GET":
        entry = read_entry(console.db, entry_id)
        if entry is None:
            return render(page, "message.html", status=404, title=page._("No such entry"),
                          message=page._("No entry with the id “{id}”.", id=entry_id))
        form = forms.entry_form(entry)
        validated = await _check(console, form, entry_id)
        return render(page, "entry.html", **_editor_context(console, form, entry_id, validated),
                      flash=request.query_params.get("flash", ""))
    return await _save(request, page, entry_id)


@editor_page
async def new_entry(request: Request, page: Page) -> Response:
    if request.method == "POST":
        return await _save(request, page, None)
    form = forms.entry_form(None)
    question = request.query_params.get("question", "").strip()
    if question:
        form[f"{detect_language(question)}.questions"] = question
    return render(page, "entry.html", **_editor_context(_console(request), form, None))


async def _save(request: Request, page: Page, entry_id: str | None) -> Response:
    console = _console(request)
    submitted = await request.form(max_part_size=MAX_UPLOAD)
    form = _submitted(submitted)
    if entry_id is not None:
        form["id"] = entry_id  # the id of a stored entry is fixed (others link to it)
    validated = await _check(console, form, entry_id)
    trying = submitted.get("action") == "try"
    if trying or validated.errors:
        context = _editor_context(console, form, entry_id, validated)
        if trying:
            context["tried"] = await _try(console, validated, str(submitted.get("question", "")))
        status = 200 if trying else 422
        return render(page, "entry.html", status=status, **context,
                      flash="" if trying else page._("Not saved: please fix the problems "
                                                      "marked below."))
    result = draft.save_draft(console.db, validated, page.session.label)  # type: ignore[union-attr]
    await console.changed()
    summary = result.summary
    saved_id = str(form["id"])
    if summary is None or not summary.any_change:
        return _redirect(f"/console/entries/{quote(saved_id)}", page._("Nothing changed."))
    log.info("console: %s saved %s (knowledge version %d)", page.session.editor,  # type: ignore[union-attr]
             saved_id, summary.version)
    return _redirect(f"/console/entries/{quote(saved_id)}",
                     page._("Saved. The bot answers from version {version} now.",
                            version=page.num(summary.version)))


@dataclass(frozen=True)
class Tried:
    """The "try a question" result: the answer now and with the draft, and labelled questions
    the draft would answer differently."""

    question: str
    now: object
    draft: object
    changes: list
    files: list[str]


async def _try(console: Console, validated, question: str) -> Tried:
    base = draft.served(console.db)

    def work() -> Tried:
        snapshot = draft.draft_snapshot(base, validated, console.assistant.snapshot.built_on)
        rows, used = read_labelled_files(console.settings.console_questions)
        now = console.assistant.ask(question) if question.strip() else None
        after = console.assistant.ask(question, snapshot=snapshot) if question.strip() else None
        return Tried(question, now, after, changed_answers(console.assistant, snapshot, rows),
                     used)

    return await asyncio.to_thread(work)


@editor_page
async def check_entry(request: Request, page: Page) -> Response:
    """Validation as you type: the same checks as a save, as JSON problems by field, plus the
    preview as HTML."""
    console = _console(request)
    entry_id = request.path_params.get("entry_id")
    form = _submitted(await request.form(max_part_size=MAX_UPLOAD))
    if entry_id:
        form["id"] = entry_id
    validated = await _check(console, form, entry_id)
    context = _editor_context(console, form, entry_id, validated)
    fields = {name: [{"level": p.level, "message": p.message} for p in found]
              for name, found in context["problems"].items()}  # type: ignore[union-attr]
    previews = _env.get_template("_preview.html").render(
        previews=context["previews"], _=page._, langs=("en", "km"))
    return JSONResponse({
        "fields": fields,
        "elsewhere": [str(p) for p in context["elsewhere"]],  # type: ignore[union-attr]
        "errors": len(validated.errors) > 0,
        "preview": previews,
    }, headers=SECURITY_HEADERS)


# -- gaps --------------------------------------------------------------------------------------

@editor_page
async def gap_page(request: Request, page: Page) -> Response:
    console = _console(request)
    desk = console.conversation.desk
    snapshot = console.assistant.snapshot
    if request.method == "POST":
        form = await request.form()
        key, act = str(form.get("gap", "")), str(form.get("do", ""))
        editor = page.session.label  # type: ignore[union-attr]
        if act == "attach":
            outcome = desk.action(f"{ATTACH}{key}:{form.get('entry', '')}", page.lang, editor)
        elif act == "not-ours":
            outcome = desk.action(NOT_OURS + key, page.lang, editor)
        else:
            outcome = desk.action(DISMISS + key, page.lang, editor)
        await console.changed()
        return _redirect("/console/gaps", outcome_text(outcome))
    found = gaps(console.db, order="count", limit=50)
    rows = [(g, gap_key(g), [snapshot.entries[c.entry_id]
                             for c in snapshot.matcher.rank_entries(g.text, 3)]) for g in found]
    return render(page, "gaps.html", rows=rows, entry_ids=sorted(snapshot.entries),
                  flash=request.query_params.get("flash", ""))


# -- history -----------------------------------------------------------------------------------

@editor_page
async def history_page(request: Request, page: Page) -> Response:
    console = _console(request)
    entry_id = request.path_params.get("entry_id")
    return render(page, "history.html", entry_id=entry_id,
                  revisions=history(console.db, entry_id, limit=200),
                  signins=signin.recent_signins(console.db) if entry_id is None else [],
                  flash=request.query_params.get("flash", ""))


@editor_page
async def rollback_page(request: Request, page: Page) -> Response:
    console = _console(request)
    entry_id = request.path_params["entry_id"]
    form = await request.form()
    revision = str(form.get("revision", ""))
    try:
        done = rollback(console.db, entry_id, page.session.label,  # type: ignore[union-attr]
                        int(revision) if revision.isdigit() else None)
    except RollbackError as exc:
        return _redirect(f"/console/entries/{quote(entry_id)}/history", str(exc))
    await console.changed()
    if done is None:
        message = page._("Nothing to undo: the entry already is as it was.")
    else:
        message = page._("Rolled back. The bot answers from version {version} now.",
                         version=page.num(done.version))
        problems = conflicts(console.db, entry_id)
        if problems:
            message += " " + page._("Check: {problems}", problems="; ".join(problems))
    return _redirect(f"/console/entries/{quote(entry_id)}/history", message)


# -- export and import -------------------------------------------------------------------------

@editor_page
async def transfer_page(request: Request, page: Page) -> Response:
    return render(page, "transfer.html")


@editor_page
async def export_csv(request: Request, page: Page) -> Response:
    try:
        text = entries_csv(read_entries(_console(request).db))
    except CsvExportError as exc:
        return render(page, "message.html", status=422, title=page._("Export"),
                      message=str(exc))
    return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8", headers={
        **SECURITY_HEADERS, "content-disposition": 'attachment; filename="knowledge.csv"'})


@editor_page
async def export_yaml(request: Request, page: Page) -> Response:
    db = _console(request).db
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel, text in sorted(folder_files(read_entries(db), read_synonyms(db),
                                             read_categories(db)).items()):
            archive.writestr(f"knowledge/{rel}", text)
    return Response(buffer.getvalue(), media_type="application/zip", headers={
        **SECURITY_HEADERS, "content-disposition": 'attachment; filename="knowledge.zip"'})


def _unpack(archive: zipfile.ZipFile, into: Path) -> None:
    """Only a knowledge folder's files, under any one top folder; nothing escapes `into`."""
    for info in archive.infolist():
        parts = PurePosixPath(info.filename).parts
        if info.is_dir() or not parts or any(p in ("..", "") or ":" in p for p in parts):
            continue
        if parts[0] == "knowledge":
            parts = parts[1:]
        if (len(parts) == 1 and parts[0] in (SYNONYMS_FILE, CATEGORIES_FILE)) or (
                len(parts) == 2 and parts[1].endswith(".yaml")):
            target = into.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info)[:MAX_UPLOAD])


@editor_page
async def import_upload(request: Request, page: Page) -> Response:
    console = _console(request)
    form = await request.form(max_part_size=MAX_UPLOAD)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return render(page, "transfer.html", status=422,
                      failure=page._("Choose a .csv or .zip file to import."))
    raw = await upload.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        return render(page, "transfer.html", status=413,
                      failure=page._("The file is larger than 5 MB."))
    name = upload.filename.lower()
    editor = page.session.label  # type: ignore[union-attr]

    categories = read_categories(console.db)

    def load() -> Validated:
        """Read and validate the upload (in a thread: no store access)."""
        with tempfile.TemporaryDirectory() as tmp:
            if name.endswith(".csv"):
                path = Path(tmp) / "knowledge.csv"
                path.write_bytes(raw)
            else:
                path = Path(tmp) / "knowledge"
                path.mkdir()
                with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                    _unpack(archive, path)
            return load_knowledge(path, categories if is_csv(path) else None,
                                  console.settings.knowledge_dir)

    try:
        validated = await asyncio.to_thread(load)
    except (zipfile.BadZipFile, FileNotFoundError, UnicodeDecodeError):
        return render(page, "transfer.html", status=422,
                      failure=page._("This is not a CSV export or a zip of a knowledge "
                                     "folder."))
    result = apply_validated(console.db, validated, editor, tables=not name.endswith(".csv"))
    await console.changed()
    return render(page, "transfer.html", status=200 if result.summary else 422, result=result)


# -- the application ---------------------------------------------------------------------------

async def home(request: Request) -> Response:
    return _redirect("/console/")


def console_routes() -> list[Route | Mount]:
    """The console's routes (the paths are a contract: docs/editors.md)."""
    both = ["GET", "POST"]
    return [
        Route("/console", home),
        Route("/console/", dashboard),
        Route("/console/login", login, methods=both),
        Route("/console/logout", logout, methods=["POST"]),
        Route("/console/language/{lang}", language),
        Route("/console/entries", entry_list),
        Route("/console/entries/new", new_entry, methods=both),
        Route("/console/entries/new/check", check_entry, methods=["POST"]),
        Route("/console/entries/{entry_id}", entry_page, methods=both),
        Route("/console/entries/{entry_id}/check", check_entry, methods=["POST"]),
        Route("/console/entries/{entry_id}/history", history_page),
        Route("/console/entries/{entry_id}/rollback", rollback_page, methods=["POST"]),
        Route("/console/gaps", gap_page, methods=both),
        Route("/console/history", history_page),
        Route("/console/transfer", transfer_page),
        Route("/console/export/knowledge.csv", export_csv),
        Route("/console/export/knowledge.zip", export_yaml),
        Route("/console/import", import_upload, methods=["POST"]),
        Mount("/console/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]


def create_app(
    conversation: Conversation, settings: Settings, extra: list[Route] | None = None
) -> Starlette:
    """The web application: the console, plus `extra` routes (the Telegram webhook)."""
    app = Starlette(routes=[*(extra or []), *console_routes()])
    app.state.console = Console(conversation, settings)
    return app

