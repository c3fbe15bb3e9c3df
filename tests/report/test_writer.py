import json

import pytest

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
    calls = pd.read_parquet(results / "calls")
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


# -- issue 10, item 4: the report never deletes what analyzer did not create ---------------------


def _one_call_results(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir(exist_ok=True)
    (inp / "c.json").write_text(json.dumps({"call_id": "c", "agent_id": "a", "utterances": [{"speaker": "agent", "start": 0, "end": 1, "text": "Hi"}]}))
    run_batch(inp, tmp_path / "r", aggregate=False, report=False, config=_no_text_models())
    return tmp_path / "r"


def test_report_out_never_deletes_a_users_folder(tmp_path):
    results = _one_call_results(tmp_path)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    (mine / "index.html").write_text("my own page")
    sibling = tmp_path / "mine.tmp"
    sibling.mkdir()
    (sibling / "draft.txt").write_text("keep me too")
    result = CliRunner().invoke(cli, ["report", str(results), "--out", str(mine)])
    assert result.exit_code == 3, result.output
    assert "analyzer did not write" in result.output and "Traceback" not in result.output
    assert (mine / "notes.txt").read_text() == "keep me" and (mine / "index.html").read_text() == "my own page"
    assert (sibling / "draft.txt").read_text() == "keep me too"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "mine", "mine.tmp", "r"], "no temporary folder left behind"


def test_report_out_into_a_new_or_empty_folder_and_over_its_own_report(tmp_path):
    results = _one_call_results(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    for _ in range(2):  # the second run replaces the report it wrote
        result = CliRunner().invoke(cli, ["report", str(results), "--out", str(empty)])
        assert result.exit_code == 0, result.output
    assert (empty / "calls" / "c.html").exists()
    index = write_report(results, tmp_path / "new" / "rep")
    assert index.exists()
    (index.parent / "calls" / "mine.txt").write_text("a file put into the report by hand")
    import pytest

    from analyzer.errors import AnalyzerError

    with pytest.raises(AnalyzerError, match="did not write"):
        write_report(results, index.parent)
    assert (index.parent / "calls" / "mine.txt").exists()


# -- issue 10, item 8: charts show their n, respect their scale, agree with stored numbers --------


def _ytick_labels(svg_text):
    import re

    return [float(t.replace("\u2212", "-")) for t in re.findall(r'id="ytick_\d+".*?<text[^>]*>([^<]+)</text>', svg_text, flags=re.S)]


def test_csat_funnel_limits_stay_inside_1_to_5():
    from analyzer.report import charts

    agents = pd.DataFrame({"surveys": [1, 2, 3, 8], "csat_raw": [5.0, 1.0, 4.5, 3.9], "quartile": [0, 0, 0, 0]})
    svg_text = charts.funnel(agents, "csat_raw", "surveys", 3.8, 1.3, "CSAT", scale=(1.0, 5.0))
    ticks = _ytick_labels(svg_text)
    assert ticks and min(ticks) >= 1 and max(ticks) <= 5, ticks
    assert "n = 4 agents" in svg_text
    low, high = charts.funnel_limits(3.8, 1.3, [1, 4], 3.09, (1.0, 5.0))
    assert low.min() >= 1 and high.max() <= 5


def test_time_use_chart_does_not_show_unrecorded_time_as_a_use():
    from analyzer.report import charts

    team = {"productive": 40.0, "distress": 5.0, "dead_air": 3.0, "hold": 2.0, "acw": 10.0, "other": 40.0, "handle_hours": 12.0, "n_calls": 150}
    svg_text = charts.time_use_bars({"team": team})
    assert "not recorded (queue, ring" not in svg_text
    assert "not in the recordings" in svg_text and "(n = 150)" in svg_text


def test_trend_across_batches_shows_calls_per_batch(tmp_path):
    inp1, inp2 = tmp_path / "n1", tmp_path / "n2"
    inp1.mkdir()
    inp2.mkdir()
    for i in range(12):
        (inp1 / f"a{i}.json").write_text(json.dumps({"call_id": f"a{i}", "agent_id": f"x{i % 3}", "utterances": [
            {"speaker": "agent", "start": 0, "end": 400 + i, "text": "Hello"}]}))
    for i in range(2):
        (inp2 / f"b{i}.json").write_text(json.dumps({"call_id": f"b{i}", "agent_id": "x0", "utterances": [
            {"speaker": "agent", "start": 0, "end": 150, "text": "Hi"}]}))
    run_batch(inp1, tmp_path / "r", config=_no_text_models())
    run_batch(inp2, tmp_path / "r", config=_no_text_models())
    html = (tmp_path / "r" / "report" / "index.html").read_text()
    trend = html[html.index("Trend across batches") - 20000:]
    assert "12 calls" in trend and "2 calls" in trend and "n=12" in trend and "n=2" in trend


def test_call_page_timeline_draws_the_holds_that_were_detected(tmp_path):
    from analyzer.config import AnalyzerConfig, BehaviourOptions, DynamicsOptions, SentimentOptions

    config = AnalyzerConfig(sentiment=SentimentOptions(enabled=False), behaviours=BehaviourOptions(enabled=False),
                            dynamics=DynamicsOptions(hold_silence_s=10.0))
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "h.json").write_text(json.dumps({"call_id": "h", "agent_id": "a", "utterances": [
        {"speaker": "agent", "start": 0, "end": 4, "text": "Let me check, please hold."},
        {"speaker": "agent", "start": 19, "end": 23, "text": "Thanks for holding."},
        {"speaker": "customer", "start": 23.5, "end": 25, "text": "Sure."}]}))
    run_batch(inp, tmp_path / "r", config=config)
    calls = pd.read_parquet(tmp_path / "r" / "calls")
    assert calls.hold_s.iloc[0] == pytest.approx(15.0)
    page = (tmp_path / "r" / "report" / "calls" / "h.html").read_text()
    assert "<title>hold 4-19 s</title>" in page
