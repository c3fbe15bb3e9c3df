"""The install on a stock machine (issue 10, item 9): the CPU build of torch without a GPU, from
PyTorch's CPU index when it answers and quickly from the default index when it does not; CUDA
on request or with a GPU; the packages the code imports directly declared and pinned."""

import configparser
import http.server
import os
import socket
import subprocess
import threading
import time

import pytest

from tests.conftest import ROOT

SETUP = ROOT / "scripts" / "setup.sh"


def torch_plan(tmp_path, **env) -> subprocess.CompletedProcess:
    bin_dir = tmp_path / "bin"  # no nvidia-smi unless a test puts one there
    bin_dir.mkdir(exist_ok=True)
    path = f"{bin_dir}:/usr/bin:/bin"
    return subprocess.run(["bash", str(SETUP), "--torch-plan"], capture_output=True, text=True, timeout=60,
                          env={"PATH": path, "HOME": str(tmp_path), **env})


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_gpu_and_no_pytorch_index_falls_back_to_the_default_index_quickly(tmp_path):
    started = time.monotonic()
    result = torch_plan(tmp_path, ANALYZER_TORCH_INDEX=f"http://127.0.0.1:{closed_port()}/whl/cpu")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "torch==2.13.0"
    assert time.monotonic() - started < 15


def test_no_gpu_uses_the_pytorch_cpu_index_when_it_answers(tmp_path):
    (tmp_path / "site" / "whl" / "cpu" / "torch").mkdir(parents=True)
    (tmp_path / "site" / "whl" / "cpu" / "torch" / "index.html").write_text("<html></html>")
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path / "site"), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        index = f"http://127.0.0.1:{server.server_address[1]}/whl/cpu"
        result = torch_plan(tmp_path, ANALYZER_TORCH_INDEX=index)
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:3] == ["torch==2.13.0", "--index-url", index]


def test_cuda_on_request_or_with_a_gpu(tmp_path):
    result = torch_plan(tmp_path, ANALYZER_TORCH="cuda")
    assert result.returncode == 0 and result.stdout.strip() == "torch==2.13.0"
    fake = tmp_path / "bin" / "nvidia-smi"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text("#!/bin/sh\necho 'GPU 0: Tesla T4 (UUID: GPU-x)'\n")
    fake.chmod(0o755)
    result = torch_plan(tmp_path, ANALYZER_TORCH_INDEX="http://127.0.0.1:9/none")
    assert result.returncode == 0 and "--index-url" not in result.stdout
    forced = torch_plan(tmp_path, ANALYZER_TORCH="cpu", ANALYZER_TORCH_INDEX=f"http://127.0.0.1:{closed_port()}/x")
    assert forced.returncode == 0 and forced.stdout.strip() == "torch==2.13.0"
    bad = torch_plan(tmp_path, ANALYZER_TORCH="gpu")
    assert bad.returncode != 0 and "cpu, cuda or auto" in bad.stderr


def test_setup_installs_torch_before_the_project_and_prints_the_venv_size():
    text = SETUP.read_text()
    assert text.index("install $plan") < text.index('install -e ".[dev]"')
    assert "du -sh .venv" in text


def _requirements():
    from packaging.requirements import Requirement

    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    lines = [line.strip() for line in config["options"]["install_requires"].splitlines() if line.strip()]
    return {Requirement(line).name.lower(): Requirement(line) for line in lines}


def test_direct_imports_are_declared_and_faster_whisper_is_pinned():
    requirements = _requirements()
    for name in ("ctranslate2", "av", "filelock", "faster-whisper", "torch"):
        assert name in requirements, f"{name} is imported by analyzer but not declared"
    spec = requirements["faster-whisper"].specifier
    # the adapter's clip_timestamps are seconds, one clip per window: 1.2.1's reading
    assert not spec.contains("1.1.1") and not spec.contains("1.2.0") and spec.contains("1.2.1")
    assert any(s.operator in ("<", "<=", "~=", "==") for s in spec), "an upper bound: a later release may read them differently"


def test_the_installed_faster_whisper_is_one_the_adapter_supports():
    from importlib.metadata import version

    assert _requirements()["faster-whisper"].specifier.contains(version("faster-whisper"))
