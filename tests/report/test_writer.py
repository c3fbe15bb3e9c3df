import json

import pandas as pd
from click.testing import CliRunner

from analyzer.cli import cli
from analyzer.report.writer import page_name, write_report
from analyzer.runner import run_batch


def test_page_names_are_safe_and_distinct():
    assert page_name("agent-01") == "agent-01.html"
    unsafe = page_name("../../etc/passwd")
    assert "/" not in unsafe and unsafe.endswith(".html")
    assert page_name("a/b") != page_name("a_b")


def test_exports_and_pages_exist(report_results):
    results, index = report_results
    report = index.parent
    agents = pd.read_csv(report / "agents.csv")
    assert set(agents.agent_id) == set(pd.read_parquet(results / "agents.parquet").agent_id)
    coaching = pd.read_csv(report / "coaching.csv")
    assert {"agent_id", "behaviour", "priority"} <= set(coaching.columns)
    calls = pd.read_parquet(results / "calls.parquet")
    assert len(list((report / "calls").glob("*.html"))) == len(calls)
    import re

    for page in [index, *list((report / "agents").glob("*.html"))[:3]]:
        html = page.read_text()
        # nothing is loaded from the network: no CDN scripts, styles, fonts or images
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), page
        assert "<link" not in html


def test_report_without_aggregates_still_writes(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "c.json").write_text(json.dumps({"call_id": "c", "agent_id": "a", "utterances": [{"speaker": "agent", "start": 0, "end": 1, "text": "Hi"}]}))
    run_batch(inp, tmp_path / "r", aggregate=False, report=False, config=_no_text_models())
    index = write_report(tmp_path / "r")
    assert "No agent comparison yet" in index.read_text()
    result = CliRunner().invoke(cli, ["report", str(tmp_path / "r"), "--out", str(tmp_path / "rep")])
    assert result.exit_code == 0 and (tmp_path / "rep" / "calls" / "c.html").exists()


def _no_text_models():
    from analyzer.config import AnalyzerConfig, BehaviourOptions, SentimentOptions

    return AnalyzerConfig(sentiment=SentimentOptions(enabled=False), behaviours=BehaviourOptions(enabled=False))
