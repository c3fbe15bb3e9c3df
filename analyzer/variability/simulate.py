"""A simulator of contact-center calls with known truth, for validating the variability engine.

N agents with true effects on handle time, customer sentiment and CSAT and their own behaviour
rates; case mix across queues that differs by agent; a survey response rate; realistic noise and
skewed call counts. :func:`simulate_population` returns call-level outcomes (the columns the
engine reads) and the truth; :func:`write_transcripts` renders the calls as transcript JSON +
metadata CSV so the whole pipeline (sentiment and behaviour models included) can run on them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Dict, Mapping, Tuple

import numpy as np

POSITIVE = (
    "greeting", "empathy", "apology", "ownership", "active_listening", "politeness", "effective_questioning",
    "setting_expectations", "hold_etiquette", "personalization", "checking_resolution", "closing",
)
NEGATIVE = ("blaming", "dismissive", "interruption", "dead_air")

#: true effect of each behaviour on the end-of-call customer sentiment index (0-100 points)
DEFAULT_BEHAVIOUR_EFFECTS = {
    "greeting": 1.0, "empathy": 6.0, "apology": 2.0, "ownership": 5.0, "active_listening": 3.0, "politeness": 2.0,
    "effective_questioning": 2.0, "setting_expectations": 4.0, "hold_etiquette": 1.0, "personalization": 2.0,
    "checking_resolution": 2.0, "closing": 1.0, "blaming": -8.0, "dismissive": -10.0, "interruption": -3.0, "dead_air": -4.0,
}
#: share of calls showing each behaviour for an average agent
DEFAULT_BEHAVIOUR_RATES = {
    "greeting": 0.9, "empathy": 0.45, "apology": 0.4, "ownership": 0.4, "active_listening": 0.35, "politeness": 0.7,
    "effective_questioning": 0.5, "setting_expectations": 0.45, "hold_etiquette": 0.3, "personalization": 0.4,
    "checking_resolution": 0.55, "closing": 0.85, "blaming": 0.06, "dismissive": 0.05, "interruption": 0.2, "dead_air": 0.15,
}
#: queue: (share of calls, mean handle seconds, customer's mean starting sentiment index)
DEFAULT_QUEUES = {"billing": (0.35, 420.0, 38.0), "tech": (0.25, 600.0, 34.0), "retention": (0.15, 540.0, 28.0), "orders": (0.25, 330.0, 45.0)}
CSAT_SLOPE = 0.045  # latent CSAT points per sentiment-index point
CSAT_NOISE = 0.7


@dataclass(frozen=True)
class SimulationOptions:
    """What the simulated contact center looks like.

    agent_effects: False simulates a team with no true differences between agents at all (same
        effects and behaviour rates) - raw quartile spreads then come from noise alone.
    aht_agent_sd_s, sentiment_agent_sd, csat_agent_sd: spread of agents' true direct effects.
    behaviour_sd: spread of agents' behaviour propensities on the logit scale (shared skill).
    aht_noise: call-level multiplicative noise on handle time (log-normal sigma).
    sentiment_noise: call-level noise on the end-of-call sentiment index (points).
    survey_rate: share of calls with a CSAT survey.
    call_count_sigma: log-normal sigma of agents' call volumes (skewed counts).
    queue_concentration: Dirichlet concentration of each agent's queue mix (lower = more skewed).
    """

    n_agents: int = 40
    n_calls: int = 4000
    seed: int = 0
    agent_effects: bool = True
    aht_agent_sd_s: float = 60.0
    sentiment_agent_sd: float = 4.0
    csat_agent_sd: float = 0.2
    behaviour_sd: float = 0.8
    aht_noise: float = 0.35
    sentiment_noise: float = 12.0
    survey_rate: float = 0.3
    call_count_sigma: float = 0.8
    queue_concentration: float = 1.5
    days: int = 30
    start: str = "2026-10-01T08:00:00"
    behaviour_effects: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_BEHAVIOUR_EFFECTS))
    behaviour_rates: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_BEHAVIOUR_RATES))
    queues: Mapping[str, Tuple[float, float, float]] = field(default_factory=lambda: dict(DEFAULT_QUEUES))


@dataclass(frozen=True)
class Population:
    """calls: one row per call (what the engine reads, plus ``true_*`` columns); agents: the
    truth per agent; options: how it was made."""

    calls: "object"
    agents: "object"
    options: SimulationOptions


def _logit(p):
    return np.log(p / (1 - p))


def _expected_csat(latent_mean: np.ndarray) -> np.ndarray:
    """E[clip(round(latent + N(0, CSAT_NOISE)), 1, 5)] for each latent mean."""
    from scipy.stats import norm

    cuts = np.array([1.5, 2.5, 3.5, 4.5])
    cdf = norm.cdf((cuts[None, :] - latent_mean[:, None]) / CSAT_NOISE)
    probs = np.diff(np.concatenate([np.zeros((len(latent_mean), 1)), cdf, np.ones((len(latent_mean), 1))], axis=1), axis=1)
    return probs @ np.arange(1, 6)


def simulate_population(options: SimulationOptions = SimulationOptions()):
    """Simulate calls and the truth behind them (deterministic for a seed)."""
    import pandas as pd

    o = options
    rng = np.random.default_rng(o.seed)
    A, N = o.n_agents, o.n_calls
    names = [f"agent-{i + 1:04d}" for i in range(A)]
    queues = list(o.queues)
    q_share = np.array([o.queues[q][0] for q in queues])
    q_aht = np.array([o.queues[q][1] for q in queues])
    q_start = np.array([o.queues[q][2] for q in queues])
    behaviours = list(POSITIVE + NEGATIVE)

    volume = rng.lognormal(0.0, o.call_count_sigma, A)
    agent_of_call = rng.choice(A, size=N, p=volume / volume.sum())
    mix = rng.dirichlet(o.queue_concentration * q_share * len(queues), size=A)
    u = rng.random(N)
    queue_of_call = (u[:, None] > np.cumsum(mix[agent_of_call], axis=1)).sum(axis=1).clip(0, len(queues) - 1)

    if o.agent_effects:
        aht_eff = rng.normal(0, o.aht_agent_sd_s, A)
        sent_eff = rng.normal(0, o.sentiment_agent_sd, A)
        csat_eff = rng.normal(0, o.csat_agent_sd, A)
        skill = rng.normal(0, 1, A)
        noise = rng.normal(0, 0.4, (A, len(behaviours)))
        sign = np.array([1.0] * len(POSITIVE) + [-1.0] * len(NEGATIVE))
        logits = _logit(np.array([o.behaviour_rates[b] for b in behaviours]))[None, :] + o.behaviour_sd * (skill[:, None] * sign[None, :] + noise)
    else:
        aht_eff = sent_eff = csat_eff = np.zeros(A)
        logits = np.tile(_logit(np.array([o.behaviour_rates[b] for b in behaviours])), (A, 1))
    rates = 1 / (1 + np.exp(-logits))
    effects = np.array([o.behaviour_effects.get(b, 0.0) for b in behaviours])

    present = rng.random((N, len(behaviours))) < rates[agent_of_call]
    start_index = np.clip(q_start[queue_of_call] + rng.normal(0, 12, N), 0, 100)
    end_latent = start_index + 12.0 + present @ effects + sent_eff[agent_of_call] + rng.normal(0, o.sentiment_noise, N)
    end_index = np.clip(end_latent, 0, 100)
    handle = (q_aht[queue_of_call] + aht_eff[agent_of_call]) * np.exp(rng.normal(-o.aht_noise**2 / 2, o.aht_noise, N))
    handle = np.maximum(handle, 30.0)
    acw = handle * rng.uniform(0.08, 0.2, N)
    hold = np.where(rng.random(N) < 0.35, np.minimum(handle * 0.25, rng.uniform(20, 120, N)), 0.0)
    dead_air = present[:, behaviours.index("dead_air")] * rng.uniform(5, 20, N)
    distress = handle * np.clip((50 - start_index) / 200, 0, 0.3)
    csat_latent = 3.0 + CSAT_SLOPE * (end_latent - 50) + csat_eff[agent_of_call]
    surveyed = rng.random(N) < o.survey_rate
    csat = np.where(surveyed, np.clip(np.round(csat_latent + rng.normal(0, CSAT_NOISE, N)), 1, 5), np.nan)
    started = datetime.fromisoformat(o.start)
    day = rng.integers(0, o.days, N)
    seconds = rng.integers(0, 12 * 3600, N)
    started_at = [(started + timedelta(days=int(d), seconds=int(s))).isoformat(timespec="seconds") for d, s in zip(day, seconds)]

    calls = pd.DataFrame(
        {
            "call_id": [f"sim-{i + 1:07d}" for i in range(N)],
            "agent_id": np.array(names)[agent_of_call],
            "queue": np.array(queues)[queue_of_call],
            "started_at": started_at,
            "handle_seconds": np.round(handle, 1),
            "hold_seconds": np.round(hold, 1),
            "acw_seconds": np.round(acw, 1),
            "csat": csat,
            "customer_index_start": np.round(start_index, 2),
            "customer_index_end": np.round(end_index, 2),
            "customer_sentiment_start": np.round(start_index / 50 - 1, 4),
            "transferred": rng.random(N) < 0.05,
            "time_handle_s": np.round(handle, 1),
            "time_hold_s": np.round(hold, 1),
            "time_acw_s": np.round(acw, 1),
            "time_dead_air_s": np.round(dead_air, 1),
            "time_distress_s": np.round(distress, 1),
        }
    )
    calls["time_other_s"] = 0.0
    calls["time_productive_s"] = np.maximum(handle - hold - acw - dead_air - distress, 0).round(1)
    for j, b in enumerate(behaviours):
        calls[f"beh_{b}"] = present[:, j]
        calls[f"beh_{b}_n"] = present[:, j].astype(int)
    calls["true_csat_expected"] = _expected_csat(csat_latent)
    calls["true_sentiment_end_expected"] = start_index + 12.0 + present @ effects + sent_eff[agent_of_call]

    # truth per agent, at the team's case mix (what case-mix adjustment estimates)
    counts = np.bincount(agent_of_call, minlength=A)
    behaviour_part = rates @ effects
    team_weights = counts / counts.sum()
    sent_total = sent_eff + behaviour_part
    sample = rng.choice(N, size=min(N, 4000), replace=False)
    base = 3.0 + CSAT_SLOPE * (start_index[sample] + 12.0 + rng.normal(0, o.sentiment_noise, len(sample)) - 50)
    csat_truth = np.array([_expected_csat(base + CSAT_SLOPE * sent_total[a] + csat_eff[a]).mean() for a in range(A)])
    agents = pd.DataFrame(
        {
            "agent_id": names,
            "n_calls": counts,
            "true_aht_effect_s": aht_eff - np.sum(team_weights * aht_eff),
            "true_sentiment_effect": sent_total - np.sum(team_weights * sent_total),
            "true_csat_effect": csat_truth - np.sum(team_weights * csat_truth),
            "true_csat": csat_truth,
        }
    )
    for j, b in enumerate(behaviours):
        agents[f"true_rate_{b}"] = rates[:, j]
    return Population(calls=calls, agents=agents, options=o)


# -- rendering as transcripts ------------------------------------------------------------------

AGENT_LINES = {
    "greeting": ["Good afternoon, thanks for calling Northwind, you're speaking with {agent}.", "Hello, Northwind customer care, {agent} here, how can I help?"],
    "empathy": ["I'm so sorry you've had to deal with this, I can understand how frustrating it is.", "That sounds really stressful, I completely understand why you're upset."],
    "apology": ["I do apologise for the trouble this has caused.", "I'm really sorry about the mistake on our side."],
    "ownership": ["Leave it with me, I'll sort this out for you personally.", "I'm going to take care of this for you right now."],
    "active_listening": ["So if I've understood you correctly, the problem started after the last bill?", "Just to make sure I've got this right, you were charged twice?"],
    "politeness": ["Thank you so much for your patience, could you please confirm your postcode?"],
    "effective_questioning": ["Could you tell me a bit more about what happens when you try to log in?", "When did you first notice the problem?"],
    "setting_expectations": ["You'll receive a confirmation email within the next twenty four hours.", "The refund will show in your account within three to five working days."],
    "hold_etiquette": ["Would you mind if I put you on a short hold while I check that?"],
    "personalization": ["Thanks for waiting, {customer}, I've found your account."],
    "checking_resolution": ["Is there anything else I can help you with today?"],
    "closing": ["Thank you for calling Northwind, have a lovely day, goodbye."],
    "blaming": ["That's not my department, you'll have to call the other team about it."],
    "dismissive": ["Look, I've already explained this to you, just read the email."],
    "interruption": ["Right, okay, let me stop you there and check the account."],
}
NEUTRAL_AGENT = ["Can I take your full name and the first line of your address?", "Okay, I'm just looking at the account now.", "I can see the order on the system."]
CUSTOMER_LINES = {
    0: ["This is absolutely ridiculous, I'm furious, nobody ever helps me.", "I'm so angry, this is the worst service I've ever had."],
    1: ["I'm really unhappy, this has gone on for weeks.", "Honestly I'm fed up, it's been a nightmare."],
    2: ["My bill is higher than it should be this month.", "The parcel still hasn't arrived.", "Yes, that's right, it's the account in my name."],
    3: ["Okay, that sounds good, thanks.", "Great, that helps, thank you."],
    4: ["Thank you so much, that's wonderful, you've been really helpful!", "Brilliant, I really appreciate it, thanks a lot."],
}
FIRST_NAMES = ["Brian", "Karen", "Stephen", "Paul", "Sophie", "Aisha", "Tom", "Maria", "Priya", "Daniel"]


def _customer_line(index: float, rng) -> str:
    level = 0 if index < 20 else 1 if index < 38 else 2 if index < 60 else 3 if index < 78 else 4
    lines = CUSTOMER_LINES[level]
    return lines[rng.integers(len(lines))]


def render_call(row, rng, agent_name: str) -> Dict[str, object]:
    """One call as transcript JSON: agent turns carry the call's behaviours, the customer's first
    and last turns its start and end sentiment."""
    customer = FIRST_NAMES[rng.integers(len(FIRST_NAMES))]
    present = [b for b in POSITIVE + NEGATIVE if bool(row[f"beh_{b}"])]
    agent_turns = []
    order = ["greeting", "effective_questioning", "active_listening", "empathy", "apology", "blaming", "dismissive", "personalization",
             "ownership", "hold_etiquette", "setting_expectations", "politeness", "checking_resolution", "closing"]
    for b in order:
        if b in present:
            lines = AGENT_LINES[b]
            agent_turns.append((b, lines[rng.integers(len(lines))].format(agent=agent_name, customer=customer)))
    while len(agent_turns) < 4:
        agent_turns.insert(len(agent_turns) // 2, ("", NEUTRAL_AGENT[rng.integers(len(NEUTRAL_AGENT))]))
    start, end = float(row["customer_index_start"]), float(row["customer_index_end"])
    # plan the turns: (speaker, text, behaviour); the customer's sentiment drifts from start to end
    plan = []
    for k, (behaviour, text) in enumerate(agent_turns):
        plan.append(("agent", text, behaviour))
        share = k / max(len(agent_turns) - 1, 1)
        plan.append(("customer", _customer_line(start + (end - start) * share, rng), ""))
    lengths = [0.35 * len(text.split()) + 0.5 for _, text, _ in plan]
    gaps = [rng.uniform(0.4, 1.2) for _ in plan]
    hold = 40.0 if "hold_etiquette" in present else 0.0
    dead = rng.uniform(6, 12) if "dead_air" in present else 0.0
    # the recording should last about as long as the ACD says the call did (handle time minus
    # after-call work): stretch speaking time (at most 4x: simulated speech is slow, not sparse)
    target = float(row["handle_seconds"]) - float(row["acw_seconds"]) - hold - dead - sum(gaps)
    stretch = float(np.clip(target / sum(lengths), 1.0, 4.0))
    utterances, t = [], 0.5
    for (speaker, text, behaviour), length, gap in zip(plan, lengths, gaps):
        length *= stretch
        if behaviour == "interruption" and utterances:
            t -= 1.2  # starts over the customer
        utterances.append({"speaker": speaker, "start": round(t, 2), "end": round(t + length, 2), "text": text})
        t += length + gap
        if behaviour == "hold_etiquette":
            t += hold  # silent hold
        if len(utterances) == 4:
            t += dead
    utterances.sort(key=lambda u: u["start"])
    return {"call_id": row["call_id"], "agent_id": row["agent_id"], "started_at": row["started_at"], "utterances": utterances}


def write_transcripts(population: Population, out_dir: Path) -> Dict[str, Path]:
    """Write ``transcripts/<call_id>.json``, ``metadata.csv`` and ``truth.json`` under ``out_dir``."""
    out_dir = Path(out_dir)
    folder = out_dir / "transcripts"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(population.options.seed + 1)
    calls = population.calls
    for row in calls.to_dict(orient="records"):
        name = FIRST_NAMES[int(row["agent_id"][-4:]) % len(FIRST_NAMES)]
        (folder / f"{row['call_id']}.json").write_text(json.dumps(render_call(row, rng, name)))
    meta = calls[["call_id", "agent_id", "started_at", "queue", "csat", "handle_seconds", "hold_seconds", "acw_seconds", "transferred"]]
    meta.to_csv(out_dir / "metadata.csv", index=False)
    truth = {
        "options": {k: v for k, v in population.options.__dict__.items()},
        "agents": population.agents.to_dict(orient="records"),
    }
    (out_dir / "truth.json").write_text(json.dumps(truth, indent=1, default=lambda v: v.item() if hasattr(v, "item") else str(v)))
    return {"transcripts": folder, "metadata": out_dir / "metadata.csv", "truth": out_dir / "truth.json"}
