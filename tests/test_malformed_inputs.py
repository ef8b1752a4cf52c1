"""Malformed workflows and configs: one-line error naming the problem, exit 2, no traceback.
Each case runs the real `lok` CLI as a subprocess."""

from __future__ import annotations

import pytest

from tests.fakes.project import LokProject

STEP = '[[steps]]\nname = "a"\nshell = "true"\n'

# (id, workflow text, words the one-line error must contain)
WORKFLOWS = [
    ("toml-syntax", 'name = "x"\n[[steps]\n', ["invalid TOML"]),
    ("no-steps", 'name = "x"\n', ["no steps"]),
    (
        "unknown-top-key",
        'name = "x"\ncontinue_on_eror = true\n' + STEP,
        ["unknown key 'continue_on_eror'", "continue_on_error"],
    ),
    (
        "unknown-step-key",
        'name = "x"\n[[steps]]\nname = "a"\nshel = "true"\n',
        ["step 'a'", "unknown key 'shel'", "did you mean 'shell'"],
    ),
    (
        "retry-delay-ms",
        'name = "x"\n[[steps]]\nname = "a"\nshell = "true"\nretry_delay_ms = 5\n',
        ["retry_delay"],
    ),
    ("duplicate-names", 'name = "x"\n' + STEP + STEP, ["duplicate step name 'a'"]),
    (
        "unknown-dep",
        'name = "x"\n' + STEP + '[[steps]]\nname = "b"\nshell = "true"\ndepends_on = ["aa"]\n',
        ["step 'b'", "unknown step 'aa'", "did you mean 'a'"],
    ),
    (
        "self-dep",
        'name = "x"\n[[steps]]\nname = "a"\nshell = "true"\ndepends_on = ["a"]\n',
        ["step 'a'", "itself"],
    ),
    (
        "cycle",
        'name = "x"\n[[steps]]\nname = "a"\nshell = "true"\ndepends_on = ["b"]\n[[steps]]\nname = "b"\nshell = "true"\ndepends_on = ["a"]\n',
        ["dependency cycle: a -> b -> a"],
    ),
    (
        "long-cycle",
        'name = "x"\n'
        + "".join(
            f'[[steps]]\nname = "s{i}"\nshell = "true"\ndepends_on = ["s{(i + 1) % 3}"]\n' for i in range(3)
        ),
        ["dependency cycle: s0 -> s1 -> s2 -> s0"],
    ),
    ("neither", 'name = "x"\n[[steps]]\nname = "a"\n', ["step 'a'", "needs either 'prompt'"]),
    (
        "both",
        'name = "x"\n[[steps]]\nname = "a"\nshell = "true"\nprompt = "p"\n',
        ["step 'a'", "both 'prompt' and 'shell'"],
    ),
    (
        "min-deps-too-high",
        'name = "x"\n'
        + STEP
        + '[[steps]]\nname = "b"\nprompt = "p"\ndepends_on = ["a"]\nmin_deps_success = 2\n',
        ["step 'b'", "min_deps_success' = 2", "1 dependencies"],
    ),
    (
        "min-deps-no-deps",
        'name = "x"\n[[steps]]\nname = "a"\nprompt = "p"\nmin_deps_success = 1\n',
        ["min_deps_success", "depends_on"],
    ),
    (
        "min-deps-zero",
        'name = "x"\n'
        + STEP
        + '[[steps]]\nname = "b"\nprompt = "p"\ndepends_on = ["a"]\nmin_deps_success = 0\n',
        ["min_deps_success"],
    ),
    (
        "output-format",
        'name = "x"\n[[steps]]\nname = "a"\nprompt = "p"\noutput_format = "jsn"\n',
        ["step 'a'", "unknown output_format 'jsn'", "did you mean 'json'"],
    ),
    (
        "template-not-ancestor",
        'name = "x"\n' + STEP + '[[steps]]\nname = "b"\nprompt = "{{ steps.a.output }}"\n',
        ["step 'b'", "prompt", "steps.a", "depends_on"],
    ),
    (
        "template-unknown-step",
        'name = "x"\n'
        + STEP
        + '[[steps]]\nname = "b"\ndepends_on = ["a"]\nprompt = "{{ steps.scan.output }}"\n',
        ["unknown step 'steps.scan'"],
    ),
    (
        "template-item-access",
        'name = "x"\n' + STEP + '[[steps]]\nname = "b"\nprompt = "{{ steps[\'a\'].output }}"\n',
        ["steps.a", "not a dependency"],
    ),
    (
        "template-in-shell",
        'name = "x"\n' + STEP + '[[steps]]\nname = "b"\nshell = "echo {{ steps.a.output }}"\n',
        ["step 'b'", "shell", "not a dependency"],
    ),
    (
        "template-own-step",
        'name = "x"\n[[steps]]\nname = "a"\nprompt = "{{ steps.a.output }}"\n',
        ["its own step"],
    ),
    (
        "jinja-syntax",
        'name = "x"\n[[steps]]\nname = "a"\nprompt = "{% if x %}never closed"\n',
        ["step 'a'", "prompt", "invalid template syntax"],
    ),
    (
        "jinja-syntax-when",
        'name = "x"\n[[steps]]\nname = "a"\nshell = "true"\nwhen = "steps.(("\n',
        ["step 'a'", "when", "invalid template syntax"],
    ),
    (
        "hyphen-typo",
        'name = "x"\n[[steps]]\nname = "deep-dive"\nshell = "true"\n[[steps]]\nname = "b"\ndepends_on = ["deep-dive"]\nprompt = "{{ steps.deep-div.output }}"\n',
        ["unknown step 'steps.deep'"],
    ),
    (
        "bad-type-timeout",
        'name = "x"\n[[steps]]\nname = "a"\nshell = "true"\ntimeout = "5s"\n',
        ["step 'a'", "'timeout' must be an integer"],
    ),
    (
        "bool-as-int",
        'name = "x"\n[[steps]]\nname = "a"\nshell = "true"\nretries = true\n',
        ["'retries' must be an integer"],
    ),
    (
        "negative-retries",
        'name = "x"\n[[steps]]\nname = "a"\nshell = "true"\nretries = -1\n',
        ["'retries' must be an integer from 0 to 20", "got -1"],
    ),
    ("zero-timeout", 'name = "x"\ntimeout = 0\n' + STEP, ["'timeout' must be an integer from 1"]),
    (
        "depends-not-list",
        'name = "x"\n[[steps]]\nname = "a"\nshell = "true"\ndepends_on = "b"\n',
        ["'depends_on' must be an array"],
    ),
    (
        "backend-and-backends",
        'name = "x"\n[[steps]]\nname = "a"\nprompt = "p"\nbackend = "codex"\nbackends = ["claude"]\n',
        ["both 'backend' and 'backends'"],
    ),
    (
        "backend-on-shell",
        'name = "x"\n[[steps]]\nname = "a"\nshell = "true"\nbackend = "codex"\n',
        ["only for prompt steps"],
    ),
    (
        "empty-backends",
        'name = "x"\n[[steps]]\nname = "a"\nprompt = "p"\nbackends = []\n',
        ["'backends' is empty"],
    ),
    ("bad-step-name", 'name = "x"\n[[steps]]\nname = "a b"\nshell = "true"\n', ["step name 'a b'"]),
    ("missing-step-name", 'name = "x"\n[[steps]]\nshell = "true"\n', ["steps[0]", "missing 'name'"]),
    ("steps-not-tables", 'name = "x"\nsteps = [1]\n', ["steps[0]", "[[steps]] table"]),
    (
        "publish-unknown",
        'name = "x"\npublish = "issue-coment"\n' + STEP,
        ["'publish' must be one of", "issue-comment"],
    ),
    (
        "for-each-unknown",
        'name = "x"\n[[steps]]\nname = "a"\nprompt = "p"\nfor_each = "file"\n',
        ["for_each"],
    ),
    (
        "verify-without-edits",
        'name = "x"\n[[steps]]\nname = "a"\nprompt = "p"\nverify = "make"\n',
        ["verify", "apply_edits"],
    ),
    # TOML that tomllib cannot take: a RecursionError or int()'s digit limit, never a traceback
    (
        "toml-nested-arrays",
        'name = "x"\nv = ' + "[" * 3000 + "]" * 3000 + "\n",
        ["invalid TOML", "nested too deeply"],
    ),
    (
        "toml-nested-tables",
        'name = "x"\nv = ' + "{a = " * 3000 + "1" + "}" * 3000 + "\n",
        ["invalid TOML", "nested too deeply"],
    ),
    ("toml-huge-integer", 'name = "x"\ntimeout = ' + "9" * 5000 + "\n" + STEP, ["invalid TOML", "digits"]),
    # every number has a range: past it a timer never fires or a retry sleep overflows
    (
        "step-timeout-int64",
        'name = "x"\n[[steps]]\nname = "a"\nshell = "true"\ntimeout = 9223372036854775807\n',
        [
            "step 'a'",
            "'timeout' must be an integer from 1 to 604800000 (milliseconds)",
            "9223372036854775807",
        ],
    ),
    (
        "step-timeout-float",
        'name = "x"\n[[steps]]\nname = "a"\nshell = "true"\ntimeout = 1e300\n',
        ["step 'a'", "'timeout' must be an integer from 1 to 604800000", "1e+300"],
    ),
    (
        "workflow-timeout-int64",
        'name = "x"\ntimeout = 9223372036854775807\n' + STEP,
        ["'timeout' must be an integer from 1 to 604800000"],
    ),
    (
        "retry-delay-huge",
        'name = "x"\n[[steps]]\nname = "a"\nshell = "true"\nretry_delay = 100000000000000000\n',
        ["step 'a'", "'retry_delay' must be an integer from 0 to 600000 (milliseconds)"],
    ),
    (
        "retries-huge",
        'name = "x"\n[[steps]]\nname = "a"\nshell = "true"\nretries = 1000000\n',
        ["'retries' must be an integer from 0 to 20"],
    ),
    # found at load time, not after the steps before them have run
    (
        "template-unknown-attribute",
        'name = "x"\n[[steps]]\nname = "prep"\nshell = "true"\n'
        '[[steps]]\nname = "b"\ndepends_on = ["prep"]\nprompt = "{{ steps.prep.outptu }}"\n',
        ["step 'b'", "prompt", "'steps.prep.outptu'", "did you mean 'output'"],
    ),
    (
        "template-unknown-attribute-item",
        'name = "x"\n[[steps]]\nname = "prep"\nshell = "true"\n'
        '[[steps]]\nname = "b"\ndepends_on = ["prep"]\nprompt = "{{ steps[\'prep\'][\'stauts\'] }}"\n',
        ["'steps.prep.stauts'", "did you mean 'status'"],
    ),
    (
        "template-unknown-attribute-when",
        'name = "x"\n[[steps]]\nname = "prep"\nshell = "true"\n'
        '[[steps]]\nname = "b"\ndepends_on = ["prep"]\nshell = "true"\nwhen = "steps.prep.sucess"\n',
        ["step 'b'", "when", "did you mean 'success'"],
    ),
    (
        "template-unknown-attribute-far-ancestor",
        'name = "x"\n[[steps]]\nname = "a"\nshell = "true"\n[[steps]]\nname = "b"\nshell = "true"\n'
        'depends_on = ["a"]\n[[steps]]\nname = "c"\ndepends_on = ["b"]\nshell = "echo {{ steps.a.txt }}"\n',
        ["step 'c'", "'steps.a.txt'", "did you mean 'text'"],
    ),
    (
        "shell-backtick",
        'name = "x"\n[[steps]]\nname = "prep"\nshell = "true"\n'
        '[[steps]]\nname = "b"\ndepends_on = ["prep"]\nshell = "echo `{{ steps.prep.output }}`"\n',
        ["step 'b'", "shell", "quoted"],
    ),
    (
        "shell-brace",
        'name = "x"\n[[steps]]\nname = "prep"\nshell = "true"\n'
        '[[steps]]\nname = "b"\ndepends_on = ["prep"]\nshell = "echo ${X:-{{ steps.prep.output }}}"\n',
        ["step 'b'", "shell", "quoted"],
    ),
    (
        "shell-heredoc",
        'name = "x"\n[[steps]]\nname = "prep"\nshell = "true"\n'
        '[[steps]]\nname = "b"\ndepends_on = ["prep"]\nshell = "cat <<EOF\\n{{ steps.prep.output }}\\nEOF"\n',
        ["step 'b'", "shell", "heredoc"],
    ),
    (
        "shell-backtick-in-else-branch",
        'name = "x"\n[[steps]]\nname = "prep"\nshell = "true"\n[[steps]]\nname = "b"\ndepends_on = ["prep"]\n'
        'shell = "{% if steps.prep.success %}echo ok{% else %}echo `{{ steps.prep.error }}`{% endif %}"\n',
        ["step 'b'", "shell", "quoted"],
    ),
    (
        "verify-backtick",
        'name = "x"\n[[steps]]\nname = "prep"\nshell = "true"\n[[steps]]\nname = "b"\ndepends_on = ["prep"]\n'
        'prompt = "p"\napply_edits = true\nverify = "test `{{ steps.prep.output }}`"\n',
        ["step 'b'", "verify", "quoted"],
    ),
]


def check_one_line_error(done, words: list[str]) -> None:  # type: ignore[no-untyped-def]
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("lok: error: ")
    for word in words:
        assert word in lines[0], (word, lines[0])


@pytest.mark.parametrize(("case", "text", "words"), WORKFLOWS, ids=[case[0] for case in WORKFLOWS])
def test_malformed_workflow_validate(lok_project: LokProject, case: str, text: str, words: list[str]) -> None:
    path = lok_project.write_workflow(case, text, local=False)
    done = lok_project.lok("workflow", "validate", str(path))
    check_one_line_error(done, [str(path), *words])


def test_malformed_workflow_by_name_in_run(lok_project: LokProject) -> None:
    lok_project.write_workflow("broken", 'name = "x"\n' + STEP + STEP)
    done = lok_project.lok("run", "broken")
    check_one_line_error(done, [".lok/workflows/broken.toml", "duplicate step name 'a'"])


# (id, lok.toml text, words)
CONFIGS = [
    ("config-toml-syntax", "[defaults\n", ["lok.toml", "invalid TOML"]),
    ("config-unknown-section", "[defaultz]\n", ["unknown section [defaultz]", "defaults"]),
    ("config-unknown-key", "[defaults]\nparalel = true\n", ["unknown key 'defaults.paralel'", "parallel"]),
    ("config-bad-type", '[defaults]\ntimeout = "300"\n', ["defaults.timeout must be"]),
    ("config-bad-kind", '[backends.x]\nkind = "comand"\n', ["backends.x.kind", "command"]),
    ("config-wrapper", '[defaults]\ncommand_wrapper = "nix-shell --run"\n', ["command_wrapper", "{cmd}"]),
    ("config-max-parallel", "[defaults]\nmax_parallel = 0\n", ["max_parallel must be an integer from 1"]),
    ("config-backend-key", '[backends.codex]\ncomand = "codex"\n', ["backends.codex.comand", "command"]),
    ("config-timeout-inf", "[defaults]\ntimeout = inf\n", ["defaults.timeout", "finite", "inf"]),
    ("config-timeout-nan", "[defaults]\ntimeout = nan\n", ["defaults.timeout", "finite", "nan"]),
    ("config-backend-timeout-inf", "[backends.codex]\ntimeout = inf\n", ["backends.codex.timeout", "finite"]),
    (
        "config-backend-timeout-nan",
        "[backends.codex]\ntimeout = -nan\n",
        ["backends.codex.timeout", "finite"],
    ),
    ("config-ttl-inf", "[cache]\nttl_hours = inf\n", ["cache.ttl_hours", "finite"]),
    ("config-ttl-nan", "[cache]\nttl_hours = nan\n", ["cache.ttl_hours", "finite"]),
    ("config-ttl-negative", "[cache]\nttl_hours = -1\n", ["cache.ttl_hours", "from 0 to 87600"]),
    ("config-toml-nested", "[defaults]\nx = " + "[" * 3000 + "\n", ["lok.toml", "nested too deeply"]),
    ("config-toml-huge-integer", "[defaults]\ntimeout = " + "9" * 5000 + "\n", ["lok.toml", "invalid TOML"]),
    (
        "config-timeout-int64",
        "[defaults]\ntimeout = 9223372036854775807\n",
        ["defaults.timeout must be a finite number > 0 and <= 604800 (seconds)", "9223372036854775807"],
    ),
    ("config-timeout-1e300", "[defaults]\ntimeout = 1e300\n", ["defaults.timeout", "<= 604800", "1e+300"]),
    (
        "config-backend-timeout-1e300",
        "[backends.codex]\ntimeout = 1e300\n",
        ["backends.codex.timeout", "604800"],
    ),
    (
        "config-budget-negative",
        "[backends.codex]\nbudget_chars = -100\n",
        ["backends.codex.budget_chars must be an integer from 1000 to 100000000", "-100"],
    ),
    (
        "config-max-parallel-huge",
        "[defaults]\nmax_parallel = 100000\n",
        ["defaults.max_parallel", "1 to 256"],
    ),
    ("config-ttl-1e300", "[cache]\nttl_hours = 1e300\n", ["cache.ttl_hours", "87600"]),
    (
        "config-command-backend-without-command",
        '[backends.x]\nkind = "command"\n',
        ["lok.toml", "backends.x.command is required for kind 'command'"],
    ),
    (
        "config-openai-backend-without-url",
        '[backends.x]\nkind = "openai"\nmodel = "m"\n',
        ["backends.x.command is required for kind 'openai'"],
    ),
]


@pytest.mark.parametrize(("case", "text", "words"), CONFIGS, ids=[case[0] for case in CONFIGS])
def test_malformed_config(lok_project: LokProject, case: str, text: str, words: list[str]) -> None:
    (lok_project.root / "lok.toml").write_text(text)
    lok_project.write_workflow("ok", 'name = "ok"\n' + STEP)
    done = lok_project.lok("run", "ok")
    check_one_line_error(done, words)


ASK_TIMEOUTS = ["-1", "0", "inf", "nan"]


@pytest.mark.parametrize("value", ASK_TIMEOUTS)
def test_ask_refuses_bad_timeouts(lok_project: LokProject, value: str) -> None:
    lok_project.write_config()
    done = lok_project.lok("ask", "--timeout", value, "hello")
    check_one_line_error(done, ["--timeout", "a finite number > 0"])


USAGE = [
    ("unknown-workflow", ["run", "hnt"], ["unknown workflow 'hnt'", "did you mean 'hunt'"]),
    ("missing-file", ["run", "nowhere/x.toml"], ["nowhere/x.toml: workflow file not found"]),
    ("unknown-backend", ["run", "needs-backend"], ["step 'a'", "unknown backend 'nosuch'"]),
    ("bad-dir", ["run", "ok", "-C", "does-not-exist"], ["-C/--dir", "not a directory"]),
    ("missing-config", ["run", "ok", "--config", "nope.toml"], ["nope.toml", "config file not found"]),
    ("empty-backends-flag", ["run", "ok", "-b", ","], ["-b/--backends"]),
]


@pytest.mark.parametrize(("case", "argv", "words"), USAGE, ids=[case[0] for case in USAGE])
def test_usage_errors(lok_project: LokProject, case: str, argv: list[str], words: list[str]) -> None:
    lok_project.write_config()
    lok_project.write_workflow("ok", 'name = "ok"\n' + STEP)
    lok_project.write_workflow(
        "needs-backend", 'name = "nb"\n[[steps]]\nname = "a"\nbackend = "nosuch"\nprompt = "p"\n'
    )
    done = lok_project.lok(*argv)
    check_one_line_error(done, words)
