import json

import pytest

from analyzer.errors import InputError
from analyzer.ingest.transcripts import parse_transcript, read_transcript

GOOD = {
    "call_id": "c-1",
    "agent_id": "a-7",
    "started_at": "2026-11-26T18:00:00",
    "queue_hint": "billing",
    "utterances": [
        {"speaker": "Customer", "start": 2.0, "end": 3.5, "text": " My bill is wrong "},
        {"speaker": "agent", "start": 0.0, "end": 1.5, "text": "Thanks for calling", "confidence": 0.9},
    ],
}


def test_good_transcript(tmp_path):
    path = tmp_path / "file-name.json"
    path.write_text(json.dumps(GOOD))
    parsed = read_transcript(path)
    assert parsed.call_id == "c-1" and parsed.agent_id == "a-7"
    assert [u.speaker for u in parsed.transcript.utterances] == ["agent", "customer"]  # sorted by time
    assert parsed.transcript.utterances[1].text == "My bill is wrong"
    assert parsed.transcript.duration_s == 3.5
    assert parsed.extra == {"queue_hint": "billing"}
    assert parsed.transcript.asr_model is None


def test_call_id_defaults_to_file_name(tmp_path):
    path = tmp_path / "call-42.json"
    path.write_text(json.dumps({"utterances": []}))
    assert read_transcript(path).call_id == "call-42"


@pytest.mark.parametrize(
    "content, reason",
    [
        ("", "empty transcript"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"call_id": "x"}', "missing 'utterances'"),
        ('{"utterances": [{"speaker": "robot", "start": 0, "end": 1, "text": "hi"}]}', "speaker must be"),
        ('{"utterances": [{"speaker": "agent", "start": "0", "end": 1, "text": "hi"}]}', "must be numbers"),
        ('{"utterances": [{"speaker": "agent", "start": 2, "end": 1, "text": "hi"}]}', "before it starts"),
        ('{"utterances": [{"speaker": "agent", "start": 0, "end": 1}]}', "'text' must be a string"),
    ],
)
def test_bad_transcripts_name_file_and_reason(tmp_path, content, reason):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(InputError, match=reason) as info:
        read_transcript(path)
    assert info.value.file == str(path) and info.value.stage == "transcript"


def test_words_are_parsed():
    data = {"utterances": [{"speaker": "agent", "start": 0, "end": 1, "text": "hi there",
                            "words": [{"start": 0, "end": 0.4, "text": "hi"}, {"start": 0.5, "end": 1, "word": "there", "probability": 0.7}]}]}
    (utt,) = parse_transcript(data, "mem", "x").transcript.utterances
    assert [w.text for w in utt.words] == ["hi", "there"] and utt.words[1].probability == 0.7
