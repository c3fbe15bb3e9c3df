"""The training half of the Hugging Face text adapter: fine-tune a sentence encoder end to end
with several heads at once (torch), and convert the result to CTranslate2 int8 for inference.

Only training code imports this module (``scripts/train_text_models.py``,
:mod:`analyzer.textmodels.train`); the pipeline runs the converted encoder through
:mod:`analyzer.adapters.hf_text`.

The model is the encoder, mean pooling over tokens, L2 normalisation (the geometry the
inference-time :class:`~analyzer.adapters.hf_text.SentenceEncoder` produces) times a learned
scale, and one linear head per task:

- ``customer``: customer sentiment, 3 classes (negative / neutral / positive);
- ``agent``: the agent's tone, 3 classes;
- ``behaviours``: one logit per behaviour (multi-label).

Every training row may carry any subset of the three labels (``-1`` / ``NaN`` = not labelled),
so corpora labelled for one task only are mixed freely. Batches are drawn with replacement with
per-row sampling weights (the caller balances sources and classes) and grouped by length so
padding stays small, which matters on a CPU.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np


@dataclass(frozen=True)
class FineTuneArguments:
    """Settings of one fine-tuning run.

    steps: optimiser steps; batch_size: rows per step (steps x batch_size rows are drawn).
    learning_rate: peak rate for the encoder (linear warm-up over ``warmup`` of the steps, then
        linear decay to 0); head_learning_rate: for the heads and the scale.
    weight_decay: AdamW decay (not on biases and LayerNorm).
    max_length: tokens kept per text in training (most utterances are shorter; longer ones keep
        their first 48 tokens).
    freeze_embeddings: keep the word-embedding matrix fixed (a third of the parameters; saves
        time and keeps rare words where pre-training put them).
    freeze_layers: also keep the lowest N transformer layers fixed (cheaper backward pass on a
        CPU; the upper layers carry most of the task adaptation).
    behaviour_loss_weight: weight of the behaviour BCE relative to each sentiment CE.
    bucket: batches per length-sorted bucket.
    seed: sampling and initialisation seed; threads: torch intra-op threads (0 = all cores).
    """

    steps: int = 3000
    batch_size: int = 32
    learning_rate: float = 5e-5
    head_learning_rate: float = 2e-3
    warmup: float = 0.06
    weight_decay: float = 0.01
    max_length: int = 48
    freeze_embeddings: bool = True
    freeze_layers: int = 2
    behaviour_loss_weight: float = 1.0
    bucket: int = 50
    seed: int = 0
    threads: int = 0
    log_every: int = 200


@dataclass(frozen=True)
class MultiTaskData:
    """Training rows. ``customer``/``agent``: class index 0-2 or -1; ``behaviours``: (n, k)
    floats 0/1 or NaN; ``weights``: sampling weight of each row (need not sum to 1)."""

    texts: Sequence[str]
    customer: np.ndarray
    agent: np.ndarray
    behaviours: np.ndarray
    weights: np.ndarray
    behaviour_ids: Sequence[str] = ()

    def __post_init__(self) -> None:
        n = len(self.texts)
        for name in ("customer", "agent", "behaviours", "weights"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"MultiTaskData.{name} has {len(getattr(self, name))} rows for {n} texts")


@dataclass(frozen=True)
class FineTuneResult:
    """What a run produced: the Hugging Face model directory, the heads' weights (numpy, on the
    normalised embedding; logits = scale * (x @ W.T) + b), the loss curve and the time taken."""

    path: Path
    heads: Dict[str, Dict[str, np.ndarray]]
    losses: List[float] = field(default_factory=list)
    seconds: float = 0.0
    rows_seen: int = 0


def _batches(lengths: np.ndarray, weights: np.ndarray, args: FineTuneArguments) -> List[np.ndarray]:
    """Row indices per step: weighted draws, length-sorted within buckets, buckets shuffled."""
    rng = np.random.default_rng(args.seed)
    p = np.asarray(weights, dtype=np.float64)
    p = p / p.sum()
    drawn = rng.choice(len(p), size=args.steps * args.batch_size, replace=True, p=p)
    out: List[np.ndarray] = []
    span = args.bucket * args.batch_size
    for start in range(0, len(drawn), span):
        chunk = drawn[start : start + span]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches = [chunk[i : i + args.batch_size] for i in range(0, len(chunk), args.batch_size)]
        rng.shuffle(batches)
        out.extend(batches)
    return out


def fine_tune(
    base: str,
    data: MultiTaskData,
    out_dir: str | Path,
    args: FineTuneArguments = FineTuneArguments(),
    log: Callable[[str], None] = print,
) -> FineTuneResult:
    """Fine-tune the Hugging Face encoder at ``base`` on ``data``; save it to ``out_dir``."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from .hf_text import _threads

    torch.manual_seed(args.seed)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(_threads(args.threads))
    try:
        tokenizer = AutoTokenizer.from_pretrained(base)
        encoder = AutoModel.from_pretrained(base)
        encoder.train()
        if args.freeze_embeddings:
            encoder.embeddings.word_embeddings.weight.requires_grad_(False)
        for layer in encoder.encoder.layer[: args.freeze_layers]:
            layer.requires_grad_(False)
        dim = encoder.config.hidden_size
        k = data.behaviours.shape[1]
        heads = torch.nn.ModuleDict(
            {"customer": torch.nn.Linear(dim, 3), "agent": torch.nn.Linear(dim, 3), **({"behaviours": torch.nn.Linear(dim, k)} if k else {})}
        )
        log_scale = torch.nn.Parameter(torch.tensor(math.log(10.0)))

        ids = tokenizer(list(data.texts), truncation=True, max_length=args.max_length)["input_ids"]
        lengths = np.array([len(x) for x in ids])
        pad = tokenizer.pad_token_id or 0
        customer = torch.as_tensor(np.asarray(data.customer, dtype=np.int64))
        agent = torch.as_tensor(np.asarray(data.agent, dtype=np.int64))
        behaviours = torch.as_tensor(np.asarray(data.behaviours, dtype=np.float32))

        decay, no_decay = [], []
        for name, param in encoder.named_parameters():
            if param.requires_grad:
                (no_decay if name.endswith("bias") or "LayerNorm" in name else decay).append(param)
        optimiser = torch.optim.AdamW(
            [
                {"params": decay, "lr": args.learning_rate, "weight_decay": args.weight_decay},
                {"params": no_decay, "lr": args.learning_rate, "weight_decay": 0.0},
                {"params": list(heads.parameters()) + [log_scale], "lr": args.head_learning_rate, "weight_decay": 0.0},
            ]
        )
        peaks = [group["lr"] for group in optimiser.param_groups]
        warm = max(1, int(args.warmup * args.steps))

        def rate(step: int) -> float:
            return (step + 1) / warm if step < warm else max(0.0, (args.steps - step) / max(1, args.steps - warm))

        losses: List[float] = []
        running, seen, started, last = 0.0, 0, time.perf_counter(), time.perf_counter()
        for step, batch in enumerate(_batches(lengths, data.weights, args)):
            for group, peak in zip(optimiser.param_groups, peaks):
                group["lr"] = peak * rate(step)
            width = int(lengths[batch].max())
            input_ids = torch.tensor([ids[i] + [pad] * (width - len(ids[i])) for i in batch])
            mask = torch.tensor([[1] * len(ids[i]) + [0] * (width - len(ids[i])) for i in batch], dtype=torch.float32)
            hidden = encoder(input_ids=input_ids, attention_mask=mask.long()).last_hidden_state
            pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
            x = torch.nn.functional.normalize(pooled, dim=-1) * log_scale.exp()
            index = torch.as_tensor(batch)
            loss = torch.zeros(())
            for task, labels in (("customer", customer[index]), ("agent", agent[index])):
                keep = labels >= 0
                if keep.any():
                    loss = loss + torch.nn.functional.cross_entropy(heads[task](x[keep]), labels[keep])
            if k:
                target = behaviours[index]
                known = ~torch.isnan(target)
                if known.any():
                    logits = heads["behaviours"](x)
                    loss = loss + args.behaviour_loss_weight * torch.nn.functional.binary_cross_entropy_with_logits(
                        logits[known], target[known]
                    )
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for g in optimiser.param_groups for p in g["params"]], 1.0)
            optimiser.step()
            running += float(loss.detach())
            seen += len(batch)
            if (step + 1) % args.log_every == 0 or step + 1 == args.steps:
                count = args.log_every if (step + 1) % args.log_every == 0 else (step + 1) % args.log_every
                losses.append(running / count)
                now = time.perf_counter()
                log(f"step {step + 1}/{args.steps}: loss {running / count:.4f}, {count * args.batch_size / (now - last):.0f} rows/s")
                running, last = 0.0, now
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        encoder.eval()
        encoder.save_pretrained(str(out_dir), safe_serialization=True)
        tokenizer.save_pretrained(str(out_dir))
        scale = float(log_scale.detach().exp())
        exported = {
            name: {"coef": (head.weight.detach().numpy() * scale).astype(np.float32), "intercept": head.bias.detach().numpy().astype(np.float32)}
            for name, head in heads.items()
        }
        return FineTuneResult(out_dir, exported, losses, time.perf_counter() - started, seen)
    finally:
        torch.set_num_threads(previous_threads)


def convert_to_ct2(hf_dir: str | Path, out_dir: str | Path, quantization: str = "int8") -> Path:
    """Convert a fine-tuned Hugging Face encoder to CTranslate2 (int8 weights by default) and copy
    its tokenizer files next to it, so the directory alone is a complete inference encoder."""
    import shutil

    from ctranslate2.converters import TransformersConverter

    hf_dir, out_dir = Path(hf_dir), Path(out_dir)
    TransformersConverter(str(hf_dir)).convert(str(out_dir), quantization=quantization, force=True)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        if (hf_dir / name).exists():
            shutil.copyfile(hf_dir / name, out_dir / name)
    return out_dir
