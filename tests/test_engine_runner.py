"""The scheduler and failure semantics, run in-process against real fake-LLM and shell processes."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from lok_action.progress import Progress
from lok_action.workflow.model import parse_workflow
from lok_action.workflow.runner import run_workflow
from tests.fakes.engine_fixtures import command_backend, engine_context
from tests.fakes.project import LokProject


def run(project: LokProject, text: str, **overrides: object):
    workflow = parse_workflow(text, str(project.root / "wf.toml"))
    return run_workflow(workflow, engine_context(project, **overrides))


def test_outputs_flow_down_the_dag(lok_project: LokProject) -> None:
    lok_project.write_config(command_backend("codex", "--echo"))
    result = run(
        lok_project,
        """
name = "flow"
[[steps]]
name = "scan"
shell = "echo found-it"
[[steps]]
name = "deep-dive"
backend = "codex"
depends_on = ["scan"]
prompt = "Investigate: {{ steps.scan.output }} arg={{ args[0] }} named={{ arg.issue }} wf={{ workflow.name }}"
""",
        args=["first"],
        named_args={"issue": "42"},
    )
    assert result.success
    assert result.steps["deep-dive"].output == "[codex] Investigate: found-it arg=first named=42 wf=flow"


def test_hard_failure_stops_and_reports_not_run(lok_project: LokProject) -> None:
    lok_project.write_config()
    result = run(
        lok_project,
        """
name = "stop"
[[steps]]
name = "slow"
shell = "sleep 0.3; echo done"
[[steps]]
name = "boom"
shell = "echo bad >&2; exit 3"
[[steps]]
name = "after"
depends_on = ["boom"]
shell = "touch after"
[[steps]]
name = "after_slow"
depends_on = ["slow"]
shell = "touch after_slow"
""",
    )
    statuses = {name: step.status for name, step in result.steps.items()}
    assert statuses == {"slow": "success", "boom": "failed", "after": "not_run", "after_slow": "not_run"}
    assert result.steps["boom"].error == "exit 3: bad"
    assert result.exit_code == 1
    assert not (lok_project.root / "after").exists()
    assert not (lok_project.root / "after_slow").exists()


def test_soft_failure_passes_error_text(lok_project: LokProject) -> None:
    lok_project.write_config(command_backend("gemini", "--fail"), command_backend("claude", "--echo"))
    result = run(
        lok_project,
        """
name = "soft"
[[steps]]
name = "risky_step"
backend = "gemini"
continue_on_error = true
prompt = "..."
[[steps]]
name = "handler"
backend = "claude"
depends_on = ["risky_step"]
prompt = \"\"\"{% if "error" in steps.risky_step.output %}Handle the error: {{ steps.risky_step.output }}{% else %}Process result{% endif %} status={{ steps.risky_step.status }}\"\"\"
""",
    )
    assert result.success and result.exit_code == 0
    assert result.steps["risky_step"].status == "soft_failed"
    handled = result.steps["handler"].output
    assert handled.startswith("[claude] Handle the error: error: gemini: exit 1: gemini: backend exploded")
    assert handled.endswith("status=soft_failed")


def test_consensus_runs_with_enough_deps_and_logs(lok_project: LokProject) -> None:
    lok_project.write_config(
        command_backend("claude", "--echo"),
        command_backend("codex", "--echo"),
        command_backend("gemini", "--fail"),
    )
    stream = io.StringIO()
    result = run(
        lok_project,
        """
name = "consensus"
continue_on_error = true
[[steps]]
name = "propose_claude"
backend = "claude"
prompt = "p"
[[steps]]
name = "propose_codex"
backend = "codex"
prompt = "p"
[[steps]]
name = "propose_gemini"
backend = "gemini"
prompt = "p"
[[steps]]
name = "debate"
backend = "claude"
continue_on_error = false
depends_on = ["propose_claude", "propose_codex", "propose_gemini"]
min_deps_success = 2
prompt = "{{ steps.propose_claude.output }}|{{ steps.propose_gemini.output }}"
[[steps]]
name = "strict"
backend = "claude"
depends_on = ["propose_claude", "propose_codex", "propose_gemini"]
min_deps_success = 3
prompt = "never"
""",
        progress=Progress(stream),
    )
    assert result.steps["debate"].status == "success"
    assert result.steps["debate"].message == "consensus reached (2/3 succeeded)"
    assert "consensus reached (2/3 succeeded)" in stream.getvalue()
    assert "error: gemini" in result.steps["debate"].output
    assert result.steps["strict"].status == "soft_failed"
    assert "2/3 succeeded, min_deps_success = 3" in result.steps["strict"].error


def test_when_false_skips_and_is_visible(lok_project: LokProject) -> None:
    lok_project.write_config()
    result = run(
        lok_project,
        """
name = "when"
[[steps]]
name = "check"
shell = "echo clean"
[[steps]]
name = "fix"
depends_on = ["check"]
when = '"bug" in steps.check.output'
shell = "touch fixed"
[[steps]]
name = "report"
depends_on = ["fix"]
shell = "echo {{ steps.fix.status }} {{ steps.fix.success }}"
""",
    )
    assert result.steps["fix"].status == "skipped"
    assert result.steps["report"].output == "skipped False"
    assert not (lok_project.root / "fixed").exists()
    assert result.exit_code == 0


def test_timeout_kills_the_process_group(lok_project: LokProject) -> None:
    lok_project.write_config()
    started = time.monotonic()
    result = run(
        lok_project,
        """
name = "timeout"
[[steps]]
name = "hang"
timeout = 300
shell = "(sleep 5; touch leaked) & sleep 5"
""",
    )
    assert time.monotonic() - started < 3
    assert result.steps["hang"].status == "failed"
    assert "timed out after 0.3s" in result.steps["hang"].error
    time.sleep(0.2)
    assert not (lok_project.root / "leaked").exists()


def test_shell_retries_with_doubling_delay(lok_project: LokProject) -> None:
    lok_project.write_config()
    result = run(
        lok_project,
        """
name = "retry"
[[steps]]
name = "flaky"
retries = 3
retry_delay = 100
shell = "echo x >> tries; test $(wc -l < tries) -ge 3"
""",
    )
    assert result.steps["flaky"].status == "success"
    assert result.steps["flaky"].attempts == 3
    assert 0.3 <= result.steps["flaky"].duration < 1.5  # waited 0.1 s then 0.2 s


def test_backend_retries_transient_failures(lok_project: LokProject, tmp_path: Path) -> None:
    state = tmp_path / "calls"
    lok_project.write_config(
        command_backend("gemini", "--flaky", "2", "--state", str(state), "--reply", "ok")
    )
    result = run(
        lok_project,
        """
name = "retries"
[[steps]]
name = "flaky_backend"
backend = "gemini"
retries = 3
retry_delay = 50
prompt = "..."
""",
    )
    assert result.steps["flaky_backend"].output == "ok"
    assert result.steps["flaky_backend"].attempts == 3
    assert state.read_text() == "3"


def test_json_output_fields_reach_templates(lok_project: LokProject) -> None:
    reply = 'Here you go:\n```json\n{"findings": ["a", "b"], "count": 2}\n```'
    lok_project.write_config(command_backend("codex", "--reply", reply), command_backend("claude", "--echo"))
    result = run(
        lok_project,
        """
name = "json"
[[steps]]
name = "analyze"
backend = "codex"
output_format = "json"
prompt = "Return findings"
[[steps]]
name = "report"
backend = "claude"
depends_on = ["analyze"]
prompt = "Summarize: {{ steps.analyze.output.findings }} ({{ steps.analyze.output.count }})"
""",
    )
    assert result.steps["analyze"].output == {"findings": ["a", "b"], "count": 2}
    assert result.steps["report"].output == '[claude] Summarize: ["a", "b"] (2)'


def test_parse_failure_is_a_step_failure_with_preview(lok_project: LokProject) -> None:
    lok_project.write_config(command_backend("codex", "--reply", "I could not find anything, sorry."))
    result = run(
        lok_project,
        '[[steps]]\nname = "a"\nbackend = "codex"\noutput_format = "json"\nprompt = "x"\n',
    )
    assert result.steps["a"].status == "failed"
    assert "I could not find anything, sorry." in result.steps["a"].error


def test_multi_backend_step_succeeds_when_one_backend_does(lok_project: LokProject) -> None:
    lok_project.write_config(
        command_backend("codex", "--reply", '[{"id": 1}]'),
        command_backend("gemini", "--fail"),
        command_backend("claude", "--reply", 'prose [{"id": 2}]'),
    )
    result = run(
        lok_project,
        '[[steps]]\nname = "a"\nbackends = ["codex", "gemini", "claude"]\noutput_format = "json_array"\nprompt = "x"\n',
    )
    step = result.steps["a"]
    assert step.status == "success"
    assert step.output == [{"id": 1}, {"id": 2}]
    assert [(o.backend, o.ok) for o in step.outputs] == [("codex", True), ("gemini", False), ("claude", True)]
    # the one that failed is named, with why
    assert step.message == "2/3 backend calls succeeded; failed: gemini: exit 1: gemini: backend exploded"


def test_default_backends_star(lok_project: LokProject) -> None:
    lok_project.write_config(command_backend("codex", "--echo"), command_backend("claude", "--echo"))
    text = '[[steps]]\nname = "a"\nbackends = ["*"]\nprompt = "hi"\n'
    result = run(lok_project, text, default_backends=["claude"])
    assert result.steps["a"].output == "[claude] hi"


def test_for_each_chunk_runs_per_chunk_per_backend(lok_project: LokProject) -> None:
    class Chunk:
        def __init__(self, index: int, text: str) -> None:
            self.index, self.text, self.files = index, text, [f"f{index}.py"]

    lok_project.write_config(command_backend("codex", "--echo"), command_backend("claude", "--echo"))
    result = run(
        lok_project,
        '[[steps]]\nname = "a"\nbackends = ["codex", "claude"]\nfor_each = "chunk"\nprompt = "{{ chunk.index }}:{{ chunk.files[0] }}"\n',
        chunker=lambda backend: [Chunk(0, "x"), Chunk(1, "y")],
    )
    outputs = [(o.backend, o.chunk_index, o.text) for o in result.steps["a"].outputs]
    assert outputs == [  # chunk by chunk (a cost budget that stops the run leaves whole chunks unasked)
        ("codex", 0, "[codex] 0:f0.py"),
        ("claude", 0, "[claude] 0:f0.py"),
        ("codex", 1, "[codex] 1:f1.py"),
        ("claude", 1, "[claude] 1:f1.py"),
    ]


def test_independent_steps_run_in_parallel_and_parallel_false_serialises(lok_project: LokProject) -> None:
    text = "".join(f'[[steps]]\nname = "s{i}"\nshell = "sleep 0.4"\n' for i in range(3))
    lok_project.write_config()
    started = time.monotonic()
    run(lok_project, text)
    parallel = time.monotonic() - started
    lok_project.write_config(defaults="parallel = false")
    started = time.monotonic()
    run(lok_project, text)
    serial = time.monotonic() - started
    assert parallel < 0.9 < 1.2 <= serial


@pytest.mark.parametrize("unknown", ["nosuch"])
def test_unknown_backend_is_refused_before_anything_runs(lok_project: LokProject, unknown: str) -> None:
    from lok_action.errors import BackendError

    lok_project.write_config()
    text = f'[[steps]]\nname = "first"\nshell = "touch ran"\n[[steps]]\nname = "a"\nbackend = "{unknown}"\nprompt = "x"\n'
    with pytest.raises(BackendError, match="step 'a': unknown backend 'nosuch'"):
        run(lok_project, text)
    assert not (lok_project.root / "ran").exists()


def test_no_level_barrier_between_uneven_branches(lok_project: LokProject) -> None:
    lok_project.write_config()
    text = """
[[steps]]
name = "A"
shell = "sleep 0.6"
[[steps]]
name = "B"
shell = "sleep 0.05"
[[steps]]
name = "C"
depends_on = ["A"]
shell = "sleep 0.05"
[[steps]]
name = "D"
depends_on = ["B"]
shell = "sleep 0.6"
[[steps]]
name = "E"
depends_on = ["C", "D"]
shell = "true"
"""
    started = time.monotonic()
    result = run(lok_project, text)
    elapsed = time.monotonic() - started
    assert result.success
    assert elapsed < 0.95  # critical path 0.65 s; a level barrier would need 1.2 s


def test_no_backend_named_uses_the_ready_backends(lok_project: LokProject) -> None:
    lok_project.write_config(
        command_backend("codex", "--echo"),
        command_backend("claude", "--echo"),
        '[backends.gemini]\nkind = "command"\ncommand = "no-such-program-here"\n',
    )
    result = run(lok_project, '[[steps]]\nname = "a"\nprompt = "hi"\n')
    assert [o.backend for o in result.steps["a"].outputs] == ["codex", "claude"]
