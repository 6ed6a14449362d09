"""`govbot`: the command line (docs/reference.md). Each command is a thin shell over the Python API.

Exit codes: 0 success; 1 the command failed for a reason it printed (invalid knowledge, bad
input); 2 usage error (click's own). Errors go to stderr, one clear line first.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO

import click
import sqlite_utils

from bot.assistant import Answer, Assistant
from bot.config import PACKAGE_DIR, Settings
from bot.console import render, run_chat
from bot.conversation import Conversation, Sender
from bot.engine.decide import DEFAULT_THRESHOLDS
from bot.engine.fitted import FITTED_FILE
from bot.engine.scope import Scope
from bot.engine.segment import Analyzer
from bot.evaluation import (
    Labelled,
    changed_answers,
    evaluate,
    read_labelled,
    read_labelled_files,
    sweep,
)
from bot.fitting import fit as fit_engine
from bot.kb.crosscheck import crosscheck
from bot.kb.csvfile import CsvExportError, entries_csv
from bot.kb.draft import draft_snapshot, served
from bot.kb.export import ExportError, entries_json, write_folder
from bot.kb.importer import apply_validated, files_hold, is_csv, load_knowledge
from bot.kb.stale import stale_entries
from bot.kb.validate import Validated
from bot.store.db import open_db
from bot.store.gaps import gaps
from bot.store.knowledge import (
    knowledge_version,
    read_categories,
    read_entries,
    read_entry,
    read_scope,
    read_synonyms,
)
from bot.store.people import People
from bot.store.revisions import (
    Revision,
    RollbackError,
    conflicts,
    history,
    reviewers,
    revisions_of_version,
    rollback,
)

log = logging.getLogger(__name__)
LANG_CHOICE = click.Choice(["auto", "km", "en"])


def _print_sweep(assistant: Assistant, rows) -> None:
    base = assistant.thresholds
    grid = [replace(base, certainty=round(c / 100, 2)) for c in range(20, 100, 5)]
    click.echo("certainty  " + "  ".join(
        f"{lang}:right% wrong% oos-ok%" for lang in ("en", "km")))
    for thresholds, reports in sweep(assistant, rows, grid):
        cells = []
        for lang in ("en", "km"):
            f = reports[lang].as_dict() if lang in reports else {}
            cells.append(f"{f.get('answered_right_pct', 0):>9} {f.get('answered_wrong_pct', 0):>6}"
                         f" {f.get('out_of_scope_not_answered_pct', 0):>7}")
        mark = "  <- current" if thresholds.certainty == base.certainty else ""
        click.echo(f"{thresholds.certainty:>9.2f}  " + "  ".join(cells) + mark)


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as exc:  # a malformed variable, e.g. GOVBOT_STAFF_CHAT
        raise click.ClickException(str(exc)) from exc


def _assistant() -> Assistant:
    try:
        return Assistant.open(_settings())
    except (RuntimeError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from exc


def _utf8_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log what the bot is doing to stderr.")
@click.version_option(package_name="govbot", prog_name="govbot")
def main(verbose: bool) -> None:
    """govbot — the Cambodia Digital Government Assistant.

    Every command and its output, the JSON reply of `ask --json`, the
    environment variables and the exit codes: docs/reference.md.

    \b
    Examples:
      govbot ask "how do I apply for an e-visa"
      govbot chat --lang km
      govbot kb validate
    """
    _utf8_streams()
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@main.command()
@click.argument("text", required=False)
@click.option("--lang", type=LANG_CHOICE, default="auto", show_default=True,
              help="Reply language; auto follows the question's script.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the JSON reply (its fields: docs/reference.md).")
@click.option("--jsonl", is_flag=True,
              help='Batch: JSON lines {"q": …, "lang": …} on stdin → one JSON reply per line.')
def ask(text: str | None, lang: str, as_json: bool, jsonl: bool) -> None:
    """Answer one question (or a batch with --jsonl).

    \b
    Examples:
      govbot ask "how do I apply for an e-visa"
      govbot ask "ធ្វើ e-Visa យ៉ាងម៉េច" --json
      echo '{"q": "passport fee", "lang": "en"}' | govbot ask --jsonl
    """
    if jsonl == (text is not None):
        raise click.UsageError("give either TEXT or --jsonl")
    assistant = _assistant()
    if jsonl:
        failures = _ask_batch(assistant, sys.stdin.buffer)
        if failures:
            click.echo(f"error: {failures} input line(s) could not be read; "
                       "see the error objects in the output", err=True)
            sys.exit(1)
        return
    answer = assistant.ask(text or "", None if lang == "auto" else lang)
    if as_json:
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False))
        return
    conversation = Conversation(assistant, People(assistant.db))
    click.echo(render(conversation.reply_for(answer))[0])


def _ask_batch(assistant: Assistant, stream) -> int:
    """Answer each line; a bad line yields an error object in its place. Returns bad lines."""
    failures = 0
    out = sys.stdout
    for number, raw in enumerate(stream, start=1):
        try:
            line = raw.decode("utf-8")
            if not line.strip():
                continue
            data = json.loads(line)
            if not isinstance(data, dict) or not isinstance(data.get("q"), str):
                raise ValueError('expected an object with a text field "q"')
            lang = data.get("lang", "auto")
            if lang not in ("auto", "km", "en"):
                raise ValueError(f'"lang" must be auto, km or en, not {lang!r}')
            reply = assistant.ask(data["q"], None if lang == "auto" else lang).to_json()
        except UnicodeDecodeError:
            failures += 1
            reply = {"error": "the line is not valid UTF-8", "line": number}
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            failures += 1
            reply = {"error": f"not a valid request: {exc}", "line": number}
        out.write(json.dumps(reply, ensure_ascii=False) + "\n")
    out.flush()
    return failures


@main.command(short_help="Run the Telegram bot and the editors' console (polling or webhook).")
@click.option("--webhook", is_flag=True,
              help="Receive updates on $PORT at WEBHOOK_URL instead of long polling.")
def run(webhook: bool) -> None:
    """Run the Telegram bot (TELEGRAM_BOT_TOKEN; TELEGRAM_API_URL for a self-hosted server).

    \b
    Examples:
      TELEGRAM_BOT_TOKEN=123:ABC govbot run
      WEBHOOK_URL=https://bot.example.gov.kh/telegram PORT=8443 GOVBOT_SECRET=… govbot run --webhook
    """
    from telegram.error import InvalidToken  # telegram's stack only when serving

    from bot.telegram.app import run as run_telegram

    settings = _settings()
    logging.getLogger().setLevel(logging.INFO)
    for warning in settings.warnings():
        log.warning(warning)
    try:
        run_telegram(settings, Conversation.for_settings(_assistant(), settings), webhook)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    except InvalidToken as exc:
        message = str(exc).replace(settings.token, "<token>") if settings.token else str(exc)
        raise click.ClickException(f"Telegram refused the bot token: {message}") from None


@main.command(short_help="Run the editors' web console alone, on the same database.")
@click.option("--sign-in", "sign_in", type=int, metavar="TELEGRAM_ID",
              help="Print a one-time sign-in link for this editor first (the bot is stopped, "
                   "so /console cannot send one).")
def console(sign_in: int | None) -> None:
    """Run the editors' web console alone, on the same database (editing while the bot is
    stopped; a running bot picks up every save within seconds).

    \b
    Examples:
      GOVBOT_EDITORS=777 govbot console --sign-in 777
      GOVBOT_CONSOLE_HOST=0.0.0.0 GOVBOT_CONSOLE_PORT=8090 govbot console
    """
    import asyncio

    from bot.store import signin
    from bot.web.server import serve_console

    settings = _settings()
    logging.getLogger().setLevel(logging.INFO)
    try:
        conversation = Conversation.for_settings(_assistant(), settings)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if sign_in is not None:
        if not conversation.may_edit(f"tg:{sign_in}"):
            raise click.ClickException(f"{sign_in} is not listed in GOVBOT_EDITORS")
        token = signin.issue_link(conversation.assistant.db, f"tg:{sign_in}", "")
        click.echo(f"{settings.console_base}/console/login?token={token}")
    try:
        asyncio.run(serve_console(conversation, settings))
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command(short_help="Talk to the bot in the terminal (/quit leaves).")
@click.option("--lang", type=click.Choice(["km", "en"]), default=None,
              help="Language of the replies. Without it, as on Telegram: English until you "
                   "write Khmer, then Khmer, remembered in the store for the next chat.")
@click.option("--editor", is_flag=True,
              help="Act as a content editor (/gaps, /stats, /entry ID, /reload).")
def chat(lang: str | None, editor: bool) -> None:
    """Talk to the bot in the terminal; a number presses a button, /quit leaves.

    Ctrl-D or Ctrl-C also leave. When stdin is not a terminal, each line is one
    message and is echoed as "> message", so the output reads as a transcript.

    \b
    Examples:
      govbot chat --lang km
      printf 'evisa\\n1\\n' | govbot chat
      printf 'ប្តូរលិខិតឆ្លងដែនយ៉ាងម៉េច\\n' | govbot chat   # replies in Khmer
      govbot chat --editor          # then /gaps or /stats
    """
    extra = frozenset({"console:local"}) if editor else frozenset()
    try:
        conversation = Conversation.for_settings(_assistant(), _settings(), extra)
    except ValueError as exc:  # e.g. a malformed GOVBOT_OFFICE_HOURS
        raise click.ClickException(str(exc)) from exc
    sender = Sender("console:local", lang)
    interactive = sys.stdin.isatty()

    def lines():
        while True:
            try:
                line = input("> ") if interactive else sys.stdin.readline()
            except EOFError:  # Ctrl-D at the prompt
                click.echo()
                return
            if not interactive:
                if not line:
                    return
                if line.strip():
                    click.echo(f"> {line.strip()}")
            yield line

    try:
        run_chat(conversation, sender, lines(), lambda text: click.echo(text, nl=False))
    except KeyboardInterrupt:  # Ctrl-C: leave quietly, not with click's "Aborted!"
        click.echo()


@main.group(short_help="Knowledge base: check, import, export, history, undo, gaps.")
def kb() -> None:
    """Knowledge base: validate, import, export, history, rollback, stale, gaps,
    crosscheck.

    Editors change the YAML files under knowledge/ (or a CSV exported from the
    store), check them with `validate`, and apply them with `import`; every
    change is a revision that `history` lists and `rollback` undoes.

    \b
    Examples:
      govbot kb validate knowledge/
      govbot kb import knowledge/ --editor sokha
      govbot kb export --format csv --out review.csv
      govbot kb history evisa-fees
      govbot kb rollback evisa-fees
      govbot kb stale --within 30
      govbot kb gaps --days 7 --by count
      govbot kb crosscheck --below 60
    """


def _print_problems(problems) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


def _print_changed_answers(settings: Settings, validated: Validated, *, warn: bool) -> int:
    """Ask the labelled questions (head and dev sets, GOVBOT_CONSOLE_QUESTIONS) of the knowledge
    being served and of `validated`, and print each whose answer would change; the count."""
    rows, used = read_labelled_files(settings.console_questions)
    if not rows:
        return 0
    assistant = _assistant()
    proposed = draft_snapshot(served(assistant.db), validated, date.today())
    changes = changed_answers(assistant, proposed, rows)
    out = functools.partial(click.echo, err=warn)
    if changes or not warn:
        out(f"{'warning: ' if warn else ''}{len(changes)} of {len(rows)} labelled questions "
            f"({', '.join(used)}) would be answered differently:")
    for change in changes:
        out(f"  [{change.verdict}] {change.row.q!r} ({change.row.lang}): "
            f"{_outcome_text(change.before)} → {_outcome_text(change.after)}")
    return len(changes)


def _outcome_text(answer: Answer) -> str:
    if answer.entry is not None:
        return answer.entry.id
    choices = ", ".join(s.entry.id for s in answer.suggestions)
    return f"{answer.status} ({choices})" if choices else answer.status


@kb.command("validate")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def kb_validate(path: Path | None) -> None:
    """Check the knowledge files without changing anything.

    \b
    Example:
      govbot kb validate knowledge/
    """
    knowledge_dir = _settings().knowledge_dir
    path = path or knowledge_dir
    try:
        result = load_knowledge(path, rules_from=knowledge_dir)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    if result.errors:
        click.echo(f"error: {len(result.errors)} problem(s) in {path}; nothing is valid until "
                   "they are fixed", err=True)
    _print_problems(result.problems)
    click.echo(f"{len(result.entries)} entries, {len(result.errors)} errors, "
               f"{len(result.warnings)} warnings")
    by_rule = Counter(p.rule for p in result.problems if p.rule)
    if by_rule:
        click.echo("by rule: " + ", ".join(f"{rule} {n}" for rule, n in by_rule.most_common()))
    if result.errors:
        sys.exit(1)


@kb.command("import")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--editor", default="cli", show_default=True, help="Name recorded on revisions.")
@click.option("--remove-editor-questions", is_flag=True,
              help="Drop the questions editors attached in Telegram (kept by default).")
@click.option("--no-notify", is_flag=True,
              help="Do not message subscribers about this import (e.g. a typo fix).")
def kb_import(path: Path | None, editor: str, remove_editor_questions: bool,
              no_notify: bool) -> None:
    """Validate, then apply all changes in one transaction (or none).

    PATH is a knowledge folder (default: knowledge/) or a CSV written by
    `govbot kb export --format csv`. Questions editors attached in Telegram are
    kept and listed, unless --remove-editor-questions is given. Subscribers of
    the topics of new or changed answers get one message each, sent by the
    running bot, unless --no-notify is given.

    \b
    Examples:
      govbot kb import knowledge/ --editor sokha
      govbot kb import reviewed.csv --editor dara
      govbot kb import --remove-editor-questions
      govbot kb import --no-notify --editor sokha
    """
    settings = _settings()
    path = path or settings.knowledge_dir
    db = open_db(settings.db_path)
    csv_source = is_csv(path)
    try:
        validated = load_knowledge(path, read_categories(db) if csv_source else None,
                                   settings.knowledge_dir)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    if not validated.errors:
        _print_changed_answers(settings, validated, warn=True)
    result = apply_validated(db, validated, editor, tables=not csv_source,
                             keep_editor_questions=not remove_editor_questions,
                             notify=not no_notify)
    if result.summary is None:
        click.echo(f"error: {len(result.validated.errors)} problem(s); nothing was imported",
                   err=True)
        _print_problems(result.validated.problems)
        sys.exit(1)
    _print_problems(result.validated.warnings)
    s = result.summary
    click.echo(f"added {len(s.added)}, changed {len(s.changed)}, removed {len(s.removed)}, "
               f"unchanged {len(s.unchanged)}; knowledge version {s.version}")
    fields = {r.entry_id: ", ".join(c.field for c in r.changes)
              for r in revisions_of_version(db, s.version)} if s.changed else {}
    for label, ids in (("added", s.added), ("changed", s.changed), ("removed", s.removed)):
        for entry_id in ids:
            detail = f" ({fields[entry_id]})" if fields.get(entry_id) else ""
            click.echo(f"  {label}: {entry_id}{detail}")
    if s.synonyms_changed:
        click.echo("  synonyms, menu categories or scope (what is not ours) changed")
    if result.notified:
        click.echo(f"  {result.notified} subscriber message(s) queued; the running bot sends "
                   "them")
    for entry_id, count in s.kept_editor_questions.items():
        click.echo(f"  kept {count} editor question(s) on {entry_id}")
    for entry_id, count in s.dropped_editor_questions.items():
        click.echo(f"  removed {count} editor question(s) from {entry_id}")
    if s.kept_editor_questions:
        total = sum(s.kept_editor_questions.values())
        click.echo(f"{total} question(s) added by editors in Telegram were kept; "
                   "--remove-editor-questions drops them")


@kb.command("export", short_help="Write the stored knowledge as YAML, CSV or JSON.")
@click.option("--format", "fmt", type=click.Choice(["yaml", "csv", "json"]), required=True)
@click.option("--out", type=click.Path(path_type=Path),
              help="yaml: the folder to write (required); csv, json: the file (default stdout).")
@click.option("--overwrite", is_flag=True,
              help="yaml: replace the files in a folder that already has knowledge files "
                   "(entry files the store no longer has are deleted).")
def kb_export(fmt: str, out: Path | None, overwrite: bool) -> None:
    """Write the stored knowledge base as YAML files, a CSV spreadsheet or JSON.

    YAML writes a knowledge folder (<category>/<id>.yaml, synonyms.yaml,
    categories.yaml) that `govbot kb import` reads back without any change; files
    that already hold the right content are left as they are. CSV is one row per
    entry with both languages, UTF-8 with a BOM so Khmer shows in Excel and
    LibreOffice; `govbot kb import FILE.csv` reads it back.

    \b
    Examples:
      govbot kb export --format csv --out review.csv
      govbot kb export --format yaml --out knowledge/ --overwrite
      govbot kb export --format json --out kb.json
    """
    db = _store()
    entries = read_entries(db)
    if fmt == "yaml":
        if out is None:
            raise click.UsageError("--format yaml needs --out FOLDER")
        try:
            done = write_folder(db, out, overwrite=overwrite)
        except ExportError as exc:
            raise click.ClickException(str(exc)) from exc
        for rel in done.deleted:
            click.echo(f"  deleted: {rel}")
        for rel in done.written:
            click.echo(f"  wrote: {rel}")
        click.echo(f"{len(entries)} entries exported to {out}: {len(done.written)} file(s) "
                   f"written, {len(done.unchanged)} already up to date, "
                   f"{len(done.deleted)} deleted")
        return
    if fmt == "csv":
        try:
            data = entries_csv(entries).encode("utf-8")
        except CsvExportError as exc:
            raise click.ClickException(str(exc)) from exc
        if out:
            out.write_bytes(data)
            click.echo(f"{len(entries)} entries written to {out}", err=True)
        else:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        return
    text = entries_json(entries)
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


def _store() -> sqlite_utils.Database:
    """The store, filled from the bundled knowledge on first use like every other command."""
    settings = _settings()
    db = open_db(settings.db_path)
    return db if knowledge_version(db) else _assistant().db


def _when(at: str) -> str:
    return at.replace("T", " ")[:16] + " UTC" if at else ""


def _print_revision(revision: Revision) -> None:
    click.echo(f"#{revision.id}  {_when(revision.at)}  {revision.editor or '?'}  "
               f"{revision.action}  {revision.entry_id}  (version {revision.version})")
    for change in revision.changes:
        click.echo(f"    {change.field}: {change.summary}")


@kb.command("history", short_help="Who changed what and when.")
@click.argument("entry_id", metavar="[ID]", required=False)
@click.option("--limit", default=20, show_default=True, help="Newest N revisions; 0 for all.")
@click.option("--json", "as_json", is_flag=True, help="Print the revisions as JSON.")
def kb_history(entry_id: str | None, limit: int, as_json: bool) -> None:
    """Who changed what and when: revisions, newest first, with what changed.

    The number after # is the revision to give `govbot kb rollback --to`.

    \b
    Examples:
      govbot kb history evisa-fees
      govbot kb history --limit 50
      govbot kb history evisa-fees --json
    """
    db = _store()
    found = history(db, entry_id, limit=limit + 1 if limit else None)
    shown = found[:limit] if limit else found
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in shown], ensure_ascii=False, indent=2))
        return
    if not found:
        if entry_id and read_entry(db, entry_id) is None:
            raise click.ClickException(f'there is no entry "{entry_id}" and no record of one')
        click.echo("no changes recorded" + (f" for {entry_id}" if entry_id else ""))
        return
    for revision in shown:
        _print_revision(revision)
    if len(found) > len(shown):
        click.echo("(older revisions not shown; --limit 0 shows all)")


@kb.command("rollback", short_help="Undo a change to an entry.")
@click.argument("entry_id", metavar="ID")
@click.option("--to", "to_revision", type=int, metavar="REV",
              help="Restore the entry as it was before revision REV (default: undo its last "
                   "change).")
@click.option("--editor", default="cli", show_default=True, help="Name recorded on the revision.")
def kb_rollback(entry_id: str, to_revision: int | None, editor: str) -> None:
    """Undo a change: put an entry back exactly as it was before a revision.

    The rollback is itself a revision, so it shows in the history and can be
    undone too. Rolling back a removal brings the entry back; rolling back an
    addition removes it. The bot picks up the change within seconds.

    \b
    Examples:
      govbot kb rollback evisa-fees             # undo its last change
      govbot kb rollback evisa-fees --to 412    # as it was before revision 412
    """
    db = _store()
    try:
        revision = rollback(db, entry_id, editor, to_revision)
    except RollbackError as exc:
        raise click.ClickException(str(exc)) from exc
    if revision is None:
        click.echo(f"{entry_id} already is as it was then; nothing changed")
        return
    state = "removed" if revision.after is None else "restored"
    click.echo(f"{entry_id} {state}: revision {revision.id}, knowledge version {revision.version}")
    for change in revision.changes:
        click.echo(f"    {change.field}: {change.summary}")
    for conflict in conflicts(db, entry_id):
        click.echo(f"warning: {conflict}", err=True)
    folder = _settings().knowledge_dir
    held = files_hold(folder, entry_id, revision.after)
    if held:
        click.echo(f"the knowledge files in {folder} already hold {entry_id} as restored",
                   err=True)
        return
    holds = "hold another version" if held is False else "may hold another version"
    click.echo(f"note: the knowledge files in {folder} {holds} of {entry_id}, and the next "
               "`govbot kb import` would bring it back; to make the files match, run "
               f"`govbot kb export --format yaml --out {folder} --overwrite`", err=True)


@kb.command("stale", short_help="Entries expired or not checked for 6 months.")
@click.option("--within", "within_days", default=0, show_default=True, metavar="DAYS",
              help="Also list entries that fall due in the next DAYS days.")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def kb_stale(within_days: int, as_json: bool) -> None:
    """Entries that need an editor: expired, past their deadline, or last checked over
    6 months ago (with who checked them last).

    Expired entries are already not served as current answers; update the facts
    and the `reviewed:` date (or `expires:`), then import.

    \b
    Examples:
      govbot kb stale
      govbot kb stale --within 30 --json
    """
    db = _store()
    found = stale_entries(read_entries(db), date.today(), within_days, reviewers(db))
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("nothing is stale: every entry was checked in the last 6 months, and none "
                   "has expired or passed its deadline")
        return
    click.echo(f"{len(found)} entr{'y needs' if len(found) == 1 else 'ies need'} an editor:")
    for item in found:
        due = item.due.isoformat() if item.due else "-"
        by = f"  (checked by {item.reviewed_by})" if item.reviewed_by else ""
        click.echo(f"  {item.reason:<15} {due:<10}  {item.entry.category}/{item.entry.id}.yaml  "
                   f"{item.entry.text('en').title}{by}")


@kb.command("gaps", short_help="Questions the bot could not answer.")
@click.option("--days", type=int, metavar="N", help="Only questions asked in the last N days.")
@click.option("--limit", default=50, show_default=True, help="At most N questions; 0 for all.")
@click.option("--by", "order", type=click.Choice(["newest", "count"]), default="newest",
              show_default=True, help="Most recently asked first, or most asked first.")
@click.option("--json", "as_json", is_flag=True, help="Print the gaps as JSON.")
def kb_gaps(days: int | None, limit: int, order: str, as_json: bool) -> None:
    """Questions the bot could not answer: a fallback, or "none of these".

    Grouped by normalised text (so spacing, case and punctuation don't split
    them), counted, newest first. Close a gap by adding the question to an
    entry's questions (or a new entry), then import.

    \b
    Examples:
      govbot kb gaps
      govbot kb gaps --days 7 --by count
      govbot kb gaps --json > gaps.json
    """
    since = None
    if days is not None:
        since = (datetime.now(UTC) - timedelta(days=days)).replace(microsecond=0).isoformat()
    found = gaps(_store(), since=since, limit=limit or None, order=order)
    if as_json:
        click.echo(json.dumps([g.as_dict() for g in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("no unanswered questions" + (f" in the last {days} days" if days else ""))
        return
    click.echo(f"{'asked':>5}  {'last asked':<20}  {'lang':<5}  question")
    for gap in found:
        click.echo(f"{gap.count:>5}  {_when(gap.last_at):<20}  {','.join(gap.langs):<5}  "
                   f"{gap.text}")


@kb.command("crosscheck", short_help="Which entries lose their own questions to others.")
@click.option("--below", default=75.0, show_default=True, metavar="PCT",
              help="List the entries whose own questions are answered right less often.")
@click.option("--json", "as_json", is_flag=True, help="Print every entry's figures as JSON.")
@click.argument("proposed", required=False, type=click.Path(exists=True, path_type=Path))
def kb_crosscheck(below: float, as_json: bool, proposed: Path | None) -> None:
    """Which entries lose their own questions: half of every entry's question
    variants are hidden and asked against the other half, then the other way.

    An entry whose hidden questions go to another entry, or get only "did you
    mean", will do the same to people's questions: give it variants with the
    words that set it apart (docs/content-guide.md §4), import, and run again.

    With PROPOSED (a knowledge folder or CSV, before you import it): every head
    and dev question whose answer it would change, and whether that is better
    or worse. `govbot kb import` prints the same list as warnings.

    \b
    Examples:
      govbot kb crosscheck
      govbot kb crosscheck --below 60
      govbot kb crosscheck --json > crosscheck.json
      govbot kb crosscheck knowledge/
    """
    if proposed is not None:
        settings = _settings()
        validated = load_knowledge(
            proposed, read_categories(_store()) if is_csv(proposed) else None,
            settings.knowledge_dir)
        if validated.errors:
            _print_problems(validated.errors)
            raise click.ClickException(f"{proposed} has errors; fix them first (kb validate)")
        _print_changed_answers(settings, validated, warn=False)
        return
    db = _store()
    today = date.today()
    entries = [e for e in read_entries(db) if e.is_current(today)]
    checks = crosscheck(entries, Analyzer(read_synonyms(db)), DEFAULT_THRESHOLDS,
                        scope=Scope.from_lists(read_scope(db)))
    if as_json:
        click.echo(json.dumps([c.as_dict() for c in checks], ensure_ascii=False, indent=2))
        return
    asked = sum(c.asked for c in checks)
    right = sum(c.right for c in checks)
    wrong = sum(c.wrong for c in checks)
    click.echo(f"{asked} questions asked: {100 * right / max(asked, 1):.1f}% answered by their "
               f"own topic, {100 * wrong / max(asked, 1):.1f}% by another")
    weak = [c for c in checks if c.right_pct < below]
    if not weak:
        click.echo(f"every entry answers at least {below:g}% of its own questions")
        return
    click.echo(f"{'right':>6}  {'lang':<4}  entry (answered instead by)")
    for check in weak:
        instead = ", ".join(f"{i} ×{n}" for i, n in check.lost_to[:3])
        click.echo(f"{check.right_pct:>5.0f}%  {check.lang:<4}  {check.entry_id}"
                   + (f" ({instead})" if instead else ""))


def _labelled_file(file: Path | TextIO) -> list[Labelled]:
    """The rows of a labelled JSONL file, or a clear error naming the file and the line."""
    name = file if isinstance(file, Path) else getattr(file, "name", "input")
    try:
        if isinstance(file, Path):
            with file.open(encoding="utf-8") as opened:
                return read_labelled(opened)
        return read_labelled(file)
    except ValueError as exc:
        raise click.ClickException(f"{name}: {exc}") from exc


@main.command("eval", short_help="Accuracy on a labelled JSONL file of questions.")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--misses", is_flag=True, help="List every question not answered right.")
@click.option("--reasons", is_flag=True,
              help="Count why the in-scope questions not answered right were not.")
@click.option("--sweep", is_flag=True,
              help="Show the figures at a range of certainties (how sure the model must be).")
def eval_(file, as_json: bool, misses: bool, reasons: bool, sweep: bool) -> None:
    """Accuracy on a JSONL file of {"q", "lang", "topic": [...]} ([] = out of scope).

    \b
    Examples:
      govbot eval tests/data/dev_questions.jsonl
      govbot eval tests/data/dev_questions.jsonl --sweep
      govbot eval tests/data/dev_questions.jsonl --reasons
    """
    if sweep and reasons:
        raise click.UsageError("--reasons counts one setting's outcomes; use it without --sweep")
    rows = _labelled_file(file)
    assistant = _assistant()
    if sweep:
        _print_sweep(assistant, rows)
        return
    reports = evaluate(assistant, rows)
    figures: dict[str, dict[str, object]] = {
        lang: dict(r.as_dict()) for lang, r in sorted(reports.items())}
    if reasons and as_json:
        for lang, report in reports.items():
            figures[lang]["not_right_because"] = dict(report.losses.most_common())
    if as_json:
        click.echo(json.dumps(figures, indent=2))
    else:
        header = ("lang", "questions", "right%", "wrong%", "suggested-right%", "out-of-scope",
                  "not-answered%")
        click.echo("  ".join(f"{h:>16}" for h in header))
        for lang, f in figures.items():
            cells = (lang, f["questions"], f["answered_right_pct"], f["answered_wrong_pct"],
                     f["suggested_right_pct"], f["out_of_scope"],
                     f["out_of_scope_not_answered_pct"])
            click.echo("  ".join(f"{c!s:>16}" for c in cells))
    per_language = [(lang, reports[lang]) for lang in ("en", "km") if lang in reports]
    if reasons and not as_json:
        for lang, report in per_language:
            click.echo(f"{lang}: {report.in_scope} in scope, not answered right because:")
            for reason, count in report.losses.most_common():
                click.echo(f"  {report.pct(count, report.in_scope):5.1f}%  {count:5}  {reason}")
    if misses:
        for lang, report in per_language:
            for row, answer in report.misses:
                got = answer.entry.topic if answer.entry else ",".join(
                    s.entry.topic for s in answer.suggestions)
                click.echo(f"MISS [{lang}] {answer.status} {answer.score:.0f} want="
                           f"{list(row.topics)} got={got}: {row.q}", err=True)


@main.command(short_help="Fit the matching recipe and answer thresholds on data.")
@click.option("--dev", "dev_paths", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=[str(PACKAGE_DIR.parent / "tests" / "data" / name)
                       for name in ("dev_questions.jsonl", "dev2_questions.jsonl")],
              show_default=True,
              help="Labelled JSONL the fit may use (with the knowledge base); repeatable.")
@click.option("--head", "head_path",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=str(PACKAGE_DIR.parent / "tests" / "data" / "head_questions.jsonl"),
              show_default=True,
              help="Head questions (labelled with their entry) every choice must answer right.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              default=str(PACKAGE_DIR / "engine" / FITTED_FILE), show_default=True,
              help="Where to write the fitted recipe and thresholds.")
@click.option("--folds", type=click.IntRange(2, 10), default=2, show_default=True,
              help="Cross-validation folds over the knowledge base's own variants.")
def fit(dev_paths: tuple[Path, ...], head_path: Path, out: Path, folds: int) -> None:
    """Fit the matching recipe, the confidence model and the thresholds on the dev set and the
    knowledge base.

    The same every run: for each recipe, a logistic confidence model (is the best entry
    right?) on the dev set and the knowledge base asked against itself; then the certainty and
    margin with the most right minus 5 × wrong answers (an out-of-scope question answered is
    wrong), among those that answer every head question with its entry. Writes the result to
    the engine's fitted.json; judge it with `govbot eval` on sets it was not fitted on
    (held-out, independent).

    \b
    Examples:
      govbot fit
      govbot fit --dev tests/data/dev_questions.jsonl --dev more.jsonl --out /tmp/fitted.json
    """
    dev = [row for path in dev_paths for row in _labelled_file(path)]
    head = _labelled_file(head_path)
    db = _store()
    today = date.today()
    entries = [e for e in read_entries(db) if e.is_current(today)]
    result = fit_engine(entries, Analyzer(read_synonyms(db)), Scope.from_lists(read_scope(db)),
                        dev, folds, progress=lambda msg: click.echo(f"… {msg}", err=True),
                        head=head)
    data = result.as_dict()
    out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    click.echo(json.dumps({k: data[k] for k in ("recipe", "thresholds", "confidence",
                                                 "fitted_on")}, indent=2))
    click.echo(f"written to {out}")
    if result.head_missed:
        click.echo(f"warning: no setting answers every head question with its entry; "
                   f"{result.head_missed} are not (see `govbot eval {head_path} --misses`): "
                   "give those entries the words that set them apart, then fit again",
                   err=True)


@main.command(short_help="Speed, accuracy and memory next to difflib, rapidfuzz, BM25.")
@click.option("--quick", is_flag=True,
              help="Small sizes, one run each: checks the bench works; figures not worth quoting.")
@click.option("--sizes", help="Synthetic knowledge-base sizes in variants, e.g. 1000,10000,100000.")
@click.option("--sections", help="Comma-separated subset of: engine, scaling, e2e, cold.")
@click.option("--runs", type=click.IntRange(1), help="Repeats per engine measurement.")
@click.option("--rate", type=click.FloatRange(0), help="Questions/s offered in the paced "
              "end-to-end run (default 300, the target in docs/performance.md; 0 skips it).")
@click.option("--questions", "questions_path",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Labelled JSONL to ask (default tests/data/dev_questions.jsonl).")
@click.option("--systems", help="Comma-separated systems for the engine section, e.g. "
              "govbot,bm25,bm25-pooled (default: govbot and every baseline).")
@click.option("--markdown", is_flag=True, help="Print the table as Markdown.")
@click.option("--json", "json_path", type=click.Path(path_type=Path),
              help="Also write the raw figures to this JSON file.")
@click.option("--profile", "profile_dir", type=click.Path(path_type=Path),
              help="Write py-spy profiles of the bot's end-to-end runs here (needs py-spy).")
def bench(quick: bool, sizes: str | None, sections: str | None, runs: int | None,
          rate: float | None, questions_path: Path | None, systems: str | None,
          markdown: bool, json_path: Path | None, profile_dir: Path | None) -> None:
    """Speed, accuracy and memory next to difflib, rapidfuzz and BM25.

    The sections and the figures from one machine: docs/performance.md. The
    end-to-end section (e2e) needs the source tree (tests/fakeapi/).

    \b
    Examples:
      govbot bench                       # the full run, a few minutes on 2 cores
      govbot bench --quick --sizes 300,1000
      govbot bench --sections engine,scaling --markdown
      govbot bench --sections engine --systems govbot,bm25,bm25-pooled \\
        --questions tests/data/holdout_questions.jsonl
    """
    from bot.bench import SECTIONS, BenchOptions, render_markdown, render_text, run_bench

    changes: dict[str, object] = {}
    try:
        if sizes:
            chosen_sizes = tuple(int(s.replace("_", "")) for s in sizes.split(",") if s)
            if any(size < 10 for size in chosen_sizes):
                raise ValueError("each size must be at least 10")
            changes["sizes"] = chosen_sizes
        if sections:
            chosen = tuple(s.strip() for s in sections.split(",") if s.strip())
            unknown = set(chosen) - set(SECTIONS)
            if unknown:
                raise click.BadParameter(
                    f"unknown section(s): {', '.join(sorted(unknown))}; "
                    f"choose from {', '.join(SECTIONS)}", param_hint="--sections")
            changes["sections"] = chosen
    except ValueError as exc:
        raise click.BadParameter(f"sizes must be whole numbers of variants ({exc})",
                                 param_hint="--sizes") from exc
    if runs:
        changes["runs"] = runs
    if rate is not None:
        changes["rate"] = rate
    if profile_dir:
        changes["profile_dir"] = profile_dir
    if questions_path:
        changes["questions_path"] = questions_path
    if systems:
        from bot.bench.engine import SYSTEMS
        chosen_systems = tuple(s.strip() for s in systems.split(",") if s.strip())
        unknown_systems = set(chosen_systems) - set(SYSTEMS)
        if unknown_systems or not chosen_systems:
            raise click.BadParameter(f"choose from {', '.join(SYSTEMS)}", param_hint="--systems")
        changes["systems"] = chosen_systems
    options = BenchOptions.quick(**changes) if quick else BenchOptions(**changes)  # type: ignore[arg-type]
    try:
        report = run_bench(options, lambda line: click.echo(f"… {line}", err=True))
    except RuntimeError as exc:  # a missing optional extra, or the bot process failing
        raise click.ClickException(str(exc)) from exc
    report.command = " ".join(["govbot", *sys.argv[1:]])
    click.echo(f"govbot bench on {report.machine}")
    click.echo((render_markdown if markdown else render_text)(report.rows()))
    if json_path:
        json_path.write_text(json.dumps(report.to_json(), indent=2, default=str) + "\n",
                             encoding="utf-8")
