import numpy as np

from analyzer.speech_windows import PackedAudio, pack_regions, split_long_regions, uncovered

SR = 100  # 100 samples per second keeps the numbers readable


def test_pack_regions_fills_windows_greedily_in_order():
    regions = [(0, 1000), (1500, 2500), (3000, 3500), (4000, 6000)]  # 10 s, 10 s, 5 s, 20 s
    windows = pack_regions(regions, max_samples=3000)
    assert windows == [[(0, 1000), (1500, 2500), (3000, 3500)], [(4000, 6000)]]


def test_long_regions_are_split_to_fit():
    assert split_long_regions([(0, 7000)], 3000) == [(0, 2333), (2333, 4666), (4666, 7000)]
    assert all(b - a <= 3000 for w in pack_regions([(0, 7000)], 3000) for a, b in w)


def test_packed_audio_maps_times_back_to_source():
    audio = np.arange(10000, dtype=np.float32)
    windows = [[(1000, 1500), (3000, 3200)], [(8000, 9000)]]
    packed = PackedAudio.build(audio, windows, SR)
    assert len(packed.audio) == 500 + 200 + 1000
    assert packed.clips == [{"start": 0.0, "end": 7.0}, {"start": 7.0, "end": 17.0}]
    assert packed.audio[500] == 3000  # second region starts right after the first
    assert packed.to_source(1.0, 2.0) == (11.0, 12.0)  # inside the first region
    assert packed.to_source(5.5, 6.0) == (30.5, 31.0)  # second region: packed 5.0 s = source 30.0 s
    assert packed.to_source(8.0, 9.0) == (81.0, 82.0)  # second window
    start, end = packed.to_source(4.8, 5.4)  # straddles a splice: clamped to the middle's region
    assert (start, end) == (30.0, 30.4)


def test_uncovered_finds_speech_without_words():
    regions = [(0, 1000), (2000, 3000)]  # 0-10 s and 20-30 s of speech
    words = [(0.5, 1.0), (1.2, 2.0), (9.0, 9.5), (20.0, 21.0)]
    gaps = uncovered(regions, words, SR, margin_s=0.5, min_gap_s=1.5)
    assert gaps == [(250, 850), (2150, 3000)]  # 2.5-8.5 s and 21.5-30 s


def test_fully_covered_regions_have_no_gaps():
    assert uncovered([(0, 500)], [(0.2, 1.5), (1.8, 3.5), (3.9, 4.8)], SR) == []
    assert uncovered([(0, 500)], [], SR) == [(0, 500)]
    assert uncovered([(0, 100)], [], SR) == []  # shorter than min_gap_s
