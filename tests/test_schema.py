"""One schema module (issue 13): the README's table reference is generated from it, every column
the writers produce is declared in it, and the modules that name columns take them from it."""

import json
import re
from pathlib import Path

import pytest

from analyzer import schema
from analyzer.config import AggregateOptions, AnalyzerConfig, BehaviourOptions, SentimentOptions
from analyzer.runner import run_batch
from analyzer.store import ResultsStore

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_table_reference_is_the_schema_modules():
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- schema-reference: generated from analyzer/schema.py -->\n(.*?)\n<!-- /schema-reference -->", readme, re.S)
    assert match, "README.md has the generated table reference between its markers"
    assert match.group(1) == schema.markdown_reference(), "README.md's table reference differs: paste `python -m analyzer.schema`"


def test_every_column_a_run_writes_is_declared(tmp_path):
    calls = [{"call_id": f"c{i}", "agent_id": "a", "csat": 4, "queue": "billing", "fcr": "yes", "region": "north",
              "utterances": [{"speaker": "agent", "start": 0, "end": 2, "text": "Thanks for calling, my card is 4556 7375 8689 9855."},
                             {"speaker": "customer", "start": 12, "end": 13, "text": "Hi."}]} for i in range(3)]
    (tmp_path / "in").mkdir()
    for call in calls:
        (tmp_path / "in" / f"{call['call_id']}.json").write_text(json.dumps(call))
    (tmp_path / "in" / "broken.json").write_text("{")
    config = AnalyzerConfig(sentiment=SentimentOptions(enabled=False), behaviours=BehaviourOptions(enabled=False),
                            aggregate=AggregateOptions(n_boot=10))
    run_batch(tmp_path / "in", tmp_path / "r", config=config, report=False)
    store = ResultsStore(tmp_path / "r")
    for name in ("calls", "utterances", "behaviours", "failures", "batches", "call_outcomes"):
        table = store.read(name)
        if table is None:
            continue
        declared = schema.TABLES[name]
        undeclared = [c for c in table.column_names if declared.column(c) is None or declared.column(c).name == "<extra>"]
        assert undeclared == ([] if name != "calls" else ["region"]), (name, undeclared)  # region: an extra metadata column
        for column in table.column_names:
            type_name = declared.type_name(column)
            if type_name is not None and declared.kind != "derived":
                assert table.schema.field(column).type == schema.arrow_type(type_name), (name, column)


def test_names_are_checked():
    C = schema.CALLS.c
    assert C.handle_seconds == "handle_seconds" and C.customer_sentiment_start == "customer_sentiment_start"
    assert schema.BEHAVIOUR_COUNT.format(behaviour="empathy") == "beh_empathy_n"
    with pytest.raises(AttributeError, match="no column"):
        C.handel_seconds


def test_modules_that_name_columns_take_them_from_the_schema():
    """The calls-table column names were repeated as strings across tables.py, store.py,
    ingest/metadata.py, variability/outcomes.py and variability/aggregate.py."""
    for module in ("tables.py", "store.py", "ingest/metadata.py", "variability/outcomes.py", "variability/aggregate.py"):
        source = (ROOT / "analyzer" / module).read_text()
        assert "schema" in source, module
        source = "\n".join(line for line in source.splitlines() if "aht_source" not in line)  # its values name sources
        for name in ("handle_seconds", "hold_seconds", "acw_seconds", "input_sha256", "duration_s", "customer_index_"):
            assert not re.search(rf"(?<!f)[\"']{name}", source), (module, name)  # f-strings go through getattr(C, ...)
    from analyzer.ingest import metadata
    from analyzer.variability import aggregate

    assert set(metadata.KNOWN_COLUMNS) <= set(schema.CALLS.names)
    assert aggregate.OUTCOME_COLUMNS == schema.CALL_OUTCOMES.names
