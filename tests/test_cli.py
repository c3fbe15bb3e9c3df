import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from analyzer.cli import cli
from tests.conftest import write_wav


def test_help_is_instant_no_heavy_imports():
    code = "import sys, analyzer.cli; heavy = [m for m in ('torch', 'faster_whisper', 'transformers', 'pandas', 'av', 'ctranslate2') if m in sys.modules]; print(heavy)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_every_command_has_help():
    runner = CliRunner()
    for name, command in cli.commands.items():
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert command.help, f"{name} has no help text"


def _transcript(call_id, agent_id="a1"):
    return json.dumps({"call_id": call_id, "agent_id": agent_id,
                       "utterances": [{"speaker": "agent", "start": 0, "end": 1, "text": "Hello"}]})


def test_run_exit_codes(tmp_path):
    runner = CliRunner()
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "a.json").write_text(_transcript("a"))
    ok = runner.invoke(cli, ["run", str(inp), "--out", str(tmp_path / "r1"), "-q"])
    assert ok.exit_code == 0, ok.output
    assert "1 calls ok" in ok.output
    (inp / "b.json").write_text("{broken")
    partial = runner.invoke(cli, ["run", str(inp), "--out", str(tmp_path / "r1"), "-q"])
    assert partial.exit_code == 1
    assert "not valid JSON" in partial.output and "1 already done" in partial.output
    nothing = runner.invoke(cli, ["run", str(tmp_path / "missing"), "--out", str(tmp_path / "r2"), "-q"])
    assert nothing.exit_code == 3
    usage = runner.invoke(cli, ["run", str(inp)])
    assert usage.exit_code == 2


def test_missing_model_is_one_clear_line(tmp_path):
    import numpy as np

    inp = tmp_path / "in"
    inp.mkdir()
    write_wav(inp / "c.wav", np.zeros((2, 8000)), 8000)
    (tmp_path / "m.csv").write_text("call_id,agent_id\nc,a\n")
    result = CliRunner().invoke(cli, ["run", str(inp), "-m", str(tmp_path / "m.csv"), "--out", str(tmp_path / "r"), "--model", str(tmp_path / "no-such-model"), "-q"])
    assert result.exit_code == 3
    assert "does not exist" in result.output and "pip install 'analyzer[offline]'" in result.output
    assert "Traceback" not in result.output


def test_bad_config_file(tmp_path):
    (tmp_path / "c.toml").write_text("[transcribe]\nbeams = 3\n")
    result = CliRunner().invoke(cli, ["run", str(tmp_path), "--out", str(tmp_path / "r"), "--config", str(tmp_path / "c.toml")])
    assert result.exit_code == 3 and "unknown option(s) beams" in result.output
