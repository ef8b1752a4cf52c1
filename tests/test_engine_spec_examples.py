"""Every example workflow in the spec (the original Rust lok's README) runs as written, through the real
`lok` CLI, with `command` backends (real fake-LLM processes) standing in for codex, gemini and claude."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.fakes.engine_fixtures import command_backend
from tests.fakes.project import LokProject

EXAMPLE = """# .lok/workflows/example.toml
name = "example"
[[steps]]
name = "scan"
backend = "codex"
prompt = "Find obvious issues in this codebase"
[[steps]]
name = "deep-dive"
backend = "gemini"
depends_on = ["scan"]
prompt = "Investigate these findings: {{ steps.scan.output }}"
[[steps]]
name = "comment"
depends_on = ["deep-dive"]
shell = "gh issue comment 123 --body '{{ steps.deep-dive.output }}'"
"""


def install_fake_gh(project: LokProject) -> Path:
    """A `gh` on PATH that records its argv (one arg per line, NUL separated) instead of calling GitHub."""
    bin_dir = project.root.parent / "bin"
    bin_dir.mkdir(exist_ok=True)
    gh = bin_dir / "gh"
    log = project.root.parent / "gh.log"
    gh.write_text(f'#!/bin/sh\nfor a in "$@"; do printf \'%s\\0\' "$a"; done > {log}\n')
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    project.env["PATH"] = f"{bin_dir}:{project.env['PATH']}"
    return log


def test_example_workflow(lok_project: LokProject) -> None:
    hostile = "Found: it's bad; $(touch pwned) `touch pwned` '; touch pwned; '\nline two"
    lok_project.write_config(
        command_backend("codex", "--reply", hostile),
        command_backend("gemini", "--echo"),
    )
    lok_project.write_workflow("example", EXAMPLE)
    log = install_fake_gh(lok_project)
    done = lok_project.lok("run", "example", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert [s["status"] for s in result["steps"]] == ["success", "success", "success"]
    body = "[gemini] Investigate these findings: " + hostile
    assert log.read_text().split("\0")[:-1] == ["issue", "comment", "123", "--body", body]
    assert not (lok_project.root / "pwned").exists()
    for name in ("scan", "deep-dive", "comment"):
        assert f"→ {name} started" in done.stderr
        assert f"✓ {name} success" in done.stderr
    assert "workflow example: ok" in done.stderr


MY_WORKFLOW = """name = "my-workflow"
continue_on_error = true # All steps continue on failure by default
timeout = 300000 # All steps get 5 minute timeout by default

[[steps]]
name = "fast_step"
backend = "codex"
timeout = 60000 # Override: this step gets 1 minute
prompt = "Quick analysis..."

[[steps]]
name = "critical_step"
backend = "claude"
continue_on_error = false # Override: this step must succeed
prompt = "Important work..."
"""


def test_my_workflow_defaults_and_overrides(lok_project: LokProject) -> None:
    lok_project.write_config(command_backend("codex", "--fail"), command_backend("claude", "--echo"))
    lok_project.write_workflow("my-workflow", MY_WORKFLOW)
    done = lok_project.lok("run", "my-workflow", "--json")
    result = {s["name"]: s for s in json.loads(done.stdout)["steps"]}
    assert done.returncode == 0, done.stderr
    assert result["fast_step"]["status"] == "soft_failed"
    assert result["critical_step"]["output"] == "[claude] Important work..."

    lok_project.write_config(command_backend("codex", "--echo"), command_backend("claude", "--fail"))
    done = lok_project.lok("run", "my-workflow", "--json")
    assert done.returncode == 1
    assert {s["name"]: s["status"] for s in json.loads(done.stdout)["steps"]}["critical_step"] == "failed"

    from lok_action.workflow.model import load_workflow_file

    workflow = load_workflow_file(lok_project.root / ".lok/workflows/my-workflow.toml")
    assert workflow.step("fast_step").timeout_ms == 60000
    assert workflow.step("critical_step").timeout_ms == 300000
    assert workflow.step("critical_step").continue_on_error is False


def test_step_timeout_from_the_workflow_kills_a_hung_backend(lok_project: LokProject) -> None:
    lok_project.write_config(command_backend("codex", "--sleep", "10"))
    lok_project.write_workflow(
        "hang", 'name = "hang"\ntimeout = 500\n[[steps]]\nname = "s"\nbackend = "codex"\nprompt = "x"\n'
    )
    done = lok_project.lok("run", "hang", "--json", timeout=8)
    assert done.returncode == 1
    step = json.loads(done.stdout)["steps"][0]
    assert step["status"] == "failed" and "timed out after 0.5s" in step["error"]


# As written in the seed, plus the propose_gemini step the seed's snippet depends on but elides.
CONSENSUS = """name = "consensus"
[[steps]]
name = "propose_claude"
backend = "claude"
prompt = "Propose a fix..."

[[steps]]
name = "propose_codex"
backend = "codex"
prompt = "Propose a fix..."

[[steps]]
name = "propose_gemini"
backend = "gemini"
prompt = "Propose a fix..."

[[steps]]
name = "debate"
backend = "claude"
depends_on = ["propose_claude", "propose_codex", "propose_gemini"]
min_deps_success = 2 # Need at least 2/3 backends to succeed
prompt = "Synthesize the proposals: {{ steps.propose_claude.output }}..."
"""


def test_consensus_example(lok_project: LokProject) -> None:
    lok_project.write_config(
        command_backend("claude", "--echo"),
        command_backend("codex", "--echo"),
        command_backend("gemini", "--fail"),
    )
    lok_project.write_workflow("consensus", CONSENSUS)
    done = lok_project.lok("run", "consensus")
    assert done.returncode == 0, done.stderr
    assert "debate: consensus reached (2/3 succeeded)" in done.stderr
    assert "! propose_gemini soft_failed" in done.stderr  # counted by the consensus, not a stop
    assert done.stdout.strip() == "[claude] Synthesize the proposals: [claude] Propose a fix......"

    lok_project.write_config(
        command_backend("claude", "--echo"),
        command_backend("codex", "--fail"),
        command_backend("gemini", "--fail"),
    )
    done = lok_project.lok("run", "consensus", "--json")
    assert done.returncode == 1
    debate = json.loads(done.stdout)["steps"][3]
    assert debate["status"] == "failed"
    assert "consensus not reached: 1/3 succeeded, min_deps_success = 2" in debate["error"]


SOFT_FAILURE = '''name = "soft"
[[steps]]
name = "risky_step"
backend = "gemini"
continue_on_error = true # Soft failure - workflow continues
prompt = "..."

[[steps]]
name = "handler"
depends_on = ["risky_step"]
prompt = """
{% if "error" in steps.risky_step.output %}
Handle the error: {{ steps.risky_step.output }}
{% else %}
Process result: {{ steps.risky_step.output }}
{% endif %}
"""
'''


def test_soft_failure_example(lok_project: LokProject) -> None:
    lok_project.write_config(command_backend("gemini", "--fail"), command_backend("claude", "--echo"))
    lok_project.write_workflow("soft", SOFT_FAILURE)
    done = lok_project.lok("run", "soft", "-b", "claude")
    assert done.returncode == 0, done.stderr
    assert "Handle the error: error: gemini: exit 1: gemini: backend exploded" in done.stdout
    assert "Process result" not in done.stdout

    lok_project.write_config(
        command_backend("gemini", "--reply", "all fine"), command_backend("claude", "--echo")
    )
    done = lok_project.lok("run", "soft", "-b", "claude")
    assert "Process result: all fine" in done.stdout


RETRIES = """name = "retries"
[[steps]]
name = "flaky_backend"
backend = "gemini"
retries = 3 # Retry up to 3 times (default: 0)
retry_delay = 200 # Start with 2 second delay (default: 1000ms)
prompt = "..."
"""


def test_retries_example(lok_project: LokProject) -> None:
    state = lok_project.root.parent / "calls"
    lok_project.write_config(
        command_backend("gemini", "--flaky", "2", "--state", str(state), "--reply", "finally")
    )
    lok_project.write_workflow("retries", RETRIES)
    done = lok_project.lok("run", "retries", "--json", "--no-cache")
    assert done.returncode == 0, done.stderr
    step = json.loads(done.stdout)["steps"][0]
    assert (step["output"], step["attempts"]) == ("finally", 3)
    assert step["duration"] >= 0.6  # 0.2 s then 0.4 s: the delay doubles

    state.unlink()
    lok_project.write_config(command_backend("gemini", "--flaky", "9", "--state", str(state)))
    done = lok_project.lok("run", "retries", "--json", "--no-cache")
    assert done.returncode == 1
    assert state.read_text() == "4"  # 1 try + 3 retries, then the step fails hard


APPLY_EDITS = '''name = "apply"
[[steps]]
name = "fix"
backend = "claude"
apply_edits = true
verify = "sh check.sh"  # stands in for `cargo build`
prompt = """
Fix this issue. Output JSON:
{"edits": [{"file": "src/main.rs", "old": "...", "new": "..."}]}
"""
'''


def test_apply_edits_example(lok_project: LokProject) -> None:
    src = lok_project.root / "src"
    src.mkdir()
    (src / "main.rs").write_text('fn main() {\n    println!("helo");\n}\n')
    reply = 'Sure.\n```json\n{"edits": [{"file": "src/main.rs", "old": "helo", "new": "hello"}]}\n```'
    lok_project.write_config(command_backend("claude", "--reply", reply))
    lok_project.write_workflow("apply", APPLY_EDITS)
    (lok_project.root / "check.sh").write_text("grep -q hello src/main.rs\n")
    done = lok_project.lok("run", "apply", "--no-cache")
    assert done.returncode == 0, done.stderr
    assert "hello" in (src / "main.rs").read_text()
    assert "applied 1 edit(s)" in done.stderr

    (src / "main.rs").write_text('fn main() {\n    println!("helo");\n}\n')
    (lok_project.root / "check.sh").write_text("echo 'error[E0425]: cannot find value' >&2; exit 101\n")
    done = lok_project.lok("run", "apply", "--no-cache")
    assert done.returncode == 1
    assert (src / "main.rs").read_text() == 'fn main() {\n    println!("helo");\n}\n'
    assert "verification failed (exit 101: error[E0425]: cannot find value); edits restored" in done.stderr
