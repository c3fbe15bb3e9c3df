import pytest

from analyzer.config import AnalyzerConfig, TranscribeOptions, settings_hash
from analyzer.errors import ConfigError


def test_toml_maps_onto_dataclasses(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[audio]\nagent_channel = "right"\n[transcribe]\nbeam_size = 3\nmodel = "/m"\n[utterances]\nmax_gap_s = 0.5\n')
    config = AnalyzerConfig.from_file(path)
    assert config.audio.agent_channel == "right" and config.transcribe.beam_size == 3
    assert config.utterances.max_gap_s == 0.5 and config.transcribe.vad is True


@pytest.mark.parametrize(
    "text, message",
    [("[nope]\na = 1\n", "unknown table \\[nope\\]"), ("[transcribe]\nbeam = 2\n", "unknown option\\(s\\) beam"),
     ('[audio]\nagent_channel = "middle"\n', "left' or 'right"), ("[audio\n", "not valid TOML")],
)
def test_bad_config_names_the_problem(tmp_path, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        AnalyzerConfig.from_file(path)


def test_runtime_fields_do_not_change_settings_hash():
    base = settings_hash(TranscribeOptions())
    assert settings_hash(TranscribeOptions(cpu_threads=7, device="cuda", batch_size=2)) == base
    assert settings_hash(TranscribeOptions(beam_size=5)) != base


def test_replace_ignores_none_and_validates():
    config = AnalyzerConfig().replace("transcribe", beam_size=None, model="x")
    assert config.transcribe.model == "x" and config.transcribe.beam_size == 1
    assert config.transcribe.resolved_compute_type() == "int8"
    with pytest.raises(ConfigError):
        AnalyzerConfig().replace("audio", agent_channel="up")


def test_text_table_and_the_old_sentiment_model_key(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[text]\nmodel = "models/text-ours"\nsentiment_model = "org/clf"\nlabel_map = {LABEL_0 = "negative", LABEL_1 = "neutral", LABEL_2 = "positive"}\n')
    config = AnalyzerConfig.from_file(path)
    assert config.text.model == "models/text-ours" and config.text.label_map["LABEL_0"] == "negative"
    path.write_text('[sentiment]\nmodel = "models/sentiment"\n')
    with pytest.raises(ConfigError, match="unknown option\\(s\\) model.*\\[sentiment\\] model is now \\[text\\] sentiment_model"):
        AnalyzerConfig.from_file(path)


def test_the_ray_table_is_what_engine_ray_uses(tmp_path):
    from analyzer.config import RayOptions
    from analyzer.runner import _ray_options

    path = tmp_path / "c.toml"
    path.write_text('[ray]\naddress = "head:6379"\nworkers = 4\nworker_cpus = 2\ntext_workers = 1\ntext_gpus = 1\n')
    config = AnalyzerConfig.from_file(path)
    assert config.ray == RayOptions(address="head:6379", workers=4, worker_cpus=2.0, text_workers=1, text_gpus=1.0)
    assert _ray_options("ray", config) is config.ray and _ray_options("local", config) is None
    assert _ray_options(RayOptions(workers=1), config).workers == 1  # an explicit RayOptions wins
    assert config.replace("ray", workers=None, text_workers=2).ray.text_workers == 2  # what the CLI flags do
    path.write_text("[ray]\nworkerz = 2\n")
    with pytest.raises(ConfigError, match="workerz"):
        AnalyzerConfig.from_file(path)
    path.write_text("[ray]\ntext_workers = -1\n")
    with pytest.raises(ConfigError, match="text_workers"):
        AnalyzerConfig.from_file(path)
