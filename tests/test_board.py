"""The board without a browser: its state and columns, filters, the dependency picture, safe
HTML, path safety, the static export and the actions, through Werkzeug's test client and a
real `agentmd board` process."""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import cli, imported_modules

pytest.importorskip("werkzeug", reason="agentmd board needs the [board] extra (Werkzeug)")

from werkzeug.test import Client  # noqa: E402

from agentmd.board import depgraph, server  # noqa: E402
from agentmd.board import live as board_live  # noqa: E402
from agentmd.board import state as board_state  # noqa: E402
from agentmd.board.html import Links, markdown  # noqa: E402
from agentmd.tasks import graph  # noqa: E402
from agentmd.workspace.folder import Workspace  # noqa: E402

EXAMPLE_COLUMNS = {
    "todo": ["tokenizer", "cli", "counter", "json-output", "readme-usage"],
    "done": ["package-skeleton"],
}


def app_for(repo: Path, actions: bool = False) -> tuple[server.Board, Client]:
    state = board_live.Live(Workspace(repo), with_findings=False)
    app = server.Board(state, actions=actions)
    return app, Client(app)


def card_ids(page: str, status: str) -> list[str]:
    section = re.search(
        rf'<section class="column" data-status="{status}">(.*?)</section>', page, re.S
    )
    assert section, f"no {status} column"
    return re.findall(r'class="card[^"]*" href="[^"]*" data-id="([^"]+)"', section.group(1))


# -- state and columns -------------------------------------------------------------------------


def test_example_plan_cards_are_in_their_status_columns(example):
    state = board_state.build(Workspace(example))
    columns = {
        c.status: [card.id for card in c.cards] for c in state.columns(board_state.Filters())
    }
    assert columns == {
        "todo": EXAMPLE_COLUMNS["todo"],
        "active": [],
        "review": [],
        "done": EXAMPLE_COLUMNS["done"],
        "failed": [],
        "blocked": [],
    }
    assert state.cards["tokenizer"].ready is True
    assert state.cards["cli"].waits == "depends on 'counter' (todo)"


def test_a_column_shows_its_first_cards_and_counts_the_rest(example):
    ws = Workspace(example)
    state = board_state.build(ws)
    todo = next(c for c in state.columns(board_state.Filters(), limit=2) if c.status == "todo")
    assert (todo.total, todo.matching, [c.id for c in todo.cards]) == (5, 5, ["tokenizer", "cli"])
    page = Client(server.Board(board_live.Live(ws, with_findings=False))).get("/").text
    assert '<span class="count">5</span>' in page


def test_filters_by_text_status_owner_tag_and_path(example):
    cli(example, "claim", "tokenizer", "--as", "alice")
    task = example / ".agents/tasks/counter.md"
    task.write_text(task.read_text().replace("priority: medium", "priority: medium\ntags: [core]"))
    state = board_state.build(Workspace(example))

    def shown(**given: str) -> list[str]:
        filters = board_state.Filters.from_query(given)
        return sorted(card.id for c in state.columns(filters) for card in c.cards)

    assert shown(text="json") == ["json-output"]
    assert shown(text="WORDS") == ["tokenizer"]  # the title "Split text into words"
    assert shown(status="done") == ["package-skeleton"]
    assert shown(owner="ali") == ["tokenizer"]
    assert shown(tag="core") == ["counter"]
    # a path matches what a task reads or writes
    assert shown(path="src/tally/cli.py") == ["cli", "json-output", "readme-usage"]
    assert shown(path="src/tally/count.py") == ["cli", "counter"]
    assert shown(path="tests") == ["cli", "counter", "json-output", "package-skeleton", "tokenizer"]
    assert shown(owner="nobody") == []


def test_a_stale_claim_is_marked_on_its_card(example, monkeypatch):
    monkeypatch.setenv("AGENTMD_NOW", "2026-11-20T10:00:00Z")
    cli(example, "claim", "tokenizer", "--as", "alice")
    monkeypatch.setenv("AGENTMD_NOW", "2026-11-20T13:10:00Z")
    card = board_state.build(Workspace(example)).cards["tokenizer"]
    assert (card.owner, card.age, card.stale) == ("alice", "3h10m", True)
    _, client = app_for(example)
    page = client.get("/").text
    assert 'class="card prio-high stale"' in page
    assert 'alice · 3h10m <span class="stale-mark">stale</span>' in page


def test_check_findings_become_badges(example):
    ws = Workspace(example)
    live = board_live.Live(ws)
    assert live.check() is True
    assert live.state.badges["package-skeleton"] == (0, 5)
    page = Client(server.Board(live)).get("/").text
    assert '<span class="badge warnings">5 warnings</span>' in page
    assert live.check() is False  # nothing changed: no second event


def test_a_badge_never_comes_with_a_card_older_than_it(example):
    """A file event still on its way, or lost by the watcher on a busy machine: `check` sees
    the new file, so the card is drawn from it too, not from the rebuild before."""
    live = board_live.Live(Workspace(example))
    assert live.check() is True
    assert live.state.cards["cli"].priority == "medium"
    task = example / ".agents/tasks/cli.md"
    task.write_text(task.read_text().replace("priority: medium", "priority: urgent"))
    assert live.check() is True  # no note(), no rebuild: the event never came
    assert live.state.badges["cli"] == (1, 0)
    assert live.state.cards["cli"].priority == "urgent"


# -- the graph -----------------------------------------------------------------------------------


def test_critical_path_is_the_longest_chain_of_unfinished_tasks(example):
    ws = Workspace(example)
    assert depgraph.critical_path(ws.tasks) == ["tokenizer", "counter", "cli", "json-output"]
    picture = depgraph.draw(ws.tasks, graph.analyse(ws.tasks), Links())
    assert picture.drawn == 6 and picture.left_out == 0
    assert 'class="node ready critical" data-id="tokenizer"' in picture.svg
    assert 'class="node done" data-id="package-skeleton"' in picture.svg
    assert 'class="node blocked" data-id="readme-usage"' in picture.svg
    assert picture.svg.count('class="edge critical"') == 3


def test_critical_path_ignores_a_cycle(repo):
    cli(repo, "init")
    cli(repo, "add", "A", "--depends-on", "b")
    cli(repo, "add", "B", "--depends-on", "a")
    cli(repo, "add", "C", "--depends-on", "a")
    path = depgraph.critical_path(Workspace(repo).tasks)
    assert path in (["b", "a", "c"], ["a", "b"]) and len(path) == 3


# -- safe HTML -----------------------------------------------------------------------------------


def test_markdown_keeps_raw_html_and_script_links_as_text():
    out = markdown(
        "<script>alert(1)</script>\n\n[a](javascript:alert(2)) [b](JaVaScRiPt:x) "
        "[c](data:text/html,x) [d](vbscript:x) [ok](https://example.com/x) [rel](docs/a.md)\n"
    )
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert 'href="javascript' not in out.lower() and "[a](javascript:alert(2))" in out
    assert 'href="data:' not in out and 'href="vbscript' not in out
    assert '<a href="https://example.com/x">ok</a>' in out
    assert '<a href="docs/a.md">rel</a>' in out


def test_a_hostile_title_and_body_are_shown_as_text(example):
    cli(example, "add", "<script>alert(1)</script>", "--priority", "high")
    task = example / ".agents/tasks/script-alert-1-script.md"
    task.write_text(
        task.read_text()
        + '\n[click](javascript:alert(2))\n\n<img src=x onerror="alert(3)">\n'
        + '"><svg onload=alert(4)>\n'
    )
    _, client = app_for(example)
    board = client.get("/").text
    assert "<script>alert(1)</script>" not in board
    assert '<div class="card-title">&lt;script&gt;alert(1)&lt;/script&gt;</div>' in board
    page = client.get("/task/script-alert-1-script")
    assert page.status_code == 200
    text = page.text
    assert "<img src=x" not in text and "&lt;img src=x onerror=&quot;alert(3)&quot;&gt;" in text
    assert "<svg onload" not in text and "&lt;svg onload=alert(4)&gt;" in text
    assert 'href="javascript' not in text and "[click](javascript:alert(2))" in text
    assert page.headers["Content-Security-Policy"].startswith(
        "default-src 'none'; script-src 'self'"
    )


# -- paths -----------------------------------------------------------------------------------------


@pytest.fixture
def with_files(example, tmp_path):
    (example / "src").mkdir()
    (example / "src" / "app.py").write_text("print('hi')\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("the secret\n")
    os.symlink(outside, example / "out")
    os.symlink(outside / "secret.txt", example / ".agents/tasks/evil.md")
    return example


@pytest.mark.parametrize(
    "path",
    [
        "/file/..%2F..%2Fsecret.txt",
        "/file/src/..%2F..%2Foutside/secret.txt",
        "/file/%2Fetc%2Fpasswd",
        "/file/out/secret.txt",
        "/file/.git/config",
    ],
)
def test_paths_outside_the_repository_are_refused(with_files, path):
    _, client = app_for(with_files)
    response = client.get(path)
    assert response.status_code in (403, 404), response.status_code
    assert "the secret" not in response.text and "root:" not in response.text
    assert "only paths inside the repository are served" in response.text or (
        response.status_code == 404
    )


def test_a_file_inside_the_repository_is_shown_escaped(with_files):
    (with_files / "src" / "page.html").write_text("<b>bold</b>\n")
    _, client = app_for(with_files)
    assert "print(&#x27;hi&#x27;)" in client.get("/file/src/app.py").text
    assert "&lt;b&gt;bold&lt;/b&gt;" in client.get("/file/src/page.html").text


def test_a_task_file_that_links_out_is_not_read(with_files):
    _, client = app_for(with_files)
    page = client.get("/task/evil").text
    assert "the secret" not in page
    assert "symlink-outside" in page and "is a symlink that points outside the repository" in page


def test_task_ids_that_are_paths_are_refused(example):
    _, client = app_for(example)
    for path in ("/task/..%2Fplan", "/task/.hidden", "/task/nope"):
        response = client.get(path)
        assert response.status_code == 404, path
    assert "no task &#x27;nope&#x27;" in client.get("/task/nope").text


def test_a_real_board_refuses_raw_dot_dot_paths_and_foreign_hosts(with_files):
    proc, url = start_board(with_files)
    try:
        host, port = url.split("//")[1].rstrip("/").split(":")
        for raw in ("/file/../../outside/secret.txt", "/file/out/secret.txt", "/task/../plan"):
            conn = http.client.HTTPConnection(host, int(port), timeout=10)
            conn.request("GET", raw)
            response = conn.getresponse()
            body = response.read().decode()
            assert response.status in (403, 404), (raw, response.status)
            assert "the secret" not in body and "agentmd" in body
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("GET", "/", headers={"Host": "attacker.example:80"})
        response = conn.getresponse()
        assert response.status == 403
        assert "this board answers to" in response.read().decode()
    finally:
        stop_board(proc)


# -- export ----------------------------------------------------------------------------------------


def test_export_writes_static_pages_with_relative_links(example, tmp_path):
    out = tmp_path / "site"
    result = cli(example, "board", "--export", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote 11 files to {out}\n"
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "board.css",
        "graph.html",
        "index.html",
        "loop.html",
        "parallel.html",
        "task-cli.html",
        "task-counter.html",
        "task-json-output.html",
        "task-package-skeleton.html",
        "task-readme-usage.html",
        "task-tokenizer.html",
    ]
    index = (out / "index.html").read_text()
    assert card_ids(index, "done") == ["package-skeleton"]
    assert 'href="task-tokenizer.html"' in index and 'href="/task/' not in index
    assert "<script" not in index  # static pages carry no live script
    assert '<tr class="part" data-part="task">' in (out / "task-tokenizer.html").read_text()


# -- actions ---------------------------------------------------------------------------------------


def test_actions_are_refused_when_the_board_is_read_only(example):
    cli(example, "claim", "tokenizer", "--as", "alice")
    _, client = app_for(example)
    response = client.post("/action/release/tokenizer", headers={"X-Agentmd-Token": "x"})
    assert response.status_code == 403
    assert "start it with --actions" in response.text
    assert "status: active" in (example / ".agents/tasks/tokenizer.md").read_text()


def test_an_action_needs_this_runs_token(example):
    cli(example, "claim", "tokenizer", "--as", "alice")
    app, client = app_for(example, actions=True)
    for headers in ({}, {"X-Agentmd-Token": "guess"}):
        response = client.post("/action/release/tokenizer", headers=headers)
        assert response.status_code == 403
        assert "needs the board&#x27;s token" in response.text
    assert "status: active" in (example / ".agents/tasks/tokenizer.md").read_text()
    page = client.get("/task/tokenizer").text
    assert f'<meta name="agentmd-token" content="{app.token}">' in page
    assert 'data-action="release" data-task="tokenizer"' in page


def test_release_from_the_board_does_what_agentmd_release_does(example, tmp_path):
    twin = tmp_path / "twin"
    subprocess.run(["git", "clone", "-q", str(example), str(twin)], check=True)
    for repo in (example, twin):
        cli(repo, "claim", "tokenizer", "--as", "alice")
    app, client = app_for(example, actions=True)
    response = client.post("/action/release/tokenizer", headers={"X-Agentmd-Token": app.token})
    assert response.status_code == 200
    assert response.json == {"ok": True, "message": "released tokenizer (was active, by alice)"}
    by_cli = cli(twin, "release", "tokenizer")
    assert by_cli.stdout == "released tokenizer (was active, by alice)\n"
    task = ".agents/tasks/tokenizer.md"
    assert (example / task).read_text() == (twin / task).read_text()
    log = (example / ".agents/memory/log.md").read_text().splitlines()[-1]
    twin_log = (twin / ".agents/memory/log.md").read_text().splitlines()[-1]
    assert (
        log.split(" ", 2)[2]
        == twin_log.split(" ", 2)[2]
        == "release tokenizer: released from alice"
    )
    again = client.post("/action/release/tokenizer", headers={"X-Agentmd-Token": app.token})
    assert again.status_code == 409
    assert again.json["message"] == "task 'tokenizer' is todo: there is no claim to release"


def test_reopen_and_mark_reviewed_use_the_core_refusals(example):
    app, client = app_for(example, actions=True)
    token = {"X-Agentmd-Token": app.token}
    refused = client.post("/action/reopen/tokenizer", headers=token)
    assert refused.status_code == 409
    assert refused.json["message"] == (
        "task 'tokenizer' is todo: only a failed or blocked task is reopened"
    )
    cli(example, "claim", "tokenizer", "--as", "alice")
    for n in range(3):
        cli(example, "fail", "tokenizer", "--reason", f"try {n}")
        if n < 2:
            cli(example, "claim", "tokenizer", "--as", "alice")
    assert "status: failed" in (example / ".agents/tasks/tokenizer.md").read_text()
    done = client.post("/action/done/tokenizer", headers=token)
    assert done.status_code == 409
    assert done.json["message"].startswith("refused to mark 'tokenizer' done: ")
    reopened = client.post("/action/reopen/tokenizer", headers=token)
    assert reopened.json == {"ok": True, "message": "reopened tokenizer"}
    text = (example / ".agents/tasks/tokenizer.md").read_text()
    # a fresh budget of attempts, the history kept for the next prompt (as `agentmd reopen`)
    assert "status: todo" in text and "- Attempt 3" in text
    assert "attempts:" not in text
    log = (example / ".agents/memory/log.md").read_text().splitlines()[-1]
    assert log.endswith(" reopen tokenizer: was failed after 3 attempt(s)")


def test_mark_reviewed_is_refused_as_done_refuses_it(example):
    cli(example, "claim", "tokenizer", "--as", "alice")
    path = example / ".agents/tasks/tokenizer.md"
    path.write_text(path.read_text().replace("status: active", "status: review"))
    app, client = app_for(example, actions=True)
    assert 'data-action="done" data-task="tokenizer"' in client.get("/task/tokenizer").text
    response = client.post("/action/done/tokenizer", headers={"X-Agentmd-Token": app.token})
    assert response.status_code == 409
    by_cli = cli(example, "done", "tokenizer")
    assert by_cli.exit_code == 1
    assert f"agentmd: error: {response.json['message']}\n" in by_cli.stderr
    assert response.json["message"] == "refused to mark 'tokenizer' done: 2 problem(s) above"
    assert "\n".join(response.json["problems"]) + "\n" in by_cli.stderr
    assert len(response.json["problems"]) == 2
    assert "status: review" in path.read_text()


# -- the command -----------------------------------------------------------------------------------


def start_board(repo: Path, *args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentmd", "board", *args],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.match(r"agentmd board: (http://\S+) \(", line)
    if not match:
        proc.kill()
        raise AssertionError(
            f"no URL printed: {line!r} {proc.stderr.read() if proc.stderr else ''}"
        )
    return proc, match.group(1)


def stop_board(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_board_listens_on_loopback_on_a_free_port_and_prints_the_url(example):
    proc, url = start_board(example)
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", url)
        host, port = url.split("//")[1].rstrip("/").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("GET", "/")
        response = conn.getresponse()
        assert response.status == 200
        page = response.read().decode()
        assert card_ids(page, "todo") == EXAMPLE_COLUMNS["todo"]
        conn.request("GET", "/events")
        events = conn.getresponse()
        assert events.getheader("Content-Type") == "text/event-stream; charset=utf-8"
        assert events.readline() == b"retry: 1000\n"
        assert events.readline() == b"event: hello\n"
        assert json.loads(events.readline().decode().removeprefix("data: ")) == {"version": 0}
    finally:
        stop_board(proc)


def test_another_host_is_warned_about(example):
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentmd", "board", "--host", "0.0.0.0"],
        cwd=example,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stderr.readline() == (
            "warning: listening on 0.0.0.0: anyone who can reach this address sees the plan\n"
        )
        assert re.fullmatch(
            r"agentmd board: http://0\.0\.0\.0:\d+/ \(read-only; Ctrl-C stops it\)\n",
            proc.stdout.readline(),
        )
    finally:
        stop_board(proc)


def test_a_port_in_use_is_a_located_error(example):
    proc, url = start_board(example)
    try:
        port = url.rstrip("/").rsplit(":", 1)[1]
        result = subprocess.run(
            [sys.executable, "-m", "agentmd", "board", "--port", port],
            cwd=example,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 2
        assert result.stderr.startswith(f"agentmd: error: cannot listen on 127.0.0.1:{port}: ")
        assert "hint: choose another --port, or leave it out for a free one" in result.stderr
    finally:
        stop_board(proc)


def test_kind_of_ignores_the_boards_own_cache_writes(example):
    agents = example / ".agents"
    assert board_live.kind_of(agents, str(agents / "tasks" / "cli.md")) == "plan"
    assert board_live.kind_of(agents, str(agents / ".cache" / "index.bin")) is None
    assert (
        board_live.kind_of(agents, str(agents / ".cache" / "runs" / "cli" / "attempt-1.log"))
        == "runs"
    )
    assert board_live.kind_of(agents, str(example / "README.md")) is None


def test_the_parallel_page_says_what_holds_a_task_back(example):
    cli(example, "claim", "tokenizer", "--as", "alice")
    cli(example, "add", "Tokenizer docs", "--output", "src/tally/tokenize.py")
    _, client = app_for(example)
    page = client.get("/parallel").text
    assert '<div class="lane busy" data-id="tokenizer">' in page
    assert (
        '<li data-id="tokenizer-docs"><a href="/task/tokenizer-docs">tokenizer-docs</a>: '
        "held back by tokenizer: both write src/tally/tokenize.py</li>"
    ) in page


def test_the_loop_page_shows_each_slot_and_the_log(example):
    folder = example / ".agents/.cache/runs/cli"
    folder.mkdir(parents=True)
    record = {
        "task": "cli", "attempt": 2, "owner": "bob", "pid": 0, "process_start": "",
        "started": 0, "deadline": 0, "worktree": "", "branch": "",
    }  # fmt: skip
    (folder / "run.json").write_text(json.dumps(record))
    (folder / "attempt-2.log").write_text("line one\n<b>line two</b>\n")
    _, client = app_for(example)
    page = client.get("/loop").text
    assert '<section class="panel slot stopped" data-id="cli">' in page
    assert "attempt 2 · not running" in page
    assert '<pre class="log">line one\n&lt;b&gt;line two&lt;/b&gt;</pre>' in page


def test_a_commit_or_a_checkout_is_a_change_for_the_task_pages(example):
    assert board_live.git_kind(str(example / ".git" / "HEAD")) == "git"
    assert board_live.git_kind(str(example / ".git" / "refs" / "heads" / "main")) == "git"
    assert board_live.git_kind(str(example / ".git" / "refs" / "heads" / "main.lock")) is None
    assert board_live.git_kind(str(example / ".git" / "index")) is None
    folders = board_live._git_folders(example)
    assert folders == [(example / ".git", False), (example / ".git" / "refs" / "heads", True)]


def test_without_the_extra_the_command_says_how_to_install_it(example, monkeypatch):
    monkeypatch.setitem(sys.modules, "werkzeug", None)  # `import werkzeug` now fails
    result = cli(example, "board")
    assert result.exit_code == 2
    assert result.stderr == (
        "agentmd: error: agentmd board needs Werkzeug, which is not installed\n"
        "  hint: pip install 'agentmd-cli[board]'\n"
    )
    assert result.stdout == ""


def test_other_commands_never_import_werkzeug(example, tmp_path):
    for args in (("--version",), ("status",), ("next",), ("check",), ("board", "--help")):
        modules = imported_modules(example, *args)
        assert "agentmd.cli" in modules, args  # the measurement sees agentmd's own imports
        assert not {m for m in modules if m.split(".")[0] == "werkzeug"}, args
        assert "agentmd.board.server" not in modules, args
    exported = imported_modules(example, "board", "--export", str(tmp_path / "site"))
    assert "werkzeug" in exported and "agentmd.board.server" in exported


def test_a_task_page_shows_the_models_reviews_of_it(example):
    reviews = example / ".agents/reviews"
    reviews.mkdir()
    (reviews / "2026-11-21-counter.md").write_text(
        "---\ntask: counter\nverdict: changes requested\nblocking: 1\nfindings: 1\n"
        "base: abc\nhead: def\n---\n## Findings\n\n- `src/tally/count.py:3`: <b>no test</b>\n"
    )
    (reviews / "2026-11-21-cli.md").write_text("---\ntask: cli\nverdict: pass\n---\nfine\n")
    _, client = app_for(example)
    page = client.get("/task/counter").text
    assert (
        "<h3><code>.agents/reviews/2026-11-21-counter.md</code> "
        '<span class="verdict invalid">changes requested</span></h3>'
    ) in page
    assert "&lt;b&gt;no test&lt;/b&gt;" in page
    assert "2026-11-21-cli.md" not in page
    assert '<section class="panel reviews">' not in client.get("/task/tokenizer").text


def test_the_verify_panel_asks_git_for_head_only_for_a_task_whose_verify_ran(
    example, monkeypatch
):
    """A task never verified asks git nothing (an export of 10,000 tasks asked `git rev-parse
    HEAD` once for each); one verified still compares its commit with HEAD."""
    from agentmd import git as agentmd_git
    from agentmd.tasks import verification

    ws = Workspace(example)
    never = [t for t in ws.tasks.values() if t.verify and not t.record.fields.get("verified_at")]
    assert never
    asked = []
    real = agentmd_git.head
    monkeypatch.setattr(agentmd_git, "head", lambda root: asked.append(root) or real(root))
    for task in never:
        why = verification.recorded_pass(ws, task)
        assert why == f"its verify commands have not been run: run 'agentmd verify {task.id}'"
    assert asked == []
    ran = never[0].record.fields | {
        "verified_at": "2026-11-21T08:00:00Z",
        "verified_commit": "0" * 40,
        "verify_exit": [0] * len(never[0].verify),
        "verified_clean": True,
    }
    task = never[0]._replace(record=never[0].record._replace(fields=ran))
    assert "not at HEAD" in (verification.recorded_pass(ws, task) or "")
    assert asked == [example]


def test_an_export_writes_no_temporary_file_and_the_same_pages_twice(example, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    assert cli(example, "board", "--export", str(first)).exit_code == 0
    assert cli(example, "board", "--export", str(second)).exit_code == 0
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir()) and "index.html" in names
    assert not [n for n in names if n.endswith(".tmp")]
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
