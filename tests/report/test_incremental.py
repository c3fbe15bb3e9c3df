"""The incremental report (issue 13, item 3): a call's page is written once per stored version and
kept; the team report, the scorecards and the exports are rewritten each night, built aside and
moved in whole; pages follow the store when files go (retention, compaction); the scorecards'
charts are drawn by hand, not by matplotlib per agent."""

import html
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from analyzer.config import AggregateOptions, AnalyzerConfig, BehaviourOptions, SentimentOptions
from analyzer.report import svg, writer
from analyzer.report.writer import STATE_DIR, page_name, write_report
from analyzer.runner import run_batch
from analyzer.store import compact

CONFIG = AnalyzerConfig(sentiment=SentimentOptions(enabled=False), behaviours=BehaviourOptions(enabled=False),
                        aggregate=AggregateOptions(n_boot=20, min_calls=2))


def transcript(call_id, agent_id="a1", text="Hi, my bill is wrong.", n=4):
    utterances = [{"speaker": "agent" if i % 2 == 0 else "customer", "start": 2.5 * i, "end": 2.5 * i + 2.0,
                   "text": "Thank you for calling." if i % 2 == 0 else text} for i in range(n)]
    return {"call_id": call_id, "agent_id": agent_id, "started_at": "2026-11-02T10:00:00", "utterances": utterances}


def night(folder: Path, calls) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for call in calls:
        (folder / f"{call['call_id']}.json").write_text(json.dumps(call))
    return folder


def pages(report: Path) -> dict:
    """page name -> (inode, mtime_ns): a page rewritten gets a new inode (written aside, renamed)."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (report / "calls").glob("*.html")}


def batch_files(results: Path, batch_id: str):
    return sorted(results.glob(f"*/batch_date=*/part-{batch_id}-*.parquet"))


@pytest.fixture()
def two_nights(tmp_path):
    """Night 1: six calls of three agents. Night 2: two new calls, and c1 again with new content."""
    out = tmp_path / "r"
    first = run_batch(night(tmp_path / "n1", [transcript(f"c{i}", f"a{i % 3}") for i in range(6)]), out, config=CONFIG)
    before = pages(out / "report")
    second = run_batch(night(tmp_path / "n2", [transcript("c1", "a1", text="Second version of this call."),
                                               transcript("c6", "a0"), transcript("c7", "a9")]), out, config=CONFIG)
    assert first.exit_code == 0 and second.exit_code == 0
    return out, before, first, second


def test_a_night_writes_the_pages_of_its_new_and_reprocessed_calls_only(two_nights):
    out, before, first, second = two_nights
    assert writer.last_summary.mode == "incremental" and writer.last_summary.pages_written == 3
    after = pages(out / "report")
    assert set(after) == {page_name(f"c{i}") for i in range(8)}
    kept = {name for name in before if name != page_name("c1")}
    assert all(after[name] == before[name] for name in kept), "an earlier night's page was rewritten"
    assert after[page_name("c1")] != before[page_name("c1")]
    assert "Second version of this call." in (out / "report" / "calls" / page_name("c1")).read_text()
    # the new agent has a scorecard, linked from the index and from its call's page
    assert (out / "report" / "agents" / page_name("a9")).exists()
    assert 'href="agents/a9.html"' in (out / "report" / "index.html").read_text()
    assert not [p for p in out.iterdir() if p.name.startswith(".report.")], "no temporary folder left behind"
    # nothing new: no page written, the team part rewritten
    write_report(out)
    assert writer.last_summary.pages_written == 0 and writer.last_summary.scorecards == 4
    assert pages(out / "report") == after


def test_pages_follow_the_store_when_files_go(two_nights):
    """Retention deletes night 2's files: its new calls' pages go, and c1's page shows night 1's
    version again."""
    out, _, first, second = two_nights
    files = batch_files(out, second.batch_id)
    assert {p.parent.parent.name for p in files} >= {"calls", "utterances"}
    for path in files:
        path.unlink()
    write_report(out)
    names = set(pages(out / "report"))
    assert names == {page_name(f"c{i}") for i in range(6)}
    assert writer.last_summary.pages_removed == 2 and writer.last_summary.pages_written == 1
    assert "Second version" not in (out / "report" / "calls" / page_name("c1")).read_text()


def test_after_compaction_no_page_is_rewritten(two_nights):
    out, _, _, _ = two_nights
    before = pages(out / "report")
    summary = compact(out)
    assert summary.files_after < summary.files_before
    write_report(out)
    assert writer.last_summary.pages_written == 0 and pages(out / "report") == before


def test_a_failed_report_leaves_the_previous_one_and_the_next_catches_up(two_nights, monkeypatch, tmp_path):
    out, _, _, _ = two_nights
    report = out / "report"
    index, scorecard = (report / "index.html").read_text(), (report / "agents" / page_name("a0")).read_text()
    run_batch(night(tmp_path / "n3", [transcript("c8", "a0")]), out, config=CONFIG, report=False)
    (report / "calls" / ".tmp-12345-c5.html").write_text("a page a killed report was writing")

    def boom(*args, **kwargs):
        raise RuntimeError("scorecards exploded")

    monkeypatch.setattr(writer.Report, "_agent_page", boom)
    with pytest.raises(RuntimeError, match="exploded"):
        write_report(out)
    assert (report / "index.html").read_text() == index and (report / "agents" / page_name("a0")).read_text() == scorecard
    assert not [p for p in out.iterdir() if p.name.startswith(".report.")], "no temporary folder left behind"
    assert not list((report / "calls").glob(".tmp-*")), "a killed report's unfinished page is cleaned up"
    assert (report / "calls" / page_name("c8")).exists()  # the night's pages are in (linked once the scorecards are)
    monkeypatch.undo()
    write_report(out)
    assert "c8" in (report / "agents" / page_name("a0")).read_text()
    assert writer.last_summary.pages_written == 0


def test_quoted_pages_exist_and_a_report_folder_of_other_results_is_rebuilt(two_nights, tmp_path, monkeypatch):
    out, _, _, _ = two_nights
    gone = page_name("c3")
    (out / "report" / "calls" / gone).unlink()
    with monkeypatch.context() as patch:
        patch.setattr(writer.Report, "example_call_ids", lambda self: {"c3"})
        write_report(out)
    assert (out / "report" / "calls" / gone).exists() and writer.last_summary.pages_written == 1
    # a report folder written from another results directory: rebuilt whole, nothing of the other kept
    other = tmp_path / "other"
    run_batch(night(tmp_path / "o1", [transcript("z1", "q1")]), other, config=CONFIG, report=False)
    write_report(other, out / "report")
    assert writer.last_summary.mode == "full"
    assert {p.name for p in (out / "report" / "calls").glob("*.html")} == {page_name("z1")}
    assert (out / "report" / STATE_DIR / "state.json").exists()


def test_scorecard_charts_are_drawn_without_matplotlib(tmp_path, monkeypatch):
    """The per-agent cost was matplotlib (about 0.1 s a figure, three per scorecard): only the
    team report's few charts use it now, whatever the number of agents."""
    from analyzer.report import charts

    calls = [transcript(f"c{i}", f"a{i % 12}") for i in range(48)]
    out = tmp_path / "r"
    run_batch(night(tmp_path / "n1", calls[:24]), out, config=CONFIG, report=False)
    run_batch(night(tmp_path / "n2", calls[24:]), out, config=CONFIG, report=False)
    figures = []
    original = charts.to_svg
    monkeypatch.setattr(charts, "to_svg", lambda fig: figures.append(fig) or original(fig))
    monkeypatch.setattr(writer, "SCORECARD_CALLS", 3)
    write_report(out)
    assert writer.last_summary.scorecards == 12
    assert len(figures) <= 5
    page = html.unescape((out / "report" / "agents" / page_name("a0")).read_text())
    assert page.count('class="chart ') >= 2 and 'class="chart trend"' in page  # trajectories need sentiment: off here
    assert "The 3 most recent of the agent's 4 calls" in page and page.count('<tr><td><a href="../calls/') == 3


def test_the_period_the_comparison_covers_is_shown(two_nights):
    out, _, _, _ = two_nights
    path = out / "variability.json"
    headline = json.loads(path.read_text())
    for value, shown in (({"since": "2026-09-01", "until": "2026-11-30", "days": 90}, "2026-09-01 to 2026-11-30 (90 days)"),
                         ("the last 30 days", "the last 30 days"), (60, "the last 60 days")):
        path.write_text(json.dumps({**headline, "window": value}))
        os.utime(path)
        write_report(out)
        assert f"The agent comparison covers {shown}." in (out / "report" / "index.html").read_text()
    path.write_text(json.dumps({**headline, "window": {"unexpected": ["shape"]}}))
    write_report(out)  # read defensively: no period shown, no failure
    assert "The agent comparison covers" not in (out / "report" / "index.html").read_text()


def test_hand_drawn_charts_escape_their_text():
    hostile = "<script>alert(1)</script>"
    chart = svg.TrajectoryChart({f"team {hostile}": [0.1] * 10}).svg(hostile, {"this agent": [0.2] * 10})
    bars = svg.paired_bars([hostile], [0.5], [0.4], (hostile, "team"), hostile)
    frame = pd.DataFrame({"label": [f"{hostile}\n3 calls", "b\n2 calls"], "aht": [300.0, 320.0], "aht_low": [250.0, 260.0],
                          "aht_high": [350.0, 380.0], "aht_n": [3, 2]})
    trend = svg.trend(frame, {"aht": hostile}, hostile)
    for text in (chart, bars, trend):
        assert "<script>" not in text and "&lt;script&gt;" in text
    assert "3 calls" in trend and "n=3" in trend and "n=2" in trend
