#!/usr/bin/env python
"""Benchmark: what redaction costs per utterance, against baselines measured in the same run.

On realistic utterances (DailyDialog test conversation turns from ``../shared/data`` when present,
plus the generated contact-center calls of ``scripts/evaluate_redaction.py`` with card numbers,
SSNs, emails... in them), single-threaded, best of ``--repeat`` passes:

* ``lower().split()``: the floor, tokenising each utterance once;
* a plain-regex redactor: three precompiled patterns (written card-like digit runs, emails,
  US phone formats) substituted per utterance, i.e. what a minimal hand-written redactor costs;
* ``Redactor.redact_text`` per utterance;
* ``Redactor.redact_utterances`` per call (text and word list rewritten, cross-utterance linking,
  cues carried between parties), reported per utterance: what the pipeline will pay;
* with ``--sentiment``: the shipped sentiment model (batched, CTranslate2 int8), per utterance,
  to put the cost next to the text model every utterance already goes through;
* with ``--presidio``: presidio-analyzer's pattern recognizers (no NLP engine), when installed.

    python scripts/benchmark_redaction.py [--n 3000] [--repeat 3] [--sentiment] [--presidio]
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
import time
from pathlib import Path
from typing import Callable, List, Sequence

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.redaction import RedactionOptions, Redactor  # noqa: E402


def load_evaluation():
    spec = importlib.util.spec_from_file_location("evaluate_redaction", ROOT / "scripts" / "evaluate_redaction.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["evaluate_redaction"] = module
    spec.loader.exec_module(module)
    return module


PLAIN = [
    re.compile(r"\b(?:\d[ -]?){12,18}\d\b"),
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    re.compile(r"\(?\b\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}\b"),
]


def plain_regex(text: str) -> str:
    for pattern in PLAIN:
        text = pattern.sub("[REDACTED]", text)
    return text


def best_of(repeat: int, fn: Callable[[], None]) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--n", type=int, default=3000, help="DailyDialog test utterances")
    parser.add_argument("--calls", type=int, default=40, help="generated examples per entity type")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sentiment", action="store_true", help="also time the shipped sentiment model")
    parser.add_argument("--presidio", action="store_true", help="also time presidio-analyzer's pattern recognizers")
    args = parser.parse_args()

    evaluation = load_evaluation()
    examples = evaluation.build_set(args.calls, 10 * args.calls, seed=1)
    calls = [ex.utterances() for ex in examples]
    # the real turns, cut into calls of 20 utterances alternating parties, with word timings
    real = evaluation.dailydialog_texts(args.data, "test", args.n)
    if not real:
        print(f"(no DailyDialog under {args.data}: generated utterances only)")
    real_calls: List[list] = []
    for start in range(0, len(real), 20):
        ex = evaluation.Example("REAL", "")
        for k, text in enumerate(real[start : start + 20]):
            ex.say("agent" if k % 2 == 0 else "customer", text)
        real_calls.append(ex.utterances())
    all_calls = real_calls + calls
    texts: Sequence[str] = [u.text for call in all_calls for u in call]
    n = len(texts)
    n_entity = sum(len(c) for c in calls)
    print(f"{n} utterances: {n - n_entity} real conversation turns (DailyDialog test) in {len(real_calls)} calls, "
          f"{n_entity} generated contact-center utterances in {len(calls)} calls; mean {sum(map(len, texts)) / n:.0f} characters")

    redactor = Redactor(RedactionOptions())
    redactor.redact_utterances(all_calls[0])  # warm-up
    rows = []
    rows.append(("lower().split() (tokenising floor)", best_of(args.repeat, lambda: [t.lower().split() for t in texts])))
    rows.append(("plain regex redactor (3 written patterns)", best_of(args.repeat, lambda: [plain_regex(t) for t in texts])))
    rows.append(("Redactor.redact_text, per utterance", best_of(args.repeat, lambda: [redactor.redact_text(t) for t in texts])))
    # each call timed on its own, best of the repeats, so the two kinds of call can be told apart
    per_call = [float("inf")] * len(all_calls)
    for _ in range(args.repeat):
        for k, call in enumerate(all_calls):
            t0 = time.perf_counter()
            redactor.redact_utterances(call)
            per_call[k] = min(per_call[k], time.perf_counter() - t0)
    rows.append(("Redactor.redact_utterances, per call", sum(per_call)))
    n_real = n - n_entity
    if n_real:
        rows.append(("  real conversation turns only", sum(per_call[: len(real_calls)]) * n / n_real))
        rows.append(("  generated contact-center calls only", sum(per_call[len(real_calls) :]) * n / n_entity))
    if args.presidio:
        try:
            baseline = evaluation.PresidioBaseline()
            rows.append(("presidio pattern recognizers (6), per utterance", best_of(args.repeat, lambda: [baseline.analyze(t) for t in texts])))
        except ImportError as exc:
            print(f"(presidio-analyzer not installed: {exc})")
    if args.sentiment:
        from analyzer.textmodels.bundle import load_text_models

        model = load_text_models()
        model.sentiment_proba(list(texts[:64]))
        rows.append(("text models' sentiment (batched, ct2 int8), per utterance", best_of(1, lambda: model.sentiment_proba(list(texts)))))

    floor = rows[0][1]
    regex = rows[1][1]
    print("\n| what | µs per utterance | x tokenising | x plain regex |")
    print("|---|---|---|---|")
    for name, seconds in rows:
        us = 1e6 * seconds / n
        print(f"| {name} | {us:.1f} | {seconds / floor:.1f} | {seconds / regex:.1f} |")
    mean_call = 1e6 * rows[3][1] / len(all_calls)
    print(f"\nredact_utterances: {mean_call / 1000:.2f} ms per call of {n / len(all_calls):.1f} utterances on average")


if __name__ == "__main__":
    main()
