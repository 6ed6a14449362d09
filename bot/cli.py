"""`govbot`: the command line of design.md §5. Each command is a thin shell over the Python API.

Exit codes: 0 success; 1 the command failed for a reason it printed (invalid knowledge, bad
input); 2 usage error (click's own). Errors go to stderr, one clear line first.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import replace
from pathlib import Path

import click

from bot.assistant import Assistant
from bot.config import Settings
from bot.console import render, run_chat
from bot.conversation import Conversation, Sender
from bot.evaluation import evaluate, read_labelled, sweep
from bot.kb.importer import import_knowledge, load_knowledge
from bot.model import entry_to_dict
from bot.store.db import open_db
from bot.store.knowledge import read_entries
from bot.store.people import People

LANG_CHOICE = click.Choice(["auto", "km", "en"])


def _print_sweep(assistant: Assistant, rows) -> None:
    base = assistant.thresholds
    gap = base.answer - base.suggest
    grid = [replace(base, answer=float(a), suggest=float(a) - gap) for a in range(30, 92, 2)]
    click.echo("answer  suggest  " + "  ".join(
        f"{lang}:right% wrong% oos-ok%" for lang in ("en", "km")))
    for thresholds, reports in sweep(assistant, rows, grid):
        cells = []
        for lang in ("en", "km"):
            f = reports[lang].as_dict() if lang in reports else {}
            cells.append(f"{f.get('answered_right_pct', 0):>9} {f.get('answered_wrong_pct', 0):>6}"
                         f" {f.get('out_of_scope_not_answered_pct', 0):>7}")
        mark = "  <- current" if thresholds.answer == base.answer else ""
        click.echo(f"{thresholds.answer:>6.0f}  {thresholds.suggest:>7.0f}  "
                   + "  ".join(cells) + mark)


def _settings() -> Settings:
    return Settings.from_env()


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
def main(verbose: bool) -> None:
    """govbot — the Cambodia Digital Government Assistant."""
    _utf8_streams()
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@main.command()
@click.argument("text", required=False)
@click.option("--lang", type=LANG_CHOICE, default="auto", show_default=True,
              help="Reply language; auto follows the question's script.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON reply of design.md §5.")
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


def _conversation(assistant: Assistant, settings: Settings) -> Conversation:
    return Conversation(assistant, People(assistant.db, settings.secret), settings.retention_days)


@main.command()
@click.option("--webhook", is_flag=True,
              help="Receive updates on $PORT at WEBHOOK_URL instead of long polling.")
def run(webhook: bool) -> None:
    """Run the Telegram bot (TELEGRAM_BOT_TOKEN; TELEGRAM_API_URL for a self-hosted server).

    \b
    Examples:
      TELEGRAM_BOT_TOKEN=123:ABC govbot run
      WEBHOOK_URL=https://bot.example.gov.kh/telegram PORT=8443 GOVBOT_SECRET=… govbot run --webhook
    """
    from bot.telegram.app import run as run_telegram  # telegram's stack only when serving

    settings = _settings()
    logging.getLogger().setLevel(logging.INFO)
    try:
        run_telegram(settings, _conversation(_assistant(), settings), webhook)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.option("--lang", type=click.Choice(["km", "en"]), default="en", show_default=True,
              help="Language of the replies.")
def chat(lang: str) -> None:
    """Talk to the bot in the terminal; type a number to press a button.

    \b
    Examples:
      govbot chat --lang km
      printf 'evisa\\n1\\n' | govbot chat
    """
    conversation = _conversation(_assistant(), _settings())
    sender = Sender("console:local", lang)
    interactive = sys.stdin.isatty()

    def lines():
        while True:
            try:
                line = input("> ") if interactive else sys.stdin.readline()
            except EOFError:
                return
            if not interactive and not line:
                return
            yield line

    run_chat(conversation, sender, lines(), lambda text: click.echo(text, nl=False))


@main.group()
def kb() -> None:
    """Knowledge base: validate, import, export."""


def _print_problems(problems) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


@kb.command("validate")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def kb_validate(path: Path | None) -> None:
    """Check the knowledge files without changing anything.

    \b
    Example:
      govbot kb validate knowledge/
    """
    path = path or _settings().knowledge_dir
    try:
        result = load_knowledge(path)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    if result.errors:
        click.echo(f"error: {len(result.errors)} problem(s) in {path}; nothing is valid until "
                   "they are fixed", err=True)
    _print_problems(result.problems)
    click.echo(f"{len(result.entries)} entries, {len(result.errors)} errors, "
               f"{len(result.warnings)} warnings")
    if result.errors:
        sys.exit(1)


@kb.command("import")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--editor", default="cli", show_default=True, help="Name recorded on revisions.")
def kb_import(path: Path | None, editor: str) -> None:
    """Validate, then apply all changes in one transaction (or none).

    \b
    Example:
      govbot kb import knowledge/ --editor sokha
    """
    settings = _settings()
    path = path or settings.knowledge_dir
    try:
        result = import_knowledge(open_db(settings.db_path), path, editor)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    if result.summary is None:
        click.echo(f"error: {len(result.validated.errors)} problem(s); nothing was imported",
                   err=True)
        _print_problems(result.validated.problems)
        sys.exit(1)
    _print_problems(result.validated.warnings)
    s = result.summary
    click.echo(f"added {len(s.added)}, changed {len(s.changed)}, removed {len(s.removed)}, "
               f"unchanged {len(s.unchanged)}; knowledge version {s.version}")
    for label, ids in (("added", s.added), ("changed", s.changed), ("removed", s.removed)):
        for entry_id in ids:
            click.echo(f"  {label}: {entry_id}")
    for entry_id, count in s.kept_editor_questions.items():
        click.echo(f"  kept {count} editor question(s) on {entry_id}")


@kb.command("export")
@click.option("--format", "fmt", type=click.Choice(["json"]), required=True)
@click.option("--out", type=click.Path(path_type=Path), help="File to write (default stdout).")
def kb_export(fmt: str, out: Path | None) -> None:
    """Write the stored knowledge base.

    \b
    Example:
      govbot kb export --format json --out kb.json
    """
    assistant = _assistant()
    data = [entry_to_dict(e) for e in read_entries(assistant.db)]
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@main.command("eval")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--misses", is_flag=True, help="List every question not answered right.")
@click.option("--sweep", is_flag=True,
              help="Show the figures for a range of answer thresholds (for calibration).")
def eval_(file, as_json: bool, misses: bool, sweep: bool) -> None:
    """Accuracy on a JSONL file of {"q", "lang", "topic": [...]} ([] = out of scope).

    \b
    Examples:
      govbot eval tests/data/dev_questions.jsonl
      govbot eval tests/data/dev_questions.jsonl --sweep
    """
    try:
        rows = read_labelled(file)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    assistant = _assistant()
    if sweep:
        _print_sweep(assistant, rows)
        return
    reports = evaluate(assistant, rows)
    figures = {lang: r.as_dict() for lang, r in sorted(reports.items())}
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
    if misses:
        for lang, report in sorted(reports.items()):
            if lang == "all":
                continue
            for row, answer in report.misses:
                got = answer.entry.topic if answer.entry else ",".join(
                    s.entry.topic for s in answer.suggestions)
                click.echo(f"MISS [{lang}] {answer.status} {answer.score:.0f} want="
                           f"{list(row.topics)} got={got}: {row.q}", err=True)
