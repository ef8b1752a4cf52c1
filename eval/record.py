"""Record the shipped corpus's answers again: the fake reviewers (eval/fakes/) over every case of
eval/corpus, one cassette per case in eval/cassettes/ (prompts kept as hashes only: small); then the
table in the README's "Measuring your setup" is printed again from them.

    python eval/record.py            (from anywhere; it works from the repository root)

The fakes are deterministic, so a re-recording changes only the measured durations, unless a prompt
changed (a workflow's wording, the chunk layout): then every hash moves with it, which is why this
is one command. The answers' figures are checked by tests/test_eval_command.py against the fakes'
rules, never against these files.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "eval" / "corpus"
CASSETTES = ROOT / "eval" / "cassettes"
FAKE = ROOT / "eval" / "fakes" / "reviewer.py"
BACKENDS = ("alpha", "beta", "gamma")
README = ROOT / "README.md"
TABLE_START = "<!-- lok-eval-table: written by eval/record.py -->\n"
TABLE_END = "<!-- /lok-eval-table -->\n"
# what the README says printed its table (tests/test_eval_command.py checks the two agree)
REPLAY = ["eval", "eval/corpus", "--config", "eval/fakes/lok.toml", "--replay", "eval/cassettes", "-q"]


def config_text() -> str:
    """eval/fakes/lok.toml's backends, run by this Python with absolute paths (a case is analysed
    in a scratch folder, where the relative ones would not resolve)."""
    tables = []
    for name in BACKENDS:
        command = shlex.join([sys.executable, str(FAKE), name, "--corpus", str(CORPUS)])
        # a claude backend is ready only logged in, as the real CLI; the fake never reads the key
        tables.append(
            f'[backends.{name}]\nkind = "claude"\ncommand = {json.dumps(command)}\n'
            'env = { ANTHROPIC_API_KEY = "placeholder-not-a-key" }\n'
        )
    return "\n".join(tables)


def main() -> int:
    if CASSETTES.exists():  # cases removed from the corpus must not leave their cassettes behind
        strangers = [p for p in CASSETTES.rglob("*") if p.is_file() and p.suffix not in (".jsonl", ".json")]
        if strangers:
            sys.exit(f"record: {CASSETTES} holds {strangers[0]}, not a cassette file; not replacing it")
        shutil.rmtree(CASSETTES)
    with tempfile.TemporaryDirectory(prefix="lok-record-") as scratch:
        config = Path(scratch) / "lok.toml"
        config.write_text(config_text(), encoding="utf-8")
        command = [
            sys.executable, "-m", "lok_action", "eval", str(CORPUS), "--config", str(config),
            "-b", ",".join(BACKENDS), "--record", str(CASSETTES), "--record-prompts", "false", "--no-cache",
        ]  # fmt: skip
        recorded = subprocess.run(command, cwd=ROOT).returncode
    if recorded != 0:
        return recorded
    table = subprocess.run(
        [sys.executable, "-m", "lok_action", *REPLAY], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    readme = README.read_text(encoding="utf-8")
    start, end = readme.index(TABLE_START) + len(TABLE_START), readme.index(TABLE_END)
    README.write_text(readme[:start] + "```\n" + table + "```\n" + readme[end:], encoding="utf-8")
    print(f"record: {CASSETTES.relative_to(ROOT)} and the table in README.md rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
