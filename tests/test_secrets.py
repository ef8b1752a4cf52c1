"""The secrets campaign: every kind of secret lok knows, planted at once, leaked by backends and shell
steps on stdout and stderr, and looked for in every output stream, --json document, report, run folder,
cache and progress line of the commands that show model output."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lok_action.backends import create_backend
from lok_action.backends.redaction import failure_tail
from lok_action.config import BackendConfig
from tests.fakes.project import LokProject

OPENAI = "sk-campaign-openai-0123456789"
ANTHROPIC = "sk-ant-campaign-9876543210"
TABLE = "table-value-campaign-5555"  # in a backend's env table, under an ordinary name
CODE_WORD = "code-word-campaign-4444"  # named by api_key_env, an ordinary name too
DB_PASSWORD = "db%40pass-campaign-3333"  # inside DATABASE_URL, percent-encoded
SERVICE_PASSWORD = "svc-pass-campaign-2222"  # inside a URL in the env table
SECRETS = [OPENAI, ANTHROPIC, TABLE, CODE_WORD, DB_PASSWORD, "db@pass-campaign-3333", SERVICE_PASSWORD]

DUMP = 'env; echo "url=$DATABASE_URL svc=$SERVICE_URL"'
LEAKY = f"#!/bin/sh\ncat > /dev/null\n{DUMP}\n({DUMP}) >&2\nexit 1\n"  # fails, environment on both streams
ECHOER = (  # succeeds, and its answer quotes every secret
    "#!/bin/sh\ncat > /dev/null\n"
    'echo "[{\\"file\\": \\"main.py\\", \\"start_line\\": 1, \\"category\\": \\"security\\",'
    ' \\"severity\\": \\"high\\", \\"title\\": \\"k=$OPENAI_API_KEY\\", \\"explanation\\": \\"t=$LEAKY_TABLE\\"}]"\n'
    'echo "a=$ANTHROPIC_API_KEY t=$LEAKY_TABLE c=$VENDOR_CODE_WORD u=$DATABASE_URL s=$SERVICE_URL"\n'
)
WORKFLOW = (
    '[[steps]]\nname = "leak"\nbackend = "leaky"\nprompt = "go"\ncontinue_on_error = true\n'
    '[[steps]]\nname = "echo"\nbackend = "echoer"\nprompt = "go"\n'
    f"[[steps]]\nname = \"dump\"\nshell = '''{DUMP}'''\n"
    f"[[steps]]\nname = \"dump-fail\"\nshell = '''({DUMP}) >&2; exit 1'''\ncontinue_on_error = true\n"
)


def plant(project: LokProject) -> None:
    for name, text in (("leaky", LEAKY), ("echoer", ECHOER)):
        script = project.root / f"{name}.sh"
        script.write_text(text)
        script.chmod(0o755)
    table = (
        f'env = {{ LEAKY_TABLE = "{TABLE}", SERVICE_URL = "https://svc:{SERVICE_PASSWORD}@svc.internal/" }}'
    )
    project.write_config(
        f'[backends.leaky]\nkind = "command"\ncommand = "{project.root}/leaky.sh"\n{table}\n'
        'api_key_env = "VENDOR_CODE_WORD"\n',
        f'[backends.echoer]\nkind = "command"\ncommand = "{project.root}/echoer.sh"\n{table}\n'
        'api_key_env = "VENDOR_CODE_WORD"\n',
    )
    project.write_workflow("leakwf", WORKFLOW)
    (project.root / "main.py").write_text("import os\nprint(os.environ)\n")
    project.env.update(
        OPENAI_API_KEY=OPENAI,
        ANTHROPIC_API_KEY=ANTHROPIC,
        VENDOR_CODE_WORD=CODE_WORD,
        DATABASE_URL=f"postgres://dbuser:{DB_PASSWORD}@db.internal:5432/app",
    )


COMMANDS = [
    ["ask", "-b", "leaky,echoer", "--json", "q"],
    ["ask", "-b", "leaky,echoer", "q"],
    ["run", "leakwf", "--json"],
    ["run", "leakwf"],
    [
        "spawn",
        "task",
        "-a",
        "one:first part",
        "-a",
        "two:second part",
        "--backends",
        "leaky,echoer",
        "--json",
    ],
    ["spawn", "task", "-a", "one:first part", "--backends", "leaky", "--merger", "echoer"],
    ["hunt", ".", "-b", "leaky,echoer", "--format", "json", "-o", "hunt.json", "--sarif", "hunt.sarif"],
    ["hunt", ".", "-b", "leaky,echoer", "--format", "md"],
    ["debate", "q", "-b", "leaky,echoer", "--json", "-o", "debate.md"],
]


def every_file(*folders: Path) -> list[Path]:
    return [path for folder in folders for path in folder.rglob("*") if path.is_file()]


@pytest.mark.parametrize("cached", [False, True], ids=["fresh", "from-cache"])
def test_no_secret_reaches_any_output(lok_project: LokProject, tmp_path: Path, cached: bool) -> None:
    plant(lok_project)
    runs = 2 if cached else 1  # the second round answers from the cache
    shown: list[str] = []
    for _ in range(runs):
        for args in COMMANDS:
            done = lok_project.lok(*args, timeout=120)
            assert "Traceback" not in done.stderr, (args, done.stderr)
            shown.append(f"$ lok {' '.join(args)}\n{done.stdout}\n{done.stderr}")
    files = every_file(lok_project.root, Path(lok_project.env["XDG_CACHE_HOME"]), lok_project.home)
    assert any(".lok/runs" in str(path) for path in files)  # the run folders were written
    assert any("cache" in str(path) and path.suffix == ".json" for path in files)  # and the cache
    written = {str(path): path.read_text(encoding="utf-8", errors="replace") for path in files}
    inputs = (".sh", "lok.toml", "leakwf.toml", "main.py")  # what the test itself wrote
    written = {name: text for name, text in written.items() if not name.endswith(inputs)}
    everything = "\n".join(shown) + "\n".join(written.values())
    for secret in SECRETS:
        assert secret not in everything, (secret, _where(secret, shown, written))
    assert "k=***" in everything and "t=***" in everything  # the leaks happened, and were masked


def _where(secret: str, shown: list[str], written: dict[str, str]) -> list[str]:
    places = [block.splitlines()[0] for block in shown if secret in block]
    return places + [name for name, text in written.items() if secret in text]


def test_redactor_masks_url_credentials_it_was_never_told_about() -> None:
    from lok_action.backends.redaction import Redactor

    redact = Redactor.for_env({"HOME": "/root"})
    assert redact("see postgres://admin:hunter22@db/x and https://example.com/a") == (
        "see postgres://***@db/x and https://example.com/a"
    )


def test_json_document_stays_json_after_redaction(lok_project: LokProject) -> None:
    plant(lok_project)
    done = lok_project.lok("ask", "-b", "echoer", "--json", "q")
    replies = json.loads(done.stdout)
    assert replies[0]["ok"] and "k=***" in replies[0]["text"]
    assert os.environ.get("OPENAI_API_KEY") != OPENAI  # the campaign never touched the test process


# ---- A `command` backend's failing stderr is quoted without the secrets in its environment.


SECRET = "sk-live-0123456789abcdef"
LEAKY_STDERR = "echo key $MY_API_KEY >&2; exit 3"


def test_command_backend_error_is_redacted(tmp_path: Path) -> None:
    config = BackendConfig(
        name="leaky", kind="command", command=f"sh -c '{LEAKY_STDERR}'", env={"MY_API_KEY": SECRET}
    )
    reply = create_backend(config, env=os.environ).query("q", tmp_path, 10)
    assert reply.error == "exit 3: key ***"


def test_api_key_env_with_an_ordinary_name_is_redacted(tmp_path: Path) -> None:
    config = BackendConfig(
        name="leaky",
        kind="command",
        command="sh -c 'echo using $VENDOR_PASS_WORDLESS; exit 4'",
        env={"VENDOR_PASS_WORDLESS": SECRET},
        api_key_env="VENDOR_PASS_WORDLESS",
    )
    reply = create_backend(config, env=os.environ).query("q", tmp_path, 10)
    assert reply.error == "exit 4: using ***"


def test_failure_tail_redacts_before_cutting() -> None:
    env = {"A_TOKEN": SECRET}
    text = "x" * 600 + SECRET
    assert failure_tail(text, "", env, limit=10) == "xxxxxxx***"
    assert failure_tail("", f"out {SECRET}", env) == "out ***"  # stdout when stderr is empty
    assert failure_tail(" ", "", env) == ""


def test_lok_ask_json_and_text_never_show_the_key(lok_project: LokProject) -> None:
    lok_project.write_toml(
        f'[backends.leaky]\nkind = "command"\ncommand = {json.dumps(f"sh -c {json.dumps(LEAKY_STDERR)}")}\n'
        "[cache]\nenabled = false\n"
    )
    for extra in (["--json"], []):
        done = lok_project.lok("ask", "-b", "leaky", *extra, "hi", env={"MY_API_KEY": SECRET}, timeout=60)
        assert done.returncode == 1, done.stderr
        assert SECRET not in done.stdout + done.stderr
        assert "key ***" in done.stdout
