import numpy as np

from analyzer.speech_windows import PackedAudio, merge_windows, pack_in_order, split_long_regions, uncovered

SR = 100  # 100 samples per second keeps the numbers readable


def test_pack_in_order_fills_windows_in_time_order():
    regions = [(0, 1500, 2500), (0, 0, 1000), (0, 3000, 3500), (0, 4000, 6000), (0, 7000, 7400)]  # 10, 10, 5, 20, 4 s
    windows = pack_in_order(regions, max_samples=3000)
    assert windows == [[(0, 0, 1000), (0, 1500, 2500), (0, 3000, 3500)], [(0, 4000, 6000), (0, 7000, 7400)]]


def test_last_windows_of_several_calls_are_merged():
    """Two calls whose speech would leave two part-filled last windows share one; their full
    windows stay as when each call is packed alone."""
    first = pack_in_order([(0, 0, 2000), (0, 2500, 3500), (0, 4000, 4800)], 3000)  # 20, 10, 8 s: 30 + 8 s
    second = pack_in_order([(1, 0, 2500), (1, 3000, 4000), (1, 5000, 5500)], 3000)  # 25, 10, 5 s: 25 + 15 s
    assert [len(first), len(second)] == [2, 2]
    assert merge_windows([first[-1], second[-1]], 3000) == [[(1, 3000, 4000), (1, 5000, 5500), (0, 4000, 4800)]]  # longest first
    assert merge_windows([first[0], second[0]], 3000) == [first[0], second[0]]  # full: nothing fits


def test_long_regions_are_split_to_fit():
    assert split_long_regions([(2, 0, 7000)], 3000) == [(2, 0, 2333), (2, 2333, 4666), (2, 4666, 7000)]
    assert all(b - a <= 3000 for w in pack_in_order([(0, 0, 7000)], 3000) for _, a, b in w)


def test_packed_audio_maps_times_back_to_source():
    audio = np.arange(10000, dtype=np.float32)
    windows = [[(0, 1000, 1500), (0, 3000, 3200)], [(0, 8000, 9000)]]
    packed = PackedAudio.build([audio], windows, SR)
    assert len(packed.audio) == 500 + 200 + 1000
    assert packed.clips == [{"start": 0.0, "end": 7.0}, {"start": 7.0, "end": 17.0}]
    assert packed.audio[500] == 3000  # second region starts right after the first
    assert packed.to_source(1.0, 2.0) == (0, 11.0, 12.0)  # inside the first region
    assert packed.to_source(5.5, 6.0) == (0, 30.5, 31.0)  # second region: packed 5.0 s = source 30.0 s
    assert packed.to_source(8.0, 9.0) == (0, 81.0, 82.0)  # second window
    _, start, end = packed.to_source(4.8, 5.4)  # straddles a splice: clamped to the middle's region
    assert (start, end) == (30.0, 30.4)


def test_packed_audio_maps_back_to_the_right_source():
    first, second = np.zeros(5000, dtype=np.float32), np.arange(5000, dtype=np.float32)
    packed = PackedAudio.build([first, second], [[(0, 100, 600), (1, 2000, 2500)]], SR)
    assert packed.audio[500] == 2000
    assert packed.to_source(1.0, 2.0) == (0, 2.0, 3.0)
    assert packed.to_source(6.0, 7.0) == (1, 21.0, 22.0)


def test_uncovered_finds_speech_without_words():
    regions = [(0, 1000), (2000, 3000)]  # 0-10 s and 20-30 s of speech
    words = [(0.5, 1.0), (1.2, 2.0), (9.0, 9.5), (20.0, 21.0)]
    gaps = uncovered(regions, words, SR, margin_s=0.5, min_gap_s=1.5)
    assert gaps == [(250, 850), (2150, 3000)]  # 2.5-8.5 s and 21.5-30 s


def test_fully_covered_regions_have_no_gaps():
    assert uncovered([(0, 500)], [(0.2, 1.5), (1.8, 3.5), (3.9, 4.8)], SR) == []
    assert uncovered([(0, 500)], [], SR) == [(0, 500)]
    assert uncovered([(0, 100)], [], SR) == []  # shorter than min_gap_s
