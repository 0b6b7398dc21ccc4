#!/bin/sh
# agentmd-hook-id: agentmd/hook/v1
# Written by `agentmd hooks install`; `agentmd hooks uninstall` removes it and puts back the
# hook that was here before. It checks the staged .agents/ files, and that a task staged as
# review or done has a valid handoff.
previous="$0.agentmd-previous"
# Run by the pre-commit framework as @HOOK@.legacy: what was here before is beside the hook.
[ -e "$previous" ] || previous="${0%.legacy}.agentmd-previous"
if [ -x "$previous" ]; then
    "$previous" "$@" || exit $?
fi
python=@PYTHON@
if [ ! -x "$python" ] || [ ! -f @PACKAGE@ ]; then
    # The interpreter agentmd was installed with is gone (a venv deleted or moved).
    if [ -z "$(git diff --cached --name-only -- .agents/ 2>/dev/null)" ]; then
        exit 0  # nothing for agentmd to check in this commit: never block it
    fi
    echo "agentmd hook: $python cannot run agentmd any more (was its virtualenv removed or moved?)," >&2
    echo "so the staged .agents/ files cannot be checked and the commit is refused." >&2
    echo "  hint: install agentmd again and run 'agentmd hooks install' (or 'agentmd hooks uninstall');" >&2
    echo "  'git commit --no-verify' skips the check once" >&2
    exit 1
fi
exec "$python" -m agentmd.precommit @HOOK@ "$@"
