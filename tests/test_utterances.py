from analyzer.config import UtteranceOptions
from analyzer.records import Word
from analyzer.utterances import build_utterances, group_words, split_long, words_to_utterances


def w(start, end, text, p=0.9):
    return Word(start, end, text, p)


def test_new_utterance_only_at_pause_longer_than_gap():
    words = [w(0.0, 0.4, "Hello"), w(0.5, 0.9, "there."), w(2.5, 2.9, "How"), w(3.0, 3.3, "are"), w(3.35, 3.6, "you?")]
    groups = group_words(words, max_gap_s=1.0)
    assert [[x.text for x in g] for g in groups] == [["Hello", "there."], ["How", "are", "you?"]]
    assert len(group_words(words, max_gap_s=2.0)) == 1


def test_gap_equal_to_threshold_does_not_split():
    words = [w(0.0, 1.0, "a"), w(2.0, 2.5, "b")]
    assert len(group_words(words, max_gap_s=1.0)) == 1


def test_unsorted_words_are_ordered():
    words = [w(2.0, 2.5, "world"), w(0.0, 0.5, "hello")]
    (utt,) = words_to_utterances("agent", words, UtteranceOptions(max_gap_s=2.0))
    assert utt.text == "hello world"
    assert (utt.start_s, utt.end_s) == (0.0, 2.5)


def test_long_utterance_split_at_longest_pause():
    words = [w(i * 1.0, i * 1.0 + 0.8, f"w{i}") for i in range(10)]
    words[6] = w(6.5, 7.3, "w6")  # the longest pause is before w6
    parts = split_long(words, max_utterance_s=5.0)
    assert "w6" in [p[0].text for p in parts]  # the longest pause is a cut
    assert all(p[-1].end_s - p[0].start_s <= 5.0 for p in parts)
    assert sum(len(p) for p in parts) == 10


def test_confidence_is_mean_word_probability():
    (utt,) = words_to_utterances("customer", [w(0, 1, "a", 0.5), w(1.1, 2, "b", 1.0)], UtteranceOptions())
    assert utt.confidence == 0.75
    assert utt.speaker == "customer"


def test_parties_interleaved_by_time():
    agent = [w(0.0, 1.0, "Hi"), w(5.0, 6.0, "Sure")]
    customer = [w(2.0, 3.0, "Hello"), w(5.5, 6.5, "Thanks")]
    utts = build_utterances({"agent": agent, "customer": customer}, UtteranceOptions(max_gap_s=0.5))
    assert [(u.speaker, u.text) for u in utts] == [("agent", "Hi"), ("customer", "Hello"), ("agent", "Sure"), ("customer", "Thanks")]


def test_no_words_no_utterances():
    assert build_utterances({"agent": [], "customer": []}, UtteranceOptions()) == ()
