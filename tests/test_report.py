"""Reports: SARIF validates and respects GitHub's limits, markdown/terminal/JSON say what they must."""

from __future__ import annotations

import gzip
import json

from lok_action.findings.merge import merge_findings
from lok_action.findings.model import Finding
from lok_action.outcome import BackendStatus, CoverageSummary, Outcome
from lok_action.report.jsonreport import render_json
from lok_action.report.markdown import render_markdown
from lok_action.report.sarif import render_sarif
from lok_action.report.terminal import render_terminal, use_colour


def finding(
    title: str, severity: str, backends: list[str], category: str = "bug", line: int = 6, **extra
) -> Finding:
    return Finding(
        f"lok/{title.lower().replace(' ', '-')}",
        category,
        severity,
        extra.pop("file", "src/stats.py"),
        line,
        line,
        title,
        backends=backends,
        fingerprint=f"{abs(hash(title)):064d}"[:64],
        **extra,
    )


def sample_result(min_consensus: int = 1) -> Outcome:
    findings = [
        finding(
            "Division by zero",
            "high",
            ["a", "b", "c"],
            explanation="Empty <list> | crashes",
            suggested_fix="return total / len(values) if values else 0.0",
        ),
        finding("SQL injection", "critical", ["b", "c"], category="security", line=40, dissent=["a"]),
        finding("Unused import", "low", ["a"], category="dead-code", line=1, dissent=["b", "c"]),
    ]
    statuses = [
        BackendStatus(
            "a",
            calls=3,
            usable=3,
            duration=1.25,
            input_tokens=1200,
            output_tokens=300,
            cost_usd=0.0123,
            findings=2,
        ),
        BackendStatus("b", calls=3, usable=3, findings=2, dropped=2),
        BackendStatus("c", calls=3, failed_calls=1, usable=1, findings=2, unparseable=1),
    ]
    return Outcome(
        workflow="hunt",
        target=".",
        findings=merge_findings(findings),
        min_consensus=min_consensus,
        backends=statuses,
        coverage=CoverageSummary(
            analysed=["src/stats.py", "src/names.py"],
            skipped={"logo.png": "binary", "vendor/lib.js": "vendored (vendor/)"},
        ),
    )


def test_sarif_validates_and_carries_what_code_scanning_reads(sarif_validator):
    document = json.loads(render_sarif(sample_result()))
    sarif_validator(document)
    runs = {run["automationDetails"]["id"]: run for run in document["runs"]}
    assert set(runs) == {f"lok/hunt/{c}/" for c in ("bug", "security", "performance", "dead-code", "style")}
    bug = runs["lok/hunt/bug/"]
    assert bug["tool"]["driver"]["name"] == "lok"
    rule = bug["tool"]["driver"]["rules"][0]
    assert {"id", "shortDescription", "fullDescription", "help"} <= set(rule)
    result = bug["results"][0]
    assert result["level"] == "error"
    assert "security-severity" not in result["properties"]  # a bug is not a security alert
    assert result["properties"]["precision"] == "very-high"
    assert result["partialFingerprints"]["primaryLocationLineHash"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "src/stats.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"]["startLine"] == 6
    security = runs["lok/hunt/security/"]["results"][0]
    assert (security["level"], security["properties"]["security-severity"]) == ("error", "9.5")
    dead = runs["lok/hunt/dead-code/"]["results"][0]
    assert (dead["level"], dead["properties"]["precision"]) == ("note", "medium")


def test_sarif_uris_are_repository_relative():
    result = sample_result()
    result.path_prefix = "services/api/"
    document = json.loads(render_sarif(result))
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for run in document["runs"]
        for r in run["results"]
    ]
    assert uris and all(uri.startswith("services/api/src/") for uri in uris)


def many(count: int) -> Outcome:
    severities = ["critical", "high", "medium", "low", "info"]
    findings = [
        finding(
            f"Problem number {n}",
            severities[n % 5],
            ["a"],
            file=f"f{n}.py",
            line=n % 50 + 1,
            explanation="x" * 200,
        )
        for n in range(count)
    ]
    return Outcome(
        workflow="hunt", target=".", findings=merge_findings(findings), backends=[BackendStatus("a", calls=1)]
    )


def test_sarif_results_per_run_limit_drops_lowest_severity_and_says_so(sarif_validator):
    document = json.loads(render_sarif(many(50), max_results=20))
    sarif_validator(document)
    run = document["runs"][0]
    assert len(run["results"]) == 20
    assert run["properties"]["dropped"] == 30
    kept = {r["properties"]["severity"] for r in run["results"]}
    assert kept == {"critical", "high"}  # 10 each; medium, low and info went first
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert "30 lowest-severity results dropped" in notes[0]["message"]["text"]


def test_sarif_gzip_limit_drops_lowest_severity(sarif_validator):
    data = render_sarif(many(400), max_gzip_bytes=20_000)
    assert len(gzip.compress(data)) <= 20_000
    document = json.loads(data)
    sarif_validator(document)
    run = document["runs"][0]
    assert 0 < len(run["results"]) < 400
    assert run["properties"]["dropped"] == 400 - len(run["results"])
    assert "info" not in {r["properties"]["severity"] for r in run["results"]}
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_markdown_summary_has_agreement_backends_coverage_and_drops():
    text = render_markdown(sample_result(min_consensus=2))
    assert "## lok hunt: 2 findings" in text
    assert "| 1 | critical | SQL injection | `src/stats.py:40` | 2/3 | b, c | — | — | a |" in text
    assert "| 2 | high | Division by zero | `src/stats.py:6` | 3/3 | a, b, c | — | — | — |" in text
    assert "Unused import" not in text  # below --min-consensus 2
    assert "(1 finding below the threshold not shown)" in text
    assert "**Coverage:** 2 files analysed, 2 skipped (1 binary, 1 vendored)" in text
    assert "- b: 2 findings dropped as malformed" in text
    assert "- c: 1 answer was not JSON" in text
    assert "| a | ok | 3/3 | 2 | 1.2s | 1,200 in / 300 out | $0.0123 |" in text
    assert "Empty &lt;list&gt; | crashes" in text  # LLM text cannot inject HTML
    assert "```\nreturn total / len(values) if values else 0.0\n```" in text


def test_reports_are_byte_identical_for_the_same_input():
    for render in (render_markdown, render_json, render_terminal):
        assert render(sample_result(2)) == render(sample_result(2))
    assert render_sarif(sample_result()) == render_sarif(sample_result())


def test_terminal_groups_by_severity_and_colours_only_when_asked():
    plain = render_terminal(sample_result())
    assert "\033[" not in plain
    assert plain.index("CRITICAL (1)") < plain.index("HIGH (1)") < plain.index("LOW (1)")
    assert "agreement 3/3: found by a, b, c" in plain
    assert "agreement 1/3: found by a; not reported by b, c" in plain
    assert "Coverage: 2 files analysed" in plain
    coloured = render_terminal(sample_result(), colour=True)
    assert "\033[31mHIGH (1)\033[0m" in coloured
    assert use_colour(True, {}) and not use_colour(False, {}) and not use_colour(True, {"NO_COLOR": "1"})


def test_json_round_trip_keeps_everything():
    original = sample_result(2)
    data = json.loads(render_json(original))
    assert [f["title"] for f in data["findings"]] == ["SQL injection", "Division by zero"]
    assert [f["title"] for f in data["below_consensus"]] == ["Unused import"]
    back = Outcome.from_dict(data)
    assert render_json(back) == render_json(original)


def test_every_markdown_renderer_escapes_model_html_and_never_prints_a_backwards_range():
    """The report and the GitHub comment / review share one set of markdown helpers: model text never
    reaches the page as raw HTML (the GitHub renderer used to pass `<` and `>` through), and a range
    that ends before it starts is its first line (the report used to print `7-5`)."""
    from lok_action.github.render import comment_markdown, inline_comment_body, review_body

    backwards = Finding(
        "lok/tag",
        "bug",
        "high",
        "a.py",
        7,
        5,
        "Unclosed <img src=x onerror=alert(1)> | tag",
        explanation="a <script>alert(1)</script> here",
        backends=["a"],
    )
    outcome = Outcome(
        workflow="hunt", target=".", findings=[backwards], backends=[BackendStatus("a", calls=1)]
    )
    rendered = {
        "markdown report": render_markdown(outcome),
        "lok comment": comment_markdown(outcome),
        "review body": review_body(outcome, 0, [backwards], fallback=False),
        "inline comment": inline_comment_body(backwards, suggestion=False),
    }
    for name, text in rendered.items():
        assert "<img" not in text and "<script>" not in text, name
        assert "&lt;img src=x onerror=alert(1)&gt;" in text, name
        assert "7-5" not in text, name
    for name in ("markdown report", "lok comment"):
        assert "`a.py:7`" in rendered[name] and "\\| tag" in rendered[name], name
