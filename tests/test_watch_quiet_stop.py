"""loop/watch.observe: watchdog's one log line about its own stop race (an inotify read after
`stop`, which it drops) is not printed under the loop's output; its other messages are."""

from __future__ import annotations

import logging
import threading

from agentmd.loop import watch
from agentmd.workspace.folder import Workspace
from conftest import cli


def test_the_stop_race_line_is_dropped_and_nothing_else(repo, caplog):
    assert cli(repo, "init").exit_code == 0
    observer = watch.observe(Workspace(repo), threading.Event())
    assert observer is not None
    watch.stop_observing(observer)
    caplog.clear()
    logger = logging.getLogger("watchdog.observers.inotify")
    logger.error(watch.STOP_RACE)
    logger.error("inotify watch limit reached")
    assert [r.getMessage() for r in caplog.records] == ["inotify watch limit reached"]
    again = watch.observe(Workspace(repo), threading.Event())  # once more: one filter, not two
    watch.stop_observing(again)  # (its thread is not left to the tests after this one)
    assert logger.filters.count(watch._drop_stop_race) == 1
