"""Find call inputs under the paths a user gives: audio recordings and transcript JSON files."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Tuple

AUDIO_EXTENSIONS = frozenset(
    {".wav", ".flac", ".mp3", ".ogg", ".opus", ".oga", ".m4a", ".mp4", ".aac", ".wma", ".webm", ".mka", ".aif", ".aiff", ".au", ".gsm"}
)
TRANSCRIPT_EXTENSIONS = frozenset({".json"})


@dataclass(frozen=True)
class InputFile:
    """A file that should become one call."""

    path: str
    kind: str  # "audio" | "transcript"


def find_inputs(paths: Iterable[str | Path]) -> Tuple[List[InputFile], List[str]]:
    """Recursively list audio and transcript files, sorted, without duplicates.

    Returns ``(inputs, missing)`` where ``missing`` are given paths that do not exist.
    Hidden files and directories (starting with ``.``) are skipped.
    """
    found: dict[str, InputFile] = {}
    missing: list[str] = []
    for given in paths:
        root = Path(given)
        if not root.exists():
            missing.append(str(given))
            continue
        candidates = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in candidates:
            rel = path.relative_to(root) if path != root else Path(path.name)
            if any(part.startswith(".") for part in rel.parts):
                continue
            kind = classify(path)
            if kind is not None:
                found.setdefault(str(path.resolve()), InputFile(str(path), kind))
    return sorted(found.values(), key=lambda f: f.path), missing


def classify(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in AUDIO_EXTENSIONS:
        return "audio"
    if suffix in TRANSCRIPT_EXTENSIONS:
        return "transcript"
    return None


def file_sha256(path: str | Path, block_size: int = 1 << 20) -> str:
    """Content hash of a file, streamed (recordings can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while True:
            block = handle.read(block_size)
            if not block:
                break
            digest.update(block)
    return digest.hexdigest()
