"""The board in a real browser: Debian's chromium, headless, driven by Playwright (the system
browser, never a downloaded one). Screenshots go to $AGENTMD_ARTIFACTS, else build/artifacts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, cli

pytest.importorskip("werkzeug", reason="agentmd board needs the [board] extra (Werkzeug)")
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (.[dev])")

from test_board import EXAMPLE_COLUMNS, start_board, stop_board  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not os.access(CHROMIUM, os.X_OK):
    pytest.skip(
        "no chromium here: apt-get install chromium (scripts/test.sh does, as root)",
        allow_module_level=True,
    )

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 10_000  # generous on a busy machine; the benchmark measures the real latency


def artifacts() -> Path:
    folder = Path(os.environ.get("AGENTMD_ARTIFACTS") or ROOT / "build" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1400, "height": 900},
        )
        yield context
        context.close()


@pytest.fixture
def page(browser):
    tab = browser.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tab.dialogs = dialogs  # type: ignore[attr-defined]
    yield tab
    tab.close()


@pytest.fixture
def board(example):
    proc, url = start_board(example)
    yield example, url
    stop_board(proc)


def live(page) -> None:
    page.wait_for_selector("#live.live.live", timeout=WAIT_MS)


def column_ids(page, status: str) -> list[str]:
    return page.eval_on_selector_all(
        f'section.column[data-status="{status}"] .card',
        "cards => cards.map(c => c.dataset.id)",
    )


def test_the_example_board_shows_every_task_in_its_column(board, page):
    repo, url = board
    page.goto(url)
    live(page)
    tasks = json.loads(cli(repo, "list", "--json").stdout)["tasks"]
    listed = {t["id"]: t["status"] for t in tasks}
    for status in ("todo", "active", "review", "done"):
        expected = sorted(tid for tid, s in listed.items() if s == status)
        assert sorted(column_ids(page, status)) == expected, status
    assert column_ids(page, "todo") == EXAMPLE_COLUMNS["todo"]
    assert page.inner_text('section[data-status="todo"] h2 .count') == "5"
    page.screenshot(path=str(artifacts() / "board.png"), full_page=True)


def test_a_claim_from_the_cli_moves_its_card(board, page):
    repo, url = board
    page.goto(url)
    live(page)
    assert "tokenizer" in column_ids(page, "todo")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "agentmd", "claim", "tokenizer", "--as", "alice"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == "claimed tokenizer as alice\n"
    page.wait_for_selector(
        'section[data-status="active"] .card[data-id="tokenizer"]', timeout=WAIT_MS
    )
    moved = time.monotonic() - started
    assert "tokenizer" not in column_ids(page, "todo")
    assert column_ids(page, "todo") == ["cli", "counter", "json-output", "readme-usage"]
    claim = page.inner_text('.card[data-id="tokenizer"] .claim')
    assert claim.startswith("alice · ")
    (artifacts() / "live-update.txt").write_text(f"claim to card moved: {moved:.3f} s\n")


def test_the_task_page_shows_the_prompt_with_its_parts(board, page):
    _, url = board
    page.goto(url)
    live(page)
    page.click('.card[data-id="counter"]')
    page.wait_for_selector("section.prompt")
    assert page.inner_text(".task-head h1") == "Count word frequencies"
    parts = page.eval_on_selector_all("tr.part", "rows => rows.map(r => r.dataset.part)")
    assert parts[:4] == ["header", "plan", "constraints", "task"] and parts[-1] == "finish"
    tokens = page.eval_on_selector_all("tr.part td.num", "cells => cells.map(c => c.textContent)")
    assert all(t.replace(",", "").isdigit() and int(t.replace(",", "")) > 0 for t in tokens)
    assert page.inner_text(".dropped") == "Nothing left out: the whole prompt fits."
    page.click("section.prompt details summary")
    prompt = page.inner_text("pre.prompt-text")
    assert prompt.startswith("# Count word frequencies\n\nYou are a coding agent starting")
    page.screenshot(path=str(artifacts() / "task.png"), full_page=True)


def test_a_hostile_title_and_links_stay_text_in_the_browser(example, page):
    cli(example, "add", "<script>alert(1)</script>", "--priority", "high")
    task = example / ".agents/tasks/script-alert-1-script.md"
    task.write_text(
        task.read_text() + '\n[click me](javascript:alert(2))\n\n<img src=x onerror="alert(3)">\n'
    )
    proc, url = start_board(example)
    try:
        page.goto(url)
        live(page)
        title = page.inner_text('.card[data-id="script-alert-1-script"] .card-title')
        assert title == "<script>alert(1)</script>"
        page.click('.card[data-id="script-alert-1-script"]')
        page.wait_for_selector("article.body")
        body = page.inner_text("article.body")
        assert "[click me](javascript:alert(2))" in body
        assert '<img src=x onerror="alert(3)">' in body
        assert page.eval_on_selector_all("article.body a, article.body img", "e => e.length") == 0
        page.wait_for_timeout(300)
        assert page.dialogs == []  # type: ignore[attr-defined]
        assert page.inner_text(".task-head h1") == "<script>alert(1)</script>"
    finally:
        stop_board(proc)


def test_paths_out_of_the_repository_are_refused_in_the_browser(example, page, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("the secret\n")
    os.symlink(outside, example / "out")
    (example / "notes.txt").write_text("inside the repository\n")
    proc, url = start_board(example)
    try:
        shown = page.goto(url + "file/notes.txt")
        assert shown is not None and shown.status == 200
        assert page.inner_text("pre.file") == "inside the repository\n"
        for path in (
            "file/out/secret.txt",
            "file/src/%2E%2E%2F%2E%2E%2Foutside/secret.txt",
            "file/%2Fetc%2Fpasswd",
        ):
            response = page.goto(url + path)
            assert response is not None and response.status in (403, 404), path
            assert "the secret" not in page.content() and "root:x:" not in page.content()
            refusal = page.inner_text("main")
            assert refusal.startswith(("403 Forbidden", "404 Not Found")), refusal
    finally:
        stop_board(proc)


def test_actions_need_the_flag_and_act_like_the_cli(example, page):
    cli(example, "claim", "tokenizer", "--as", "alice")
    proc, url = start_board(example, "--actions")
    try:
        page.goto(url + "task/tokenizer")
        live(page)
        page.click('button.action[data-action="release"]')
        page.wait_for_selector("#toast.ok", timeout=WAIT_MS)
        assert page.inner_text("#toast") == "released tokenizer (was active, by alice)"
        page.wait_for_selector(".task-head .status.s-todo", timeout=WAIT_MS)
        assert "status: todo" in (example / ".agents/tasks/tokenizer.md").read_text()
    finally:
        stop_board(proc)


def test_the_graph_marks_the_critical_path(board, page):
    _, url = board
    page.goto(url + "graph")
    critical = page.eval_on_selector_all(
        "svg.depgraph a.node.critical", "nodes => nodes.map(n => n.dataset.id)"
    )
    assert sorted(critical) == ["cli", "counter", "json-output", "tokenizer"]
    assert page.eval_on_selector_all("svg.depgraph a.node.done", "n => n.length") == 1
    page.screenshot(path=str(artifacts() / "graph.png"), full_page=True)


def test_a_loop_log_tail_updates_as_the_log_grows(board, page):
    repo, url = board
    folder = repo / ".agents/.cache/runs/tokenizer"
    folder.mkdir(parents=True)
    record = {
        "task": "tokenizer", "attempt": 1, "owner": "alice", "pid": 0, "process_start": "",
        "started": time.time() - 90, "deadline": time.time() + 3600,
        "worktree": ".agents/.cache/worktrees/tokenizer", "branch": "agentmd/tokenizer",
    }  # fmt: skip
    log = folder / "attempt-1.log"
    log.write_text("worker: reading the task\n")
    (folder / "run.json").write_text(json.dumps(record))
    page.goto(url + "loop")
    live(page)
    assert page.inner_text('.slot[data-id="tokenizer"] pre.log') == "worker: reading the task"
    with log.open("a") as out:
        out.write("worker: 3 tests pass\n")
    page.wait_for_function(
        "() => document.querySelector('.slot pre.log').textContent.endsWith('3 tests pass')",
        timeout=WAIT_MS,
    )
    assert page.inner_text('.slot[data-id="tokenizer"] pre.log') == (
        "worker: reading the task\nworker: 3 tests pass"
    )
    assert "attempt 1 · not running" in page.inner_text('.slot[data-id="tokenizer"]')


def test_a_new_check_finding_shows_as_a_badge(board, page):
    repo, url = board
    page.goto(url)
    live(page)
    assert page.query_selector('.card[data-id="cli"] .badge.errors') is None
    task = repo / ".agents/tasks/cli.md"
    task.write_text(task.read_text().replace("priority: medium", "priority: urgent"))
    page.wait_for_selector('.card[data-id="cli"] .badge.errors', timeout=WAIT_MS)
    assert page.inner_text('.card[data-id="cli"] .badge.errors') == "1 error"
    # The card's fields and check's badges come in two events (a rebuild at once, `check` once
    # the files are quiet); both must arrive, the card not older than its badge.
    page.wait_for_function(
        "() => document.querySelector('.card[data-id=\"cli\"] .prio')"
        "?.textContent.trim().toLowerCase() === 'urgent'",
        timeout=WAIT_MS,
    )
    assert page.inner_text('.card[data-id="cli"] .prio') == "Urgent"  # CSS capitalises it
