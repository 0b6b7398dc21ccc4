"""The board's live state: rebuilt when watchdog reports a change under .agents/ (or a loop
log, or git's HEAD and branches), each change numbered and announced to the waiting pages."""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from pathlib import Path

from agentmd.board import state as board_state
from agentmd.errors import AgentmdError
from agentmd.workspace.folder import CACHE_DIR, Workspace

SETTLE = 0.05  # seconds to gather a burst of file events into one rebuild
CHECK_AFTER = 0.3  # seconds of quiet before `check` runs for the badges


class Live:
    """The board's state and its version; waiters are woken when a change is published.
    One lock guards the workspace: request threads and the watcher share it."""

    def __init__(self, ws: Workspace, with_findings: bool = True):
        self.ws = ws
        self.lock = threading.RLock()
        self.changed = threading.Condition()
        self.version = 0
        self.history: deque[tuple[int, frozenset[str]]] = deque(maxlen=200)
        self.with_findings = with_findings
        self._checked = Workspace(ws.root)  # check's own: its caches are not the pages'
        self._checked.keep_findings()  # it checks again at each change
        self.stopping = False
        self._pending: set[str] = set()
        self._wake = threading.Event()
        with self.lock:
            self.state = board_state.build(ws)

    # -- changes -------------------------------------------------------------------------------

    def note(self, kind: str) -> None:
        """A file event (from watchdog's thread): rebuild soon."""
        self._pending.add(kind)
        self._wake.set()

    def publish(self, kinds: set[str]) -> None:
        with self.changed:
            self.version += 1
            self.history.append((self.version, frozenset(kinds)))
            self.changed.notify_all()

    def since(self, version: int) -> set[str]:
        kinds: set[str] = set()
        for number, found in list(self.history):
            if number > version:
                kinds |= found
        return kinds

    def rebuild(self) -> None:
        with self.lock:
            self.ws.refresh()
            old = self.state
            self.state = board_state.with_findings(
                board_state.build(self.ws), old.problems, old.badges
            )

    def check(self) -> bool:
        """`check`'s findings for the badges, on a workspace object of its own so that pages
        are served meanwhile; True when they changed."""
        from agentmd.checks import passes
        from agentmd.prompt.tokens import ESTIMATE

        ws = self._checked
        ws.refresh()
        try:
            found = tuple(passes.check_workspace(ws, ESTIMATE).problems)
        except AgentmdError:
            return False
        from agentmd.workspace.folder import signature

        with self.lock:
            # The badges and the cards from the same files: a file event still on its way (or
            # lost by the watcher under load) must not leave a card older than its badge.
            stale = signature(ws.scanned) != signature(self.ws.scanned)
        if stale:
            self.rebuild()
        if found == self.state.problems and not stale:
            return False
        badges = board_state.findings_by_task(ws, found)
        with self.lock:
            self.state = board_state.with_findings(self.state, found, badges)
        return True

    def run(self) -> None:
        """The watcher's worker: each burst of events, one rebuild and one event to the pages;
        then, once the files have been quiet for CHECK_AFTER (the pages have fetched what
        changed by then), `check` for the badges, and a second event if they changed."""
        check_due = self.with_findings
        while not self.stopping:
            woken = self._wake.wait(CHECK_AFTER if check_due else None)
            if self.stopping:
                return
            if not woken:
                check_due = False
                if self.check():
                    self.publish({"plan"})
                continue
            time.sleep(SETTLE)
            self._wake.clear()
            kinds, self._pending = self._pending, set()
            if "plan" in kinds:
                self.rebuild()
                check_due = self.with_findings
            self.publish(kinds)

    def stop(self) -> None:
        self.stopping = True
        self._wake.set()
        with self.changed:
            self.changed.notify_all()


def kind_of(agents: Path, path: str) -> str | None:
    """What a file event changes: the plan, the loop's runs, or nothing the board shows (the
    index cache the board itself writes, the lock)."""
    try:
        rel = Path(path).resolve().relative_to(agents.resolve()).as_posix()
    except (ValueError, OSError):
        return None
    if rel == CACHE_DIR or rel.startswith(CACHE_DIR + "/"):
        return "runs" if rel.startswith(f"{CACHE_DIR}/runs/") else None
    return "plan"


def git_kind(path: str) -> str | None:
    """A commit, a checkout or a moved branch changes what a task page says of verify runs and
    of the diff; the index and objects do not."""
    parts = Path(path).parts
    if parts and parts[-1] in ("HEAD", "packed-refs"):
        return "git"
    if "refs" in parts and "heads" in parts and not path.endswith(".lock"):
        return "git"
    return None


def watch(live: Live):
    """Start watchdog on .agents/ (recursive) and on git's HEAD and branches; returns the
    observer."""
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    agents = live.ws.agents

    class Handler(FileSystemEventHandler):
        def __init__(self, classify):
            self.classify = classify

        def on_any_event(self, event) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            for path in (event.src_path, getattr(event, "dest_path", "")):
                kind = self.classify(os.fsdecode(path)) if path else None
                if kind:
                    live.note(kind)

    observer = Observer()
    observer.schedule(Handler(lambda p: kind_of(agents, p)), str(agents), recursive=True)
    for folder, recursive in _git_folders(live.ws.root):
        observer.schedule(Handler(git_kind), str(folder), recursive=recursive)
    observer.daemon = True
    observer.start()
    return observer


def _git_folders(root: Path) -> list[tuple[Path, bool]]:
    from agentmd import git

    result = git.run(["rev-parse", "--absolute-git-dir", "--git-common-dir"], root, check=False)
    lines = result.stdout.splitlines()
    if result.returncode != 0 or len(lines) != 2:
        return []
    own, common = Path(lines[0]), (root / lines[1]).resolve()
    found = [(own, False)]
    if (common / "refs" / "heads").is_dir():
        found.append((common / "refs" / "heads", True))
    if common != own:
        found.append((common, False))
    return found
