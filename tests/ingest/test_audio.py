import subprocess
import shutil

import numpy as np
import pytest

from analyzer.errors import InputError
from analyzer.ingest.audio import decode_channels, load_call_audio, split_parties
from tests.conftest import write_wav


def tone(freq, seconds, rate, amp=0.5):
    t = np.arange(int(seconds * rate)) / rate
    return amp * np.sin(2 * np.pi * freq * t)


def dominant_hz(x, rate):
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spectrum)]


def test_8khz_stereo_is_resampled_to_16khz_without_images(tmp_path):
    path = write_wav(tmp_path / "call.wav", np.stack([tone(1000, 2, 8000), tone(440, 2, 8000)]), 8000)
    audio = load_call_audio(path)
    assert audio.sample_rate == 16000 and audio.source_sample_rate == 8000
    assert abs(audio.duration_s - 2.0) < 0.01
    assert abs(dominant_hz(audio.agent, 16000) - 1000) < 5
    assert abs(dominant_hz(audio.customer, 16000) - 440) < 5
    # proper band-limited resampling: the 7 kHz image of the 1 kHz tone is suppressed
    spectrum = np.abs(np.fft.rfft(audio.agent[2000:-2000] * np.hanning(len(audio.agent) - 4000)))
    freqs = np.fft.rfftfreq(len(audio.agent) - 4000, 1 / 16000)
    image = spectrum[(freqs > 6500) & (freqs < 7500)].max()
    assert 20 * np.log10(image / spectrum.max()) < -40


def test_agent_channel_is_configurable(tmp_path):
    path = write_wav(tmp_path / "call.wav", np.stack([tone(1000, 1, 8000), tone(440, 1, 8000)]), 8000)
    audio = load_call_audio(path, agent_channel="right")
    assert abs(dominant_hz(audio.agent, 16000) - 440) < 5
    assert abs(dominant_hz(audio.customer, 16000) - 1000) < 5


def test_mono_is_refused_with_reason(tmp_path):
    path = write_wav(tmp_path / "mono.wav", tone(440, 1, 8000)[None, :], 8000)
    with pytest.raises(InputError, match="mono recording") as info:
        load_call_audio(path)
    assert info.value.file == str(path) and info.value.stage == "decode"


def test_more_than_two_channels_refused(tmp_path):
    path = write_wav(tmp_path / "three.wav", np.stack([tone(440, 1, 8000)] * 3), 8000)
    with pytest.raises(InputError, match="3 audio channels"):
        load_call_audio(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty file"):
        load_call_audio(path)


def test_zero_length_recording(tmp_path):
    path = write_wav(tmp_path / "zero.wav", np.zeros((2, 0)), 8000)
    with pytest.raises(InputError, match="zero-length|not a readable"):
        load_call_audio(path)


def test_non_audio_file(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("this is not audio at all\n" * 50)
    with pytest.raises(InputError, match="not a readable audio file") as info:
        load_call_audio(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "mangle, reason",
    [
        (lambda d: d[:200] + bytes(reversed(d[200:])), "corrupt audio"),  # valid header, garbage frames
        (lambda d: d[:100], "not a readable audio file"),  # truncated inside the header
        (lambda d: d[:4] + b"\x00" * 5000, "not a readable audio file"),  # magic bytes, then nothing
    ],
    ids=["garbage-frames", "truncated-header", "magic-only"],
)
def test_corrupt_flac_names_file_and_reason(tmp_path, mangle, reason):
    if shutil.which("sox") is None:
        pytest.skip("sox not installed")
    good = write_wav(tmp_path / "good.wav", np.stack([tone(440, 2, 8000)] * 2), 8000)
    bad = tmp_path / "bad.flac"
    subprocess.run(["sox", str(good), str(bad)], check=True)
    bad.write_bytes(mangle(bad.read_bytes()))
    with pytest.raises(InputError, match=reason) as info:
        load_call_audio(bad)
    assert info.value.stage == "decode" and info.value.file == str(bad)


def test_split_parties_shapes():
    samples = np.zeros((2, 160), dtype=np.float32)
    samples[0] = 1
    audio = split_parties(samples, "left", "x.wav", 16000, 8000)
    assert audio.agent.sum() == 160 and audio.customer.sum() == 0


def test_flac_and_mp3_decode(tmp_path):
    if shutil.which("sox") is None or shutil.which("ffmpeg") is None:
        pytest.skip("sox/ffmpeg not installed")
    wav = write_wav(tmp_path / "c.wav", np.stack([tone(440, 1, 8000), tone(880, 1, 8000)]), 8000)
    for ext in ("flac", "mp3", "ogg"):
        out = tmp_path / f"c.{ext}"
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), str(out)], check=True)
        samples, rate = decode_channels(out)
        assert samples.shape[0] == 2 and rate == 8000
        assert abs(samples.shape[1] / 16000 - 1.0) < 0.1
