"""The `govbot` command line: the contract other tools and editors rely on (docs/reference.md)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bot.cli import main


@pytest.fixture
def run(settings, monkeypatch):
    monkeypatch.setenv("GOVBOT_DB", str(settings.db_path))
    monkeypatch.setenv("GOVBOT_KNOWLEDGE", str(settings.knowledge_dir))
    runner = CliRunner()

    def invoke(*args: str, input: bytes | str | None = None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke


def test_ask_json_in_english_and_khmer(run):
    en = json.loads(run("ask", "how do I apply for an e-visa", "--json").stdout)
    km = json.loads(run("ask", "តើខ្ញុំស្នើសុំ e-Visa ដោយរបៀបណា", "--json").stdout)
    assert (en["status"], en["entry"]["topic"], en["lang"]) == ("answer", "evisa", "en")
    assert (km["status"], km["entry"]["topic"], km["lang"]) == ("answer", "evisa", "km")
    assert km["entry"]["title"] == "ការស្នើសុំ e-Visa"


def test_ask_text_shows_title_answer_and_links(run):
    out = run("ask", "evisa fee").stdout
    assert "== How much the e-Visa costs ==" in out
    assert "US$30" in out and "<b>" not in out
    assert "Official site: https://www.evisa.gov.kh/" in out


def test_first_use_creates_the_store_without_any_other_command(run, settings):
    assert not settings.db_path.exists()
    run("ask", "evisa", "--json")
    assert settings.db_path.exists()


def test_jsonl_batch_keeps_order_and_survives_bad_lines(run):
    lines = [
        json.dumps({"q": "evisa fee", "lang": "en"}).encode(),
        b"{not json",
        b"\xff\xfe invalid utf-8",
        json.dumps({"q": "", "lang": "auto"}).encode(),
        json.dumps({"q": "ធ្វើកាតខ្មែរ", "lang": "km"}, ensure_ascii=False).encode(),
        json.dumps({"question": "missing q"}).encode(),
    ]
    result = run("ask", "--jsonl", input=b"\n".join(lines) + b"\n")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: 3 input line(s)")
    replies = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(replies) == 6
    assert replies[0]["entry"]["id"] == "evisa-fees"
    assert replies[1]["line"] == 2 and "not a valid request" in replies[1]["error"]
    assert replies[2] == {"error": "the line is not valid UTF-8", "line": 3}
    assert replies[3]["status"] == "fallback"
    assert replies[4]["entry"]["id"] == "id-card-apply" and replies[4]["lang"] == "km"
    assert replies[5]["line"] == 6


def test_jsonl_all_good_exits_zero(run):
    result = run("ask", "--jsonl", input='{"q": "evisa"}\n{"q": "passport fee", "lang": "km"}\n')
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 2


def test_usage_errors_exit_2(run):
    assert run("ask").exit_code == 2
    assert run("ask", "x", "--lang", "fr").exit_code == 2
    assert run("kb", "export").exit_code == 2


def test_kb_validate_reports_and_exits_1_on_errors(run, knowledge):
    ok = run("kb", "validate", str(knowledge))
    assert ok.exit_code == 0 and "3 entries, 0 errors, 0 warnings" in ok.stdout
    path = knowledge / "visitors" / "evisa-apply.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("topic: evisa", "topic: visa"),
                    encoding="utf-8")
    bad = run("kb", "validate", str(knowledge))
    assert bad.exit_code == 1
    assert bad.stderr.splitlines()[0].startswith("error: 1 problem(s)")
    assert "evisa-apply.yaml:2: error: topic:" in bad.stderr


def test_kb_import_prints_a_summary_and_is_idempotent(run, knowledge):
    run("ask", "evisa", "--json")  # first use fills the store
    again = run("kb", "import", str(knowledge))
    assert again.exit_code == 0
    assert again.stdout.startswith("added 0, changed 0, removed 0, unchanged 3")


def test_kb_export_json_has_both_languages_and_questions(run):
    data = json.loads(run("kb", "export", "--format", "json").stdout)
    assert [e["id"] for e in data] == ["evisa-apply", "evisa-fees", "id-card-apply"]
    assert data[1]["km"]["questions"][1] == "វីសាប៉ុន្មានលុយ"
    assert data[1]["en"]["title"] == "How much the e-Visa costs"


def test_eval_prints_figures_per_language(run, tmp_path):
    rows = [
        {"q": "how much is the e-visa", "lang": "en", "topic": ["evisa"]},
        {"q": "ធ្វើអត្តសញ្ញាណប័ណ្ណនៅឯណា", "lang": "km", "topic": ["id-card"]},
        {"q": "weather in kampot", "lang": "en", "topic": []},
    ]
    path = tmp_path / "dev.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    figures = json.loads(run("eval", str(path), "--json").stdout)
    assert figures["en"]["answered_right_pct"] == 100.0
    assert figures["en"]["out_of_scope_not_answered_pct"] == 100.0
    assert figures["km"]["answered_right_pct"] == 100.0
    assert figures["all"]["questions"] == 3


def test_eval_reasons_count_why_questions_were_not_answered_right(run, tmp_path):
    rows = [
        {"q": "how much is the e-visa", "lang": "en", "topic": ["evisa"]},  # right
        {"q": "renew", "lang": "en", "topic": ["passport"]},  # not answered: many services renew
        {"q": "how much is the e-visa", "lang": "en", "topic": ["tax"]},  # labelled otherwise
        {"q": "what is the e-visa fee", "lang": "en", "topic": []},  # out of scope: not counted
    ]
    path = tmp_path / "dev.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    out = run("eval", str(path), "--reasons").stdout
    losses = out.split("en: 3 in scope, not answered right because:\n")[1].splitlines()
    assert len(losses) == 2  # neither the question answered right nor the out-of-scope one
    assert "   33.3%      1  answered wrong (sure enough)" in losses
    assert any(line.endswith(("another topic within the margin", "the model not sure enough",
                              "nothing close enough to offer")) for line in losses)
    figures = json.loads(run("eval", str(path), "--reasons", "--json").stdout)
    assert sum(figures["en"]["not_right_because"].values()) == 2
    assert run("eval", str(path), "--reasons", "--sweep").exit_code == 2  # a usage error


def test_chat_reads_lines_and_numbers_press_buttons(run):
    out = run("chat", "--lang", "en", input="visa\n1\n").stdout
    assert "Did you mean:" in out or "==" in out
    assert out.count("==") >= 2  # the pressed choice shows an entry


def test_chat_greeting_says_how_to_leave_in_the_chosen_language(run):
    assert "(Type /quit to leave.)" in run("chat", "--lang", "en", input="").stdout
    assert "(សូមវាយ /quit ដើម្បីចាកចេញ។)" in run("chat", "--lang", "km", input="").stdout


def test_chat_without_lang_replies_in_the_language_the_person_writes(run):
    out = run("chat", input="វីសាប៉ុន្មានលុយ\nevisa fee\n").stdout
    assert "(Type /quit to leave.)" in out  # nothing written yet: English
    assert "== តម្លៃ e-Visa ==" in out
    assert "== How much the e-Visa costs ==" not in out  # Khmer stays once written


def test_chat_remembers_the_language_for_the_next_chat_and_says_how_to_leave_in_it(run):
    run("chat", input="វីសាប៉ុន្មានលុយ\n")
    out = run("chat", input="").stdout
    assert "(សូមវាយ /quit ដើម្បីចាកចេញ។)" in out and "(Type /quit to leave.)" not in out


def test_chat_quit_ends_the_chat_before_the_next_question(run):
    result = run("chat", "--lang", "en", input="/quit\nevisa fee\n")
    assert result.exit_code == 0
    assert "How much the e-Visa costs" not in result.stdout


def test_chat_from_a_pipe_echoes_each_question_before_its_reply(run):
    out = run("chat", "--lang", "en", input="evisa fee\n\n").stdout
    echoed = out.index("> evisa fee\n")
    assert out.index("== How much the e-Visa costs ==") > echoed
    assert out.count("> ") == 1  # an empty line is not a question


def _chat_in_a_terminal(settings, keys: bytes) -> tuple[int, str]:
    """Run `govbot chat` on a pseudo-terminal, type `keys` after the greeting; (exit, output)."""
    import os
    import pty
    import select
    import subprocess
    import sys

    env = {**os.environ, "GOVBOT_DB": str(settings.db_path),
           "GOVBOT_KNOWLEDGE": str(settings.knowledge_dir)}
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "chat", "--lang", "en"], env=env,
                            stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    output = b""

    def read_until(marker: bytes) -> None:
        nonlocal output
        while marker not in output:
            ready, _, _ = select.select([master], [], [], 60)
            assert ready, f"no {marker!r} from govbot chat; got {output!r}"
            try:
                output += os.read(master, 4096)
            except OSError:  # the child closed the terminal
                return

    try:
        read_until(b"> ")  # the prompt after the greeting
        if keys == b"\x03":
            # A person presses Ctrl-C a moment after the prompt shows, not in the microseconds
            # before `input` is reading (a signal that early raced readline on a loaded machine).
            __import__("time").sleep(0.5)
            proc.send_signal(__import__("signal").SIGINT)  # what the terminal does on Ctrl-C
        else:
            os.write(master, keys)
        code = proc.wait(60)
        read_until(b"\0")  # drain what is left
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return code, output.decode("utf-8", "replace")


def test_chat_ctrl_d_leaves_cleanly(settings):
    code, output = _chat_in_a_terminal(settings, b"\x04")
    assert code == 0
    assert "Traceback" not in output and "Aborted" not in output


def test_chat_ctrl_c_leaves_cleanly(settings):
    code, output = _chat_in_a_terminal(settings, b"\x03")
    assert code == 0
    assert "Traceback" not in output and "Aborted" not in output


def test_version_prints_the_installed_version(run):
    from importlib.metadata import version

    assert run("--version").stdout == f"govbot, version {version('govbot')}\n"


@pytest.mark.parametrize("args", [["--help"], ["kb", "--help"]])
def test_help_lists_every_command_without_cutting_descriptions_short(run, args):
    out = run(*args).stdout
    commands = out.split("Commands:")[1]
    assert "..." not in commands
    assert "crosscheck" in commands if args[0] == "kb" else "bench" in commands


def test_kb_help_shows_examples_of_each_command(run):
    out = run("kb", "--help").stdout
    for command in ("validate", "import", "export", "history", "rollback", "stale", "gaps",
                    "crosscheck"):
        assert f"govbot kb {command}" in out


def test_ask_json_suggestions_are_best_first_and_never_scored_zero(run, knowledge):
    path = knowledge / "visitors" / "evisa-fees.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("related: [evisa-apply]",
                                 "related: [id-card-apply, evisa-apply]"), encoding="utf-8")
    fee = json.loads(run("ask", "evisa fee", "--json").stdout)
    assert fee["entry"]["id"] == "evisa-fees"
    assert [s["id"] for s in fee["suggestions"]] == ["evisa-apply"]  # the id card: no match


def test_ask_json_lists_suggestions_best_first(assistant):
    from dataclasses import replace

    from bot.assistant import Suggestion

    answer = assistant.ask("evisa fee")
    entries = assistant.snapshot.entries
    answer = replace(answer, suggestions=(Suggestion(entries["id-card-apply"], 20.0),
                                          Suggestion(entries["evisa-apply"], 60.0)))
    shown = answer.to_json()["suggestions"]
    assert [(s["id"], s["score"]) for s in shown] == [("evisa-apply", 0.6),
                                                      ("id-card-apply", 0.2)]
