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
    import signal

    from lok_action.action import run_action
    from lok_action.cli import stop_on_signal
    from lok_action.errors import LokError
    from lok_action.github.workflow_commands import command

    # the runner cancels a job with SIGINT, then SIGTERM: end the backends now, not at their timeouts
    signal.signal(signal.SIGINT, stop_on_signal)
    signal.signal(signal.SIGTERM, stop_on_signal)
    try:
        return run_action(dict(os.environ), sys.stdout)
    except KeyboardInterrupt:
        print(command("error", "lok: cancelled; running backends were stopped"), flush=True)
        return 130
    except LokError as error:
        print(command("error", f"lok: {error}"), flush=True)
        return error.exit_code
    except Exception as error:  # no traceback on stdout: one ::error:: line the runner shows
        print(command("error", f"lok: {describe_failure(error)}"), flush=True)
        if os.environ.get("RUNNER_DEBUG") == "1":  # the runner's "debug logging" switch
            import traceback

            traceback.print_exc(file=sys.stderr)
        return 1


def describe_failure(error: Exception) -> str:
    import requests
    from github import GithubException

    if isinstance(error, GithubException):
        return f"GitHub API error {error.status}: {error.data}"
    if isinstance(error, requests.RequestException):
        url = os.environ.get("GITHUB_API_URL") or "https://api.github.com"
        return f"cannot reach the GitHub API at {url}: {type(error).__name__}: {first_line(error)}"
    return f"internal error: {type(error).__name__}: {first_line(error)}"


def first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [""])[0][:300]


if __name__ == "__main__":
    sys.exit(main())
