"""Redaction in the batch (issue 11): nothing planted in a batch survives anywhere in the results
directory, ordinary numbers do; --no-redact, the config table and CLI options, call-id
pseudonyms, counts per call, and redacted copies of the recordings (--redact-audio)."""

from __future__ import annotations

import json
import re
import subprocess
import wave
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from analyzer.adapters.whisper import Transcription
from analyzer.cli import cli
from analyzer.config import AggregateOptions, AnalyzerConfig, BehaviourOptions, SentimentOptions
from analyzer.errors import ConfigError
from analyzer.pipeline import Models, call_settings_hash
from analyzer.records import Word
from analyzer.redaction import RedactionOptions, Redactor
from analyzer.redaction.calls import pseudonym_suffix, redact_call_id
from analyzer.results import load_results
from analyzer.runner import run_batch
from tests.conftest import spoken_card_call, write_stereo, write_wav
from tests.test_first_night import KeywordTextModels

NO_TEXT = AnalyzerConfig(sentiment=SentimentOptions(enabled=False), behaviours=BehaviourOptions(enabled=False),
                         aggregate=AggregateOptions(n_boot=20))

# planted values (test numbers: Luhn-valid test cards, 555 phone numbers)
CARD, CARD_DIGITS = "4556 7375 8689 9855", "4556737586899855"
AMEX = "3782 822463 10005"
SSN = "536-22-8761"
EMAIL = "john.smith@gmail.com"
PHONE = "(415) 555-0132"
SPOKEN_CARD = "four five five six seven three seven five eight six eight nine nine eight five five"
PLANTED = {
    # value -> where it was planted
    CARD: "utterances, metadata", AMEX: "agent utterances", SSN: "utterances, metadata", EMAIL: "utterances",
    PHONE: "utterances", "maria dot garcia at yahoo dot com": "spoken email", SPOKEN_CARD: "spoken card",
    "415-555-0177": "metadata column", "jane.doe@example.org": "metadata column", "+1 415 555 0188": "transcript top-level field",
    "415 555 0166": "transcript notes field", "6011 0009 9013 9424": "transcript notes field",
    "4155550199": "recording file name", "4155550111": "failing file name", "536-22-8762": "failing file name",
    "sara.lee@example.com": "failing file name", "4155550144": "input folder name", "4929 1234 5678 9012": "metadata of a failing call",
    "4916 3385 0608 2832": "recording (customer channel)",
}
ORDINARY = ["$45.20", "3:30", "three to five business days", "2 accounts"]


def _value_pattern(value: str) -> re.Pattern:
    """The value as written, or its digits with any separators between them (digits-only form)."""
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 7:
        return re.compile(r"(?<!\d)" + r"[\s\-.()/+_]*".join(digits) + r"(?!\d)")
    return re.compile(re.escape(value), re.IGNORECASE)


def _strings(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)
    elif value is not None:
        yield str(value)


def _texts(path: Path):
    """Every piece of text a person or a tool could read from a results file."""
    yield str(path)
    if path.suffix == ".parquet":
        for row in pq.read_table(path).to_pylist():
            yield from _strings(row)
        return
    if path.suffix in (".wav", ".flac"):
        return
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        text = re.sub(r"<[^>]+>", "\n", text)
    yield from text.splitlines()


def leaks(root: Path, values) -> list:
    found = []
    patterns = {v: _value_pattern(v) for v in values}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        for text in _texts(path):
            for value, pattern in patterns.items():
                if pattern.search(text):
                    found.append((str(path.relative_to(root)), value, text[:160]))
    return found


class TimedTranscriber:
    """Hears scripted words at fixed times, each only where its channel has signal there: blank
    a word's time in the recording and it is no longer heard."""

    model_id = "timed-asr"

    def __init__(self, agent, customer):
        self.script = (agent, customer)

    def transcribe(self, *channels):
        out = []
        for audio, script in zip(channels, self.script):
            words = []
            for t, text in script:
                chunk = audio[int(t * 16000): int((t + 0.4) * 16000)]
                if len(chunk) and np.abs(chunk).max() > 0.01:
                    words.append(Word(t, t + 0.4, text, 0.9))
            out.append(tuple(words))
        return Transcription(tuple(out), 0.0, 0)


class PlantedTextModels(KeywordTextModels):
    """Keyword rules for sentiment too, so the aggregate finds behaviour effects and coaching
    moments (agent utterances carrying planted values) to show."""

    def score(self, texts, speakers, sentiment=True, behaviours=True):
        from analyzer.textmodels.bundle import TextScores

        probs, present = self.behaviours_present(texts, speakers)
        rows = [[0.8, 0.15, 0.05] if ("useless" in t or "Whatever" in t) else [0.05, 0.15, 0.8] if ("Great" in t or "lovely" in t)
                else [0.2, 0.6, 0.2] for t in texts]
        return TextScores(np.array(rows) if sentiment else None, probs if behaviours else None, present if behaviours else None)


def timed(start: float, text: str, step: float = 0.5):
    return [(round(start + i * step, 3), w) for i, w in enumerate(text.split())]


AGENT_SCRIPT = timed(0.5, "Thank you for calling, can I take the card number please?")
CUSTOMER_SCRIPT = timed(6.5, "Sure, it's 4916 3385 0608 2832 and I paid $45.20 at 3:30 thanks")


def recording(path: Path, seconds: float = 14.0, rate: int = 8000) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    return write_wav(path, np.stack([0.3 * np.sin(2 * np.pi * 300 * t), 0.3 * np.sin(2 * np.pi * 450 * t)]), rate)


def planted_call(i: int, agent: str, brush: bool) -> dict:
    agent_lines = [
        "Whatever, I have your card as 3782 822463 10005 and email john.smith@gmail.com." if brush
        else "Thanks, I have your card and email on file now.",
        "The refund takes three to five business days and you have 2 accounts with us.",
        "Whatever, so that's (415) 555-0132 for the callback." if brush else "Have a lovely day!",
    ]
    customer_lines = [
        f"My card number is {CARD}, my social is {SSN}, call me on {PHONE}.",
        f"I was charged $45.20 twice at 3:30. The old card was {SPOKEN_CARD}.",
        "My other email is maria dot garcia at yahoo dot com. " + ("This is useless." if brush else "Great, thank you!"),
    ]
    utterances, t = [], 0.0
    for a, c in zip(agent_lines, customer_lines):
        utterances.append({"speaker": "agent", "start": t, "end": t + 3.0, "text": a})
        utterances.append({"speaker": "customer", "start": t + 3.5, "end": t + 7.0, "text": c,
                           "words": [{"start": t + 3.5 + k * 0.2, "end": t + 3.6 + k * 0.2, "text": w} for k, w in enumerate(c.split())]})
        t += 8.0
    return {"call_id": f"p{i:02d}", "agent_id": agent, "csat": 2 if brush else 5, "handle_seconds": 300 + i,
            "ani": "+1 415 555 0188", "notes": "called from 415 555 0166 about card 6011 0009 9013 9424", "utterances": utterances}


@pytest.fixture
def planted_batch(tmp_path):
    rng = np.random.default_rng(5)
    inp = tmp_path / "rec_4155550144"
    inp.mkdir()
    for i in range(60):
        agent = f"a{i % 6}"
        brush = rng.random() < (0.8 if agent in ("a0", "a1") else 0.15)
        (inp / f"p{i:02d}.json").write_text(json.dumps(planted_call(i, agent, brush)))
    recording(inp / "4155550199_20261127-1405.wav")
    (inp / "4155550111.wav").write_bytes(b"")  # failing inputs named after customers
    (inp / "536-22-8762.json").write_text("{broken")
    (inp / "sara.lee@example.com.json").write_text("")
    meta = tmp_path / "calls.csv"
    rows = ["call_id,agent_id,queue,customer_phone,customer_email,card_on_file,ssn"]
    rows += [f"p{i:02d},a{i % 6},billing,415-555-0177,jane.doe@example.org,{CARD_DIGITS},{SSN}" for i in range(60)]
    rows.append("4155550199_20261127-1405,a2,payments,415-555-0177,jane.doe@example.org,,")
    rows.append("4155550111,a3,payments,,,4929 1234 5678 9012,")
    meta.write_text("\n".join(rows) + "\n")
    return inp, meta


def test_planted_values_leave_no_trace_in_the_results_directory(tmp_path, planted_batch):
    """The issue's "done": card numbers, SSNs, emails and phone numbers planted in transcript
    JSON, a recording, metadata columns and the names of failing inputs appear nowhere in the
    results directory (every table, page, CSV, JSON and the log; as written or as digits with
    any separators), while the ordinary numbers of the same calls survive."""
    inp, meta = planted_batch
    out = tmp_path / "results"
    config = AnalyzerConfig(aggregate=AggregateOptions(n_boot=20, min_calls=5))
    models = Models(transcriber=TimedTranscriber(AGENT_SCRIPT, CUSTOMER_SCRIPT), text=PlantedTextModels())
    summary = run_batch(inp, out, metadata=meta, config=config, models=models)
    assert summary.n_ok == 61 and summary.n_failed == 3 and not summary.failed_stages, summary.line()

    results = load_results(out)
    # everything the assertions below search is really there
    assert {"agents", "coaching", "call_outcomes"} <= {p.stem for p in out.glob("*.parquet")}
    assert (out / "variability.json").exists() and (out / "analyzer.log").exists()
    assert len(list((out / "report" / "calls").glob("*.html"))) == 61 and (out / "report" / "coaching.csv").exists()
    examples = [m["text"] for ex in results.coaching.examples for m in ex]
    assert examples and any("[CARD]" in t or "[PHONE]" in t for t in examples)  # coaching shows redacted moments
    assert set(results.failures.stage) >= {"decode", "transcript"}

    assert leaks(out, PLANTED) == []

    # the ordinary numbers of the same calls survive, in the tables and on the pages
    text = " ".join(results.utterances.text)
    for number in ORDINARY:
        assert number in text, number
    page = (out / "report" / "calls" / "p00.html").read_text()
    for number in ("$45.20", "3:30", "three to five business days"):
        assert number in page
    calls = results.calls.set_index("call_id")
    assert calls.loc["p00", "csat"] in (2, 5) and calls.loc["p00", "handle_seconds"] == 300
    assert calls.loc["p00", "queue"] == "billing"
    # counts per call, and what ran
    assert calls.redaction_enabled.all() and set(calls.redaction_types) == {"CARD,EXPIRY,CVV,SSN,EMAIL,PHONE,DOB,ACCOUNT,NUMBER"}
    for call_id in ("p00", "p01", "p02"):
        row = calls.loc[call_id]
        brush = "Whatever" in (inp / f"{call_id}.json").read_text()  # the agent read the card, email and phone back
        counts = [row[f"redactions_{t}"] for t in ("card", "ssn", "email", "phone", "expiry", "cvv", "dob", "account", "number", "total")]
        assert counts == ([3, 1, 2, 2, 0, 0, 0, 0, 0, 8] if brush else [2, 1, 1, 1, 0, 0, 0, 0, 0, 5]), (call_id, brush, counts)
    # the recording named by the caller's number is stored under a pseudonym; its metadata joined
    (recorded,) = [c for c in calls.index if c.startswith("[PHONE]_20261127-1405-")]
    assert calls.loc[recorded, "agent_id"] == "a2" and calls.loc[recorded, "queue"] == "payments"
    assert calls.loc[recorded, "customer_phone"] == "[PHONE]" and calls.loc[recorded, "redactions_card"] == 1
    said = results.utterances[results.utterances.call_id == recorded]
    assert " ".join(said.text).count("[CARD]") == 1 and "$45.20 at 3:30" in " ".join(said.text)


def test_metadata_row_of_a_stored_pseudonymous_call_is_not_an_orphan(tmp_path, planted_batch):
    inp, meta = planted_batch
    out = tmp_path / "results"
    models = Models(transcriber=TimedTranscriber(AGENT_SCRIPT, CUSTOMER_SCRIPT))
    first = run_batch(inp, out, metadata=meta, config=NO_TEXT, models=models, aggregate=False, report=False)
    (inp / "4155550199_20261127-1405.wav").rename(tmp_path / "moved.wav")  # the recording is not in tonight's inputs
    meta.write_text(meta.read_text() + "4155550122,a1,billing,,,,\n")  # nor is this one, and it never was
    second = run_batch(inp, out, metadata=meta, config=NO_TEXT, models=models, aggregate=False, report=False)
    assert first.n_ok == 61 and second.n_skipped == 60
    assert not [f for f in second.failures if "has no recording" in f.reason and "1405" in f.reason]
    # a metadata row whose call really is missing is still reported (redacted)
    assert [f.reason for f in second.failures if "has no recording" in f.reason] == ["metadata row for call '[PHONE]' has no recording or transcript in the inputs"]


def test_call_id_pseudonyms_are_stable_unique_and_survive_redaction_again():
    redactor = Redactor()
    sha_a, sha_b = "ab" * 32, "cd" * 32
    a = redact_call_id("4155550132_0930", redactor, sha_a)
    assert a == f"[PHONE]_0930-{pseudonym_suffix(sha_a)}" and a == redact_call_id("4155550132_0930", redactor, sha_a)
    assert redact_call_id("4155550133_0930", redactor, sha_b) != a  # another caller, another file
    assert redact_call_id("c-0001", redactor, sha_a) == "c-0001"  # nothing found: unchanged
    assert redact_call_id("4155550132_0930", Redactor(RedactionOptions(ids=False)), sha_a) == "4155550132_0930"
    rng = np.random.default_rng(0)
    for _ in range(300):  # no suffix ever reads as a number: redacting the stored id again changes nothing
        sha = "".join(rng.choice(list("0123456789abcdef"), 64))
        stored = redact_call_id("call_4155550132", redactor, sha)
        assert redactor.redact_text(stored).text == stored


def test_no_redact_keeps_raw_text_records_it_and_reprocesses(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "c1.json").write_text(json.dumps(planted_call(1, "a1", True)))
    out = tmp_path / "r"
    assert run_batch(inp, out, config=NO_TEXT).n_ok == 1
    redacted = load_results(out)
    assert CARD not in " ".join(redacted.utterances.text) and bool(redacted.calls.redaction_enabled.iloc[0])
    raw_config = NO_TEXT.replace("redaction", enabled=False)
    assert call_settings_hash(raw_config, "transcript") != call_settings_hash(NO_TEXT, "transcript")
    summary = run_batch(inp, out, config=raw_config)
    assert summary.n_ok == 1 and summary.n_skipped == 0  # the settings hash changed: processed again
    raw = load_results(out)
    assert CARD in " ".join(raw.utterances.text) and "+1 415 555 0188" in set(raw.calls.ani)
    call = raw.calls.iloc[0]
    assert not call.redaction_enabled and call.redactions_total != call.redactions_total  # NaN: not counted when off
    assert json.loads(raw.batches.config.iloc[-1])["redaction"]["enabled"] is False


def test_word_counts_and_timing_do_not_depend_on_redaction(tmp_path):
    """A placeholder stands for every word it replaced: words, pace and interruptions are
    measured on what was said, so they are the same with redaction on and off."""
    call = planted_call(3, "a1", True)
    call["utterances"].append({"speaker": "customer", "start": 23.5, "end": 25.0, "text": "4556 7375 8689 9855 yes"})  # talks over the agent
    call["utterances"].append({"speaker": "agent", "start": 23.0, "end": 27.0, "text": "Sorry, I did not catch the number there"})
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "c.json").write_text(json.dumps(call))
    rows = {}
    for name, config in (("on", NO_TEXT), ("off", NO_TEXT.replace("redaction", enabled=False))):
        run_batch(inp, tmp_path / name, config=config, aggregate=False, report=False)
        rows[name] = load_results(tmp_path / name).calls.iloc[0]
    columns = ["agent_words", "customer_words", "agent_wpm", "customer_interruptions", "agent_interruptions",
               "longest_agent_monologue_s", "overtalk_s", "agent_talk_s", "customer_talk_s"]
    assert [rows["on"][c] for c in columns] == [rows["off"][c] for c in columns]
    on_text = " ".join(load_results(tmp_path / "on").utterances.text)
    assert "[CARD] yes" in on_text and rows["on"].customer_words > len(on_text.split()) - rows["on"].agent_words
    assert rows["on"].customer_interruptions == 1


def test_config_table_maps_onto_redaction_options(tmp_path):
    (tmp_path / "a.toml").write_text('[redaction]\nentities = ["card", "ssn"]\nmin_number_digits = 8\nids = false\n'
                                     'audio_mode = "silence"\n[redaction.extra_patterns]\nticket = "TK-\\\\d{4}"\n')
    config = AnalyzerConfig.from_file(tmp_path / "a.toml")
    assert config.redaction == RedactionOptions(entities=("CARD", "SSN"), min_number_digits=8, ids=False, audio_mode="silence",
                                                extra_patterns={"TICKET": r"TK-\d{4}"})
    assert Redactor(config.redaction).redact_text("ticket TK-1234, mail a@b.com").text == "ticket [TICKET], mail a@b.com"
    # runtime fields (where copies go, tone or silence) do not change results
    assert call_settings_hash(config, "transcript") == call_settings_hash(config.replace("redaction", audio_mode="tone"), "transcript")
    assert call_settings_hash(config, "transcript") != call_settings_hash(config.replace("redaction", ids=True), "transcript")
    (tmp_path / "b.toml").write_text("[redaction]\nentity = [\"card\"]\n")
    with pytest.raises(ConfigError, match="unknown option.*entity"):
        AnalyzerConfig.from_file(tmp_path / "b.toml")
    (tmp_path / "c.toml").write_text("[redaction]\nentities = [\"passport\"]\n")
    with pytest.raises(ConfigError, match="unknown type.*PASSPORT"):
        AnalyzerConfig.from_file(tmp_path / "c.toml")


def test_cli_redaction_options(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    call = planted_call(1, "a1", False)
    call["utterances"][0]["text"] = "Ticket TK-1234 is open, email john.smith@gmail.com"
    (inp / "c.json").write_text(json.dumps(call))
    (tmp_path / "cfg.toml").write_text("[sentiment]\nenabled = false\n[behaviours]\nenabled = false\n")
    runner = CliRunner()
    base = ["run", str(inp), "-q", "--config", str(tmp_path / "cfg.toml")]
    result = runner.invoke(cli, base + ["--out", str(tmp_path / "r1"), "--redact-types", "email,ssn", "--redact-pattern", "ticket=TK-\\d{4}"])
    assert result.exit_code == 0, result.output
    r1 = load_results(tmp_path / "r1")
    text = " ".join(r1.utterances.text)
    assert "Ticket [TICKET] is open, email [EMAIL]" in text and CARD in text and "[SSN]" in text
    assert r1.calls.redaction_types.iloc[0] == "SSN,EMAIL,TICKET" and r1.calls.redactions_ticket.iloc[0] == 1
    result = runner.invoke(cli, base + ["--out", str(tmp_path / "r2"), "--no-redact"])
    assert result.exit_code == 0 and "TK-1234" in " ".join(load_results(tmp_path / "r2").utterances.text)
    bad = runner.invoke(cli, base + ["--out", str(tmp_path / "r3"), "--no-redact", "--redact-audio", str(tmp_path / "copies")])
    assert bad.exit_code == 3 and "needs redaction enabled" in bad.output
    bad = runner.invoke(cli, base + ["--out", str(tmp_path / "r3"), "--redact-pattern", "nope"])
    assert bad.exit_code == 2 and "NAME=REGEX" in bad.output
    bad = runner.invoke(cli, base + ["--out", str(tmp_path / "r3"), "--redact-types", "card,passport"])
    assert bad.exit_code == 3 and "PASSPORT" in bad.output


def test_cli_console_and_failure_lines_are_redacted(tmp_path):
    """What the CLI prints (failure lines, and log records that reach Python's last-resort
    console handler) is redacted like the results."""
    import sys

    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "4155550111.json").write_text("{broken")
    (inp / "ok.json").write_text(json.dumps(planted_call(1, "a1", False)))
    result = CliRunner().invoke(cli, ["run", str(inp), "--out", str(tmp_path / "r"), "-q", "--no-aggregate"])
    assert result.exit_code == 1 and "[PHONE].json: not valid JSON" in result.output and "4155550111" not in result.output
    code = ("import logging\n"
            "from analyzer.cli import _redacted_console\n"
            "from analyzer.redaction import RedactionOptions\n"
            "with _redacted_console(RedactionOptions()):\n"
            "    logging.getLogger('some.library').warning('cannot open %s', '/rec/4155550111.wav')\n"
            "with _redacted_console(RedactionOptions(enabled=False)):\n"
            "    logging.getLogger('some.library').warning('kept: 4556 7375 8689 9855')\n"
            "logging.getLogger('some.library').warning('after: 4556 7375 8689 9855')\n")
    err = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stderr
    assert "cannot open /rec/[PHONE].wav" in err and "4155550111" not in err
    assert "kept: 4556 7375 8689 9855" in err and "after: 4556 7375 8689 9855" in err  # off, and gone after the command


# -- redacted copies of the recordings ------------------------------------------------------------

def _read(path: Path):
    from analyzer.ingest.audio import decode_native

    samples, rate, info = decode_native(path)
    return samples, rate, info


def test_redact_audio_writes_copies_in_the_same_format_and_rate(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    recording(inp / "4155550199.wav", rate=8000)
    recording(tmp_path / "tmp.wav", rate=16000)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(tmp_path / "tmp.wav"), "-c:a", "flac", str(inp / "c2.flac")], check=True)
    (tmp_path / "m.csv").write_text("call_id,agent_id\n4155550199,a1\nc2,a2\n")
    copies = inp / "redacted"  # inside the inputs: not new calls on the next run
    config = NO_TEXT.replace("redaction", audio_dir=str(copies), audio_mode="silence")
    transcriber = TimedTranscriber(AGENT_SCRIPT, CUSTOMER_SCRIPT)
    summary = run_batch(inp, tmp_path / "r", metadata=tmp_path / "m.csv", config=config, models=Models(transcriber))
    assert summary.exit_code == 0, [f.reason for f in summary.failures]
    calls = load_results(tmp_path / "r").calls.set_index("call_id")
    (pseudonym,) = [c for c in calls.index if c != "c2"]
    written = sorted(p.name for p in copies.iterdir())
    assert written == sorted([f"{pseudonym}.wav", "c2.flac"])  # named by the stored call id, never the caller's number
    spans = []
    for name, original in ((f"{pseudonym}.wav", inp / "4155550199.wav"), ("c2.flac", inp / "c2.flac")):
        before, rate0, info0 = _read(original)
        after, rate1, info1 = _read(copies / name)
        assert (rate1, info1["codec"], after.shape, after.dtype) == (rate0, info0["codec"], before.shape, before.dtype)
        assert np.array_equal(after[0], before[0])  # the agent's channel is untouched, sample for sample
        changed = np.flatnonzero(after[1] != before[1])
        assert len(changed) and not after[1][changed].any()  # silence where the customer said the card
        spans.append((changed[0] / rate1, changed[-1] / rate1))
    card_words = [t for t, w in CUSTOMER_SCRIPT if w.isdigit()]
    for start, end in spans:
        assert start == pytest.approx(card_words[0] - 0.15, abs=0.01) and end == pytest.approx(card_words[-1] + 0.4 + 0.15, abs=0.01)
    # transcribing the copy no longer yields the digits; the rest of the call is still there
    from analyzer.ingest.audio import load_call_audio

    heard = transcriber.transcribe(*(lambda a: (a.agent, a.customer))(load_call_audio(copies / "c2.flac"))).channels[1]
    assert [w.text for w in heard] == [w for _, w in CUSTOMER_SCRIPT if not w.isdigit()]
    # a re-run writes only what is missing
    (copies / "c2.flac").unlink()
    again = run_batch(inp, tmp_path / "r", metadata=tmp_path / "m.csv", config=config, models=Models(transcriber))
    assert (again.n_ok, again.n_skipped, again.failures) == (1, 1, ()) and (copies / "c2.flac").exists()
    assert sorted(p.name for p in copies.iterdir()) == written  # no partial files left


def test_a_copy_that_cannot_be_written_fails_its_call_only(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    recording(inp / "c1.wav")
    (inp / "t1.json").write_text(json.dumps(planted_call(1, "a1", False)))
    (tmp_path / "m.csv").write_text("call_id,agent_id\nc1,a1\n")
    (tmp_path / "copies").write_text("a file, not a folder")
    config = NO_TEXT.replace("redaction", audio_dir=str(tmp_path / "copies"))
    summary = run_batch(inp, tmp_path / "r", metadata=tmp_path / "m.csv", config=config,
                        models=Models(TimedTranscriber(AGENT_SCRIPT, CUSTOMER_SCRIPT)))
    assert summary.n_ok == 1 and summary.n_failed == 1 and summary.exit_code == 1
    (failure,) = summary.failures
    assert failure.stage == "redact_audio" and failure.call_id == "c1"
    assert list(load_results(tmp_path / "r").calls.call_id) == ["p01"]  # not stored: the next run tries again


@pytest.mark.slow
def test_cli_redact_audio_copy_no_longer_yields_the_digits(tmp_path, real_transcriber):
    """Through the command line with the real recogniser: the recording gives the card number
    away, the stored transcript does not, and neither does transcribing the redacted copy."""
    from analyzer.ingest.audio import load_call_audio
    from analyzer.pipeline import transcribe_call

    frames = spoken_card_call(tmp_path, agent_channel=1)  # agent on the right channel this time
    inp = tmp_path / "in"
    inp.mkdir()
    write_stereo(inp / "call-7.wav", frames, 8000)
    (tmp_path / "m.csv").write_text("call_id,agent_id\ncall-7,a1\n")
    (tmp_path / "cfg.toml").write_text("[sentiment]\nenabled = false\n[behaviours]\nenabled = false\n")
    config = AnalyzerConfig()

    def heard(path) -> str:
        transcript = transcribe_call(load_call_audio(path, agent_channel="right"), real_transcriber, config)
        return " ".join(u.text for u in transcript.utterances if u.speaker == "customer")

    assert len(re.sub(r"\D", "", heard(inp / "call-7.wav"))) >= 12  # the original gives the card away
    result = CliRunner().invoke(cli, ["run", str(inp), "-m", str(tmp_path / "m.csv"), "--out", str(tmp_path / "r"), "-q", "--no-aggregate",
                                      "--config", str(tmp_path / "cfg.toml"), "--agent-channel", "right", "--redact-audio", str(tmp_path / "copies")])
    assert result.exit_code == 0, result.output
    stored = " ".join(load_results(tmp_path / "r").utterances.text)
    assert "[CARD]" in stored and not re.search(r"\d{4}", stored), stored
    copy = tmp_path / "copies" / "call-7.wav"
    with wave.open(str(copy)) as handle:
        assert (handle.getframerate(), handle.getnchannels(), handle.getsampwidth()) == (8000, 2, 2)
        clean = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2").reshape(-1, 2)
    assert clean.shape == frames.shape and np.array_equal(clean[:, 1], frames[:, 1])  # the agent's channel untouched
    text = heard(copy)
    assert len(re.sub(r"\D", "", text)) <= 2, text
    for word in ("four", "five", "seven", "eight", "nine"):
        assert word not in text.lower(), text


def test_readme_redaction_table_shows_the_defaults():
    """The README's [redaction] example is the defaults, and its commented lines parse too."""
    import tomllib

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = readme[readme.index("[redaction]                   # see"):]
    block = block[: block.index("```")]
    assert AnalyzerConfig.from_dict(tomllib.loads(block)).redaction == RedactionOptions()
    options = AnalyzerConfig.from_dict(tomllib.loads(re.sub(r"(?m)^# ", "", block))).redaction
    assert options.audio_dir == "redacted-audio" and Redactor(options).redact_text("see tk-1234").text == "see [TICKET]"


def test_ordinary_numeric_ids_are_not_pseudonymised():
    """ACD and recorder ids are long digit runs; only typed entities turn an id into a pseudonym."""
    from analyzer.redaction import Redactor
    from analyzer.redaction.calls import redact_call_id, redact_path

    redactor = Redactor()
    for call_id in ("sim-0000001", "20261201-0001234", "2026-11-26_agent7_000123456"):
        assert redact_call_id(call_id, redactor, "ab") == call_id
        assert redact_path(f"/rec/{call_id}.wav", redactor) == f"/rec/{call_id}.wav"
    assert redact_call_id("call_4155550132", redactor, "ab").startswith("call_[PHONE]-")
    assert redact_path("/rec/4556-7375-8689-9855.wav", redactor) == "/rec/[CARD].wav"
