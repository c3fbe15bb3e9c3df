import pandas as pd
import pytest

from analyzer.errors import InputError
from analyzer.ingest.metadata import read_metadata, validate_metadata


def test_csv_columns_are_typed_and_extras_kept(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(
        "call_id,agent_id,started_at,queue,csat,handle_seconds,hold_seconds,acw_seconds,transferred,region\n"
        "c1,a1,2026-11-26T18:00:00,billing,4,300,20,30,false,north\n"
        "c2,a2,,tech,,250.5,,,yes,\n"
    )
    meta = read_metadata(path)
    assert meta.problems == ()
    assert meta.get("c1") == {
        "agent_id": "a1", "started_at": "2026-11-26T18:00:00", "queue": "billing", "csat": 4.0,
        "handle_seconds": 300.0, "hold_seconds": 20.0, "acw_seconds": 30.0, "transferred": False, "region": "north",
    }
    assert meta.get("c2")["csat"] is None and meta.get("c2")["transferred"] is True and meta.get("c2")["region"] is None


def test_parquet_metadata(tmp_path):
    path = tmp_path / "calls.parquet"
    pd.DataFrame({"call_id": ["c1"], "agent_id": ["a1"], "csat": [5.0]}).to_parquet(path)
    assert read_metadata(path).get("c1")["csat"] == 5.0


def test_bad_values_are_problems_not_crashes():
    meta = validate_metadata(
        [
            {"call_id": "c1", "csat": "great", "handle_seconds": "-5", "transferred": "maybe"},
            {"call_id": "c1", "csat": "3"},
            {"call_id": "", "csat": "3"},
            {"call_id": "c2", "csat": "9"},
        ],
        source="m.csv",
    )
    reasons = [p.reason for p in meta.problems]
    assert any("column csat: 'great' is not a number" in r for r in reasons)
    assert any("'-5' is negative" in r for r in reasons)
    assert any("not true/false" in r for r in reasons)
    assert any("duplicate call_id 'c1'" in r for r in reasons)
    assert any("blank call_id" in r for r in reasons)
    assert any("outside the 1-5" in r for r in reasons)
    assert all(p.file == "m.csv" and p.severity == "warning" for p in meta.problems)
    assert meta.get("c1")["csat"] is None  # first row kept, bad value blanked
    assert meta.get("c2")["csat"] is None


def test_missing_call_id_column(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("agent_id\na1\n")
    with pytest.raises(InputError, match="no 'call_id' column"):
        read_metadata(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_metadata(tmp_path / "nope.csv")
