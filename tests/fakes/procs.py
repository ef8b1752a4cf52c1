"""Inspect processes through /proc (tests only)."""

from __future__ import annotations

from pathlib import Path


def live_group_members(pgid: int) -> list[int]:
    """Pids in process group ``pgid`` that are not zombies.

    A killed orphan stays a zombie until PID 1 reaps it, and some container init processes
    never do; a zombie holds no resources, so it does not count as left behind.
    """
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # the command name is in parentheses and may contain spaces; fields follow the last ')'
        fields = text[text.rindex(")") + 2 :].split()
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            members.append(int(stat.parent.name))
    return members
