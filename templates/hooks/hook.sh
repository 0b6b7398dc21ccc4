#!/bin/sh
# agentmd-hook-id: agentmd/hook/v1
# Written by `agentmd hooks install`; `agentmd hooks uninstall` removes it and puts back the
# hook that was here before. It checks the staged .agents/ files, and that a task staged as
# review or done has a valid handoff.
previous="$0.agentmd-previous"
if [ -x "$previous" ]; then
    "$previous" "$@" || exit $?
fi
python=@PYTHON@
if [ ! -x "$python" ]; then
    python=$(command -v python3 || command -v python)
fi
exec "$python" -m agentmd.precommit @HOOK@ "$@"
