"""The `assistant` command as a user runs it (subprocess, real index, real model)."""

import json
import os
import subprocess
import sys

from tests.conftest import CORPUS, SMALL_LLM


def run(args, tmp_path, stdin=None):
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(tmp_path / "index"), "ASSISTANT_LLM_MODEL": SMALL_LLM}
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True, env=env, input=stdin, timeout=600)


def test_ingest_ask_json_info(tmp_path):
    out = run(["ingest", "-q", str(CORPUS)], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "added 5" in out.stdout
    again = run(["ingest", "-q", str(CORPUS)], tmp_path)
    assert "unchanged 5" in again.stdout and "passages embedded: 0" in again.stdout

    ask = run(["ask", "--json", "Combien de citoyens syriens pourraient rentrer dans leur pays selon la Russie ?"], tmp_path)
    assert ask.returncode == 0, ask.stderr
    result = json.loads(ask.stdout)
    assert {"text", "language", "abstained", "citations", "timings"} <= result.keys()
    assert result["language"] == "fr"
    for c in result["citations"]:
        assert {"number", "doc_id", "title", "outlet", "date", "text", "char_start", "char_end", "score"} <= c.keys()

    info = run(["info"], tmp_path)
    assert json.loads(info.stdout)["documents"] == 5


def test_errors_are_one_clear_line_with_exit_2(tmp_path):
    missing = run(["ask", "Who was accused of leaking the letter?"], tmp_path)
    assert missing.returncode == 2
    assert "no index" in missing.stderr and "assistant ingest" in missing.stderr
    assert "Traceback" not in missing.stderr

    run(["ingest", "-q", str(CORPUS)], tmp_path)
    empty = run(["ask", "-"], tmp_path, stdin="   ")
    assert empty.returncode == 2 and "empty" in empty.stderr and "Traceback" not in empty.stderr


def test_chat_keeps_context_until_empty_line(tmp_path):
    run(["ingest", "-q", str(CORPUS)], tmp_path)
    out = run(["chat"], tmp_path, stdin="Combien de citoyens syriens pourraient rentrer dans leur pays ?\n\n")
    assert out.returncode == 0, out.stderr
    assert "890" in out.stdout
