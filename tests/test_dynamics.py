"""Conversation dynamics on hand-built timelines with known answers."""

import numpy as np
import pytest

from analyzer.config import DynamicsOptions
from analyzer.dynamics import call_dynamics, intersect, subtract, union
from analyzer.records import SentimentScore, StereoAudio, Transcript, Utterance, Word
from analyzer.timeuse import call_time_use, distress_spans
from analyzer.sentiment.trajectory import call_sentiment
from analyzer.config import SentimentOptions


def U(speaker, start, end, text="one two three four"):
    return Utterance(speaker, start, end, text)


def test_interval_algebra():
    assert union([(3, 4), (0, 1), (0.5, 2)]) == [(0, 2), (3, 4)]
    assert intersect([(0, 2), (3, 5)], [(1, 4)]) == [(1, 2), (3, 4)]
    assert subtract([(0, 10)], [(2, 3), (5, 6)]) == [(0, 2), (3, 5), (6, 10)]


def timeline():
    # agent 0-10, customer 9-15 (1 s overtalk, customer interrupts: agent talks 1 s past the start),
    # gap 15-16 (ignored, < 2 s), agent 16-20, gap 20-23 (3 s silence, not dead air),
    # customer 23-25, gap 25-32 (7 s dead air), agent 32-40, gap 40-80 (40 s silent hold),
    # agent 80-85, customer 85.2-86 "yeah" (backchannel), agent 85.5-90 (customer backchannel
    # overlaps but is not an interruption)
    return Transcript(
        (
            U("agent", 0, 10, " ".join(["word"] * 25)),
            U("customer", 9, 15),
            U("agent", 16, 20),
            U("customer", 23, 25),
            U("agent", 32, 40),
            U("agent", 80, 85),
            U("agent", 85.5, 90),
            U("customer", 85.2, 86, "yeah"),
        ),
        duration_s=92.0,
    )


def test_dead_air_silence_hold_overtalk_interruptions():
    d = call_dynamics(timeline(), DynamicsOptions())
    assert d.overtalk_s == pytest.approx(1.0 + 0.5)  # 9-10 and 85.5-86
    assert d.customer_interruptions == 1 and d.agent_interruptions == 0
    assert d.interruptions[0].time_s == 9 and d.interruptions[0].utterance_index == 1
    assert [(h.start_s, h.end_s) for h in d.holds] == [(40, 80)]
    assert d.hold_s == 40
    assert [(x.start_s, x.end_s) for x in d.dead_air] == [(25, 32)]
    assert d.dead_air_s == 7
    assert d.silence_s == pytest.approx(3 + 7 + 2)  # 20-23, 25-32, and 90-92 at the end; 15-16 ignored
    assert d.agent_talk_s == pytest.approx(10 + 4 + 8 + 5 + 4.5)
    assert d.customer_talk_s == pytest.approx(6 + 2 + 0.8)


def test_agent_pace_monologue_latency():
    d = call_dynamics(timeline(), DynamicsOptions())
    assert d.agent_wpm == pytest.approx((25 + 4 * 4) / ((10 + 4 + 8 + 5 + 4.5) / 60), rel=1e-3)
    # 32-40 then 80-90 with only a backchannel in between: one 58 s monologue
    assert d.longest_agent_monologue_s == pytest.approx(58)
    # transitions customer->agent: 15->16 (1 s), 25->32 (7 s); 86->85.5 isn't (agent first)
    assert d.median_response_latency_s == pytest.approx(4.0)


def test_thresholds_are_configurable():
    d = call_dynamics(timeline(), DynamicsOptions(dead_air_s=3, hold_silence_s=60))
    assert d.hold_s == 0
    assert d.dead_air_s == pytest.approx(3 + 7 + 40)


def test_word_timings_refine_overtalk():
    words_a = (Word(0, 4, "a"), Word(8, 8.5, "b"))  # agent silent 4-8 inside its utterance
    transcript = Transcript((Utterance("agent", 0, 8.5, "a b", words_a), Utterance("customer", 5, 7, "c d e", (Word(5, 7, "c d e"),))), 10)
    assert call_dynamics(transcript, DynamicsOptions()).overtalk_s == 0


def test_hold_music_found_in_audio():
    sr = 16000
    t = np.arange(60 * sr) / sr
    agent = np.random.default_rng(0).standard_normal(len(t)).astype(np.float32) * 1e-4
    music = 0.05 * np.sin(2 * np.pi * 440 * t)
    agent[20 * sr : 40 * sr] += music[20 * sr : 40 * sr].astype(np.float32)  # 20 s of "music"
    customer = np.random.default_rng(1).standard_normal(len(t)).astype(np.float32) * 1e-4
    audio = StereoAudio(agent, customer, sr, 8000)
    transcript = Transcript((U("agent", 0, 10), U("customer", 11, 19), U("agent", 41, 60)), 60)
    d = call_dynamics(transcript, DynamicsOptions(), audio)
    (hold,) = d.holds
    assert hold.start_s == pytest.approx(20, abs=0.6) and hold.end_s == pytest.approx(40, abs=0.6)
    assert d.dead_air_s == 0  # the 19-41 gap is hold, not dead air


def test_quiet_hold_music_with_rests_is_a_hold_not_dead_air():
    """Music about 11 dB over the line noise, notes of 0.5 s with rests of up to 1 s between
    them (as the demo generator's quietest holds): one hold. Frame by frame at 15 dB, the old rule,
    found none and called the 20 s dead air."""
    sr = 16000
    rng = np.random.default_rng(0)
    t = np.arange(60 * sr) / sr
    agent = rng.standard_normal(len(t)).astype(np.float32) * 1e-3
    start = 20.0
    while start < 39.5:  # notes at irregular spacing, with rests up to 1 s
        a, b = int(start * sr), int(min(start + 0.5, 40.0) * sr)
        agent[a:b] += (0.005 * np.sin(2 * np.pi * 523 * t[a:b])).astype(np.float32)
        start += 0.5 + rng.uniform(0.1, 1.0)
    customer = rng.standard_normal(len(t)).astype(np.float32) * 1e-3
    transcript = Transcript((U("agent", 0, 10), U("customer", 11, 19), U("agent", 41, 60)), 60)
    d = call_dynamics(transcript, DynamicsOptions(), StereoAudio(agent, customer, sr, 8000))
    (hold,) = d.holds
    assert hold.start_s == pytest.approx(20, abs=1.5) and hold.end_s == pytest.approx(40, abs=1.5)
    assert d.dead_air_s == 0
    old = call_dynamics(transcript, DynamicsOptions(activity_db=15.0, activity_window_s=0.05, activity_share=1.0), StereoAudio(agent, customer, sr, 8000))
    assert old.holds == () and old.dead_air_s > 15  # what the frame-by-frame rule made of it


def test_audio_shorter_than_the_activity_window():
    from analyzer.dynamics import nonspeech_activity

    sr = 16000
    quiet = np.random.default_rng(0).standard_normal(sr // 2).astype(np.float32) * 1e-4
    tone = np.concatenate([quiet, (0.1 * np.sin(2 * np.pi * 440 * np.arange(sr) / sr)).astype(np.float32)])  # 1.5 s < 2 s window
    assert nonspeech_activity(tone, sr, [], DynamicsOptions()) == []
    assert nonspeech_activity(tone, sr, [], DynamicsOptions(hold_min_audio_s=0.5)) != []


def test_noise_under_the_other_partys_speech_is_not_a_hold():
    """A television on the customer's line while the agent talks for 30 s is not a hold; the
    same noise while neither speaks is non-speech sound (a hold, not dead air)."""
    sr = 16000
    rng = np.random.default_rng(2)
    n = 60 * sr
    agent = rng.standard_normal(n).astype(np.float32) * 1e-3
    customer = rng.standard_normal(n).astype(np.float32) * 1e-3
    customer[10 * sr : 40 * sr] += rng.standard_normal(30 * sr).astype(np.float32) * 1e-2  # 20 dB up
    talking = Transcript((U("customer", 0, 9), U("agent", 10, 40), U("customer", 41, 60)), 60)
    assert call_dynamics(talking, DynamicsOptions(), StereoAudio(agent, customer, sr, 8000)).holds == ()
    silent = Transcript((U("customer", 0, 9), U("agent", 41, 60)), 60)
    assert call_dynamics(silent, DynamicsOptions(), StereoAudio(agent, customer, sr, 8000)).hold_s > 25


def neg(): return SentimentScore(0.8, 0.1, 0.1)
def neu(): return SentimentScore(0.1, 0.8, 0.1)


def test_distress_and_time_use_add_up():
    utts = (U("agent", 0, 5), U("customer", 6, 10), U("agent", 11, 15), U("customer", 16, 20), U("agent", 21, 25), U("customer", 26, 30))
    transcript = Transcript(utts, 100)
    sentiment = call_sentiment(transcript, [neu(), neg(), neu(), neg(), neu(), neu()], "m", SentimentOptions())
    assert distress_spans(utts, sentiment, 100) == [(6, 26)]
    d = call_dynamics(transcript, DynamicsOptions())
    use = call_time_use(utts, d, sentiment, {"acw_seconds": 30.0})
    assert use.distress_s == 20 and use.handle_source == "timeline+acw" and use.handle_s == 130
    assert use.hold_s == 70  # 30-100 is a 70 s silence
    parts = use.productive_s + use.distress_s + use.dead_air_s + use.hold_s + use.acw_s + use.other_s
    assert parts == pytest.approx(use.handle_s)
    acd = call_time_use(utts, d, sentiment, {"handle_seconds": 150.0, "acw_seconds": 30.0})
    assert acd.handle_source == "handle_seconds" and acd.other_s == pytest.approx(20)
