"""Evaluation helpers for scripts and tests (need the ``eval`` extra: jiwer, whisper-normalizer)."""
