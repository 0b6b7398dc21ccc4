"""`agentmd next` without the command line: pick the next ready task, or a batch that can run
side by side; compile each prompt before claiming, so that a task too large to delegate is never
claimed; claim (here, or committed and pushed); and remember what a run that changes nothing
printed, for the next run that finds the same files.

The compiler and the task graph are imported when a prompt is really compiled: a remembered
output needs neither, and that is the run a hook or a loop makes most often.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, NamedTuple

from agentmd.errors import LocatedError, NothingToDo, Problem
from agentmd.workspace import memo
from agentmd.workspace.folder import Workspace, is_cold

if TYPE_CHECKING:
    from agentmd.api.exact_tokens import Comparison
    from agentmd.prompt.compiler import Compiled
    from agentmd.tasks import graph, parallel
    from agentmd.workspace.records import Task


class Ask(NamedTuple):
    """What `next` was asked for. (Named tuples here: a remembered run imports this module
    before click, and dataclasses would import inspect.)"""

    budget: int | None = None  # tokens for each prompt; None: plan.md's
    counter: str = "estimate"  # how tokens are counted: estimate | exact (the Anthropic API)
    claim: bool = False  # claim what is printed
    owner: str | None = None  # who claims; None: $AGENTMD_AGENT or user@host
    push: bool = False  # with claim: commit the claim and push it
    limit: int | None = None  # up to this many tasks side by side (--parallel)

    def memo_key(self, ws: Workspace, *shape: object) -> str | None:
        """Under which key this run's output is remembered, with `shape` (how it is printed);
        None when it must run: a claim changes files, exact counts cost API calls. A batch
        depends on git history too (files that change together), so HEAD is part of its key."""
        if self.claim or self.counter != "estimate":
            return None
        if self.limit is None:
            return memo.key("next", self.budget, *shape)
        from agentmd import git

        return memo.key("next --parallel", self.limit, self.budget, *shape, git.head(ws.root))


class Next(NamedTuple):
    """The prompt `next` prints, and what to say beside it."""

    compiled: Compiled
    notes: list[Problem]  # text still the templates', said once
    comparison: Comparison | None = None  # with exact counts: how far the estimate was


def recall(ws: Workspace, key: str | None) -> tuple[str, str] | None:
    """What a run under `key` printed (stdout, stderr), when no file has changed since."""
    return memo.recall(ws, key) if key is not None else None


def recall_for(ws: Workspace, ask: Ask, *shape: object) -> tuple[str, str] | None:
    """What a run asked `ask`, printed in `shape`, printed before: by the key and from the store
    the command itself uses (entry.py answers with this before click is imported)."""
    key = ask.memo_key(ws, *shape)
    return recall(ws, key) if ask.limit is None else recall_batch(ws, key)


def remember(
    ws: Workspace, key: str | None, output: str, notes: list[Problem], said: str = ""
) -> None:
    """Remember the output and what went to stderr: `said` as it was printed, then `notes`."""
    if key is not None:
        memo.remember(ws, key, output, said + "".join(p.render() + "\n" for p in notes))


def recall_batch(ws: Workspace, key: str | None) -> tuple[str, str] | None:
    """What a `--parallel` run under `key` printed: while no file changed, or while only task
    files changed that neither the batch nor its dependencies are (tasks/ranked_memo.py)."""
    if key is None:
        return None
    from agentmd.tasks import ranked_memo

    return memo.recall(ws, key) or ranked_memo.recall(ws, key)


def remember_batch(
    ws: Workspace, key: str | None, output: str, said: str, chosen: list[Task]
) -> None:
    if key is None:
        return
    from agentmd.tasks import ranked_memo

    errors = said
    memo.remember(ws, key, output, errors)
    pinned = {f"tasks/{tid}.md" for task in chosen for tid in (task.id, *task.depends_on)}
    ranked_memo.remember(ws, key, output, errors, pinned)


def prepare() -> None:
    """What compiling a prompt imports (the task graph, the checks, the compiler: 50-80 ms),
    imported while forked processes read a cold plan (Workspace.while_reading); a cold read
    the console entry begins imports markdown-it-py too (`_imported`)."""
    from agentmd.checks import readiness  # noqa: F401
    from agentmd.handoffs import latest  # noqa: F401
    from agentmd.prompt import compiler, counters  # noqa: F401
    from agentmd.tasks import graph, moved  # noqa: F401
    from agentmd.workspace import scaffold  # noqa: F401


def read_ahead(ws: Workspace) -> None:
    """A cold read (folder.is_cold) started by the console entry on a miss, before click is
    imported: the forked processes read the tasks while this one imports the command line
    and what compiling imports, then the other files while it ranks the tasks. The cache is
    written behind, as a command's is."""
    if not is_cold(ws):
        return
    ws.while_reading = _imported
    ws.once_tasks_read = partial(rank_ahead, ws)
    ws.write_behind = True  # waited for at the exit (forked.in_background)
    ws.index  # noqa: B018 - read now


def _imported() -> None:
    """What the rest of a cold `next` imports: click and the commands, what compiling imports
    (`prepare`), and markdown-it-py with the parser of the prompt's sections (60 ms here). Its
    1.8 MB come before the records; the read's table of shared values, let go before the
    ranking, and `Workspace.size_of` keep the peak under 40 MiB."""
    import agentmd.cli  # noqa: F401 - click, and every command
    from agentmd.files import sections

    prepare()
    sections.parse("")  # the parser built once, for every section parsed after


def rank_ahead(ws: Workspace) -> None:
    """What ranking costs (the tasks built, those nothing blocks, their unblock counts, the
    ranking: 70-100 ms at 10,000 tasks), worked out on a cold read while forked processes read
    the handoffs and memory (Workspace.once_tasks_read); `_ranked` then finds it kept."""
    ws.ranked  # noqa: B018 - kept by the workspace


def one(ws: Workspace, ask: Ask) -> Next:
    """The next ready task's prompt; claimed, and pushed, when asked. NothingToDo when no task
    is ready, TooLarge when the first one cannot fit its budget (then nothing is claimed)."""
    from agentmd.checks import readiness
    from agentmd.prompt import compiler
    from agentmd.prompt.counters import counter_for

    if ask.claim:  # (imported only to claim: 10 ms, the lease, git and verification with it)
        from agentmd.tasks import claims

    counter = counter_for(ask.counter, ws)
    mode = "claimed" if ask.claim else None
    compiled: list[Compiled] = []

    def compile_first(view: Workspace, ready: list[graph.Candidate]) -> Task | None:
        # In `next` order, the first task `check` finds no error in: the rest are not asked.
        compiled.clear()
        errors = readiness.reasons(view)
        task = next((c.task for c in ready if not errors.get(c.task.id)), None)
        if task is not None:
            compiled.append(compiler.compile_prompt(view, task, ask.budget, counter, mode=mode))
        return task

    if ask.claim and ask.push:
        owner = ask.owner or claims.default_owner()
        picked = claims.claim_and_push(
            ws, owner, lambda fresh: _listed(compile_first(fresh, _ranked(fresh)))
        )
        if not picked:
            raise nothing_ready(ws)
        return Next(compiled[0], [])
    ready = _ranked(ws)
    if ask.claim:
        owner = ask.owner or claims.default_owner()
        if claims.claim_next(ws, owner, lambda found: compile_first(ws, found)) is None:
            raise nothing_ready(ws)
    elif compile_first(ws, ready) is None:
        raise nothing_ready(ws)
    result = compiled[0]
    compare = getattr(counter, "compare", None)  # the exact counter's; the prompt is cached
    notes = result.warnings + unfilled(ws, result.task)
    return Next(result, notes, compare(result.prompt) if compare else None)


def _ranked(ws: Workspace) -> list[graph.Candidate]:
    """The ready tasks in `next` order, without the search for cycles (`next` does not need
    it), ranked by the workspace's kept unblock counts: the prompt reads the tasks waiting on
    the one it compiles from the same counts, not from a second reckoning (90 ms, 3 MB at
    10,000 tasks)."""
    return ws.ranked


def batch(ws: Workspace, ask: Ask) -> list[Compiled]:
    """Up to `ask.limit` ready tasks that can run side by side, each compiled before it is
    claimed; a task too large to delegate is held back rather than claimed."""
    from agentmd.checks import readiness
    from agentmd.prompt import compiler
    from agentmd.prompt.counters import counter_for
    from agentmd.tasks import claims, parallel

    assert ask.limit is not None
    limit = ask.limit
    counter = counter_for(ask.counter, ws)
    mode = "claimed" if ask.claim else None
    compiled: dict[str, Compiled] = {}

    def accept(task: Task) -> str | None:
        try:
            compiled[task.id] = compiler.compile_prompt(ws, task, ask.budget, counter, mode=mode)
        except compiler.TooLarge as exc:
            return exc.message
        return None

    broken = readiness.reasons(ws)  # tasks `check` calls broken are never picked
    if ask.claim and ask.push:

        def choose(fresh: Workspace) -> list[Task]:
            compiled.clear()
            return parallel.pick(fresh, limit, accept, readiness.reasons(fresh)).chosen

        chosen = claims.claim_and_push(ws, ask.owner or claims.default_owner(), choose)
    elif ask.claim:
        owner = ask.owner or claims.default_owner()
        chosen = claims.claim_batch(ws, owner, limit, accept, broken).chosen
    else:
        chosen = parallel.pick(ws, limit, accept, broken).chosen
    if not chosen:
        raise nothing_ready(ws)
    return [compiled[task.id] for task in chosen]


def selection(ws: Workspace, limit: int) -> parallel.Selection:
    """What `next --parallel N --explain` explains: the batch, and what held the rest back."""
    from agentmd.checks import readiness
    from agentmd.tasks import parallel

    return parallel.pick(ws, limit, None, readiness.reasons(ws))


def unfilled(ws: Workspace, task: Task) -> list[Problem]:
    """The task's sections that still hold the template's text."""
    from agentmd.workspace.scaffold import template_prompts, unfilled

    try:
        return unfilled(template_prompts(ws.agents), ws.read(task.path))
    except LocatedError:
        # compile_prompt read it a moment ago; a file that changed since is not our finding
        return []


def nothing_ready(ws: Workspace, plan: graph.Plan | None = None) -> NothingToDo:
    """Why there is no prompt to print: how many tasks are in each status, and whether todo
    tasks are blocked (`--explain` says by what)."""
    if plan is None:
        from agentmd.checks import readiness
        from agentmd.tasks import graph

        plan = graph.analyse(ws.tasks, readiness.reasons(ws))
    return NothingToDo(nothing_ready_message(ws, plan))


def nothing_ready_message(ws: Workspace, plan: graph.Plan) -> str:
    if not ws.tasks:
        return "nothing is ready: there are no tasks ('agentmd add TITLE' writes one)"
    counts: dict[str, int] = {}
    for task in ws.tasks.values():
        counts[task.status] = counts.get(task.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    blocked = (
        f"; {len(plan.blocked)} todo blocked ('agentmd next --explain' says why)"
        if plan.blocked
        else ""
    )
    return f"nothing is ready ({summary}){blocked}"


def _listed(task: Task | None) -> list[Task]:
    return [task] if task is not None else []
