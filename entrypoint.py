#!/usr/bin/env python3
"""The GitHub Action's entrypoint (and the container's).

With arguments (`docker run IMAGE hunt .`) it is the `lok` command. Without, it reads the action's
inputs (INPUT_*) and the event (GITHUB_EVENT_PATH / GITHUB_EVENT_NAME) and runs the matching workflow.
Bad input: a `::error::` line saying how to fix it, exit code 2.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        from lok_action.cli import main as lok_main

        return lok_main(argv)
    from lok_action.errors import LokError
    from lok_action.github.action import run_action
    from lok_action.github.workflow_commands import command

    try:
        return run_action(dict(os.environ), sys.stdout)
    except LokError as error:
        print(command("error", f"lok: {error}"), flush=True)
        return error.exit_code
    except Exception as error:  # GitHub answered with an error we cannot work around
        from github import GithubException

        if not isinstance(error, GithubException):
            raise
        print(command("error", f"lok: GitHub API error {error.status}: {error.data}"), flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
