"""Plans kept elsewhere, read into .agents/tasks/: Backlog.md, Task Master, spec-kit, Kiro,
Markdown checklists and GitHub issues. Each format is one module with a `read` function that
returns an `Import` (items and located refusals); `writer` turns that into task files."""
