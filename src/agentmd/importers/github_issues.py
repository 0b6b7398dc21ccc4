"""GitHub issues as intents: the JSON that `gh issue list --json
number,title,body,labels,state,assignees` prints (from a file, or through `gh`)."""

from __future__ import annotations

from pathlib import Path

from agentmd.files import textfile
from agentmd.importers.items import Import, Item, display, load_json, slug

FIELDS = "number,title,body,labels,state,assignees"
ORIGIN = "github"


def read(path: Path, root: Path) -> Import:
    shown = display(path, root)
    text = textfile.read_text(path, shown)
    data = load_json(text, shown, f"write it with: gh issue list --json {FIELDS} > {shown}")
    return from_issues(data, shown)


def read_from_gh(root: Path, labels: tuple[str, ...]) -> Import:
    from agentmd.github import gh

    args = ["issue", "list", "--state", "open", "--limit", "1000", "--json", FIELDS]
    for label in labels:
        args += ["--label", label]
    return from_issues(gh.run_json(args, root), "gh issue list")


def from_issues(data, shown: str) -> Import:
    imp = Import("github", ORIGIN)
    if not isinstance(data, list):
        imp.refuse(
            shown, 1, "not-issues", "not a JSON list of issues", f"gh issue list --json {FIELDS}"
        )
        return imp
    for index, issue in enumerate(data, 1):
        number = issue.get("number") if isinstance(issue, dict) else None
        if not isinstance(number, int):
            imp.refuse(shown, 1, "no-number", f"issue #{index} in the list has no number")
            continue
        state = str(issue.get("state") or "OPEN").upper()
        item = Item(
            id=f"gh-{number}",
            source=f"{ORIGIN}#{number}",
            title=str(issue.get("title") or f"Issue {number}"),
            status="done" if state == "CLOSED" else "todo",
            native_status=state.lower(),
            goal=str(issue.get("body") or ""),
            path=shown,
        )
        labels = [
            lab.get("name") if isinstance(lab, dict) else lab for lab in issue.get("labels") or []
        ]
        item.tags = [slug(str(name)) for name in labels if name]
        who = [a.get("login") if isinstance(a, dict) else a for a in issue.get("assignees") or []]
        if any(who):
            item.notes.append("assignees: " + ", ".join(str(w) for w in who if w))
        item.notes.append(f"issue: #{number}")
        imp.items.append(item)
    return imp


def decomposed(ws, imp: Import) -> Import:
    """Each open issue becomes the tasks `agentmd decompose` writes for it (source:
    github#N/<id>); an issue decomposed before is left to its tasks, never asked again."""
    from agentmd.api import decompose
    from agentmd.files import document

    known = {str(t.record.fields.get("source") or "") for t in ws.tasks.values()}
    out = Import(imp.format, imp.origin, refused=imp.refused, warnings=imp.warnings)
    for item in imp.items:
        prefix = item.source + "/"
        if item.source in known or item.status == "done":
            out.items.append(item)
            continue
        if any(s.startswith(prefix) for s in known):
            out.covered.add(item.source)
            continue
        intent = f"GitHub issue #{item.source.split('#')[1]}: {item.title}\n\n{item.goal}"
        proposed = decompose.decompose(ws, intent)
        ids = {p.task.id for p in proposed}
        for p in proposed:
            doc = document.parse(p.text, p.path)
            task = Item(
                id=p.task.id,
                source=prefix + p.task.id,
                title=p.task.title,
                status="todo",
                priority=p.task.priority,
                depends_on=[prefix + d for d in p.task.depends_on if d in ids],
                depends_on_ids=[d for d in p.task.depends_on if d not in ids],
                tags=list(item.tags),
                raw_body=doc.body.split("\n## Notes", 1)[0].rstrip() + "\n",
                fields={k: list(getattr(p.task, k)) for k in ("inputs", "outputs", "verify")},
                path=item.path,
            )
            task.notes.append(f"issue: #{item.source.split('#')[1]} (decomposed)")
            out.items.append(task)
    return out
