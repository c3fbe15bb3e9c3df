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
from typing import Dict, List, Mapping, Tuple

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
    skill_confounding: correlation of an agent's skill (which raises the use of positive
        behaviours and lowers the negative ones) with the agent's direct effects on the
        end-of-call sentiment and CSAT: skilled agents also do better for reasons the tagged
        behaviours do not capture, so a comparison across agents credits the behaviours with it.
        0 = no confounding. Default 0.5: real teams are confounded this way, and the demo and
        the validation should show the engine's within-agent behaviour effects surviving it;
        the agents' direct effects keep their standard deviations, so the demo's spreads stay
        in the same range.
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
    skill_confounding: float = 0.5
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


def _expected_clipped(mean: np.ndarray, sd: float, low: float = 0.0, high: float = 100.0) -> np.ndarray:
    """E[clip(mean + N(0, sd), low, high)]: the expected value of an index kept inside its scale."""
    from scipy.stats import norm

    if sd <= 0:
        return np.clip(mean, low, high)
    a, b = (low - mean) / sd, (high - mean) / sd
    return low * norm.cdf(a) + mean * (norm.cdf(b) - norm.cdf(a)) + sd * (norm.pdf(a) - norm.pdf(b)) + high * norm.sf(b)


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
        if not -1.0 <= o.skill_confounding <= 1.0:
            raise ValueError(f"skill_confounding is a correlation in [-1, 1], got {o.skill_confounding}")
        aht_eff = rng.normal(0, o.aht_agent_sd_s, A)
        own_sent = rng.normal(0, 1, A)
        own_csat = rng.normal(0, 1, A)
        skill = rng.normal(0, 1, A)
        # direct effects: part skill (which also drives behaviour use: confounding), part the
        # agent's own; same standard deviation whatever the confounding
        rho, rest = o.skill_confounding, math.sqrt(1 - o.skill_confounding**2)
        sent_eff = o.sentiment_agent_sd * (rho * skill + rest * own_sent)
        csat_eff = o.csat_agent_sd * (rho * skill + rest * own_csat)
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
    # what the call's end index is expected to be given everything but the call-level noise (kept
    # inside 0-100 as the observed index is, so near the top of the scale behaviours move it less)
    calls["true_sentiment_end_expected"] = _expected_clipped(start_index + 12.0 + present @ effects + sent_eff[agent_of_call], o.sentiment_noise)

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

# Phrases written independently of the text models' training lines (the demo's per-agent
# behaviour rates are a test of the tagger: each line shows its behaviour and no other).
AGENT_LINES = {
    "greeting": [
        "Good morning, thank you for calling Northwind, my name's {agent}.",
        "Hello, you're through to Northwind customer services, this is {agent}.",
        "Hi there, Northwind billing team, {agent} speaking.",
        "Good afternoon, welcome to Northwind, you're speaking with {agent}.",
        "Thanks for calling Northwind, it's {agent} here.",
        "Hello, this is {agent} at Northwind support, good to have you on the line.",
        "Good evening, Northwind accounts, you've got {agent}.",
        "Hi, you've reached {agent} on the Northwind help desk.",
    ],
    "empathy": [
        "That sounds really stressful, I can understand why you're worried.",
        "I can hear how frustrating this has been for you.",
        "That must have been a horrible surprise when the bill arrived.",
        "I completely get why you're upset, anyone would be.",
        "Being left without a working phone for days must be really hard.",
        "I understand how disruptive this must be to your week.",
        "It sounds like you've had a really tough time with this, I can see why you're fed up.",
        "That must be worrying, especially when it involves your savings.",
    ],
    "apology": [
        "I'm really sorry about the delay with the refund.",
        "I apologise for the mix-up on our side.",
        "Sorry for the inconvenience this has caused.",
        "Please accept my apologies for the wrong information you were given.",
        "I'm sorry the engineer missed the appointment.",
        "Apologies, that charge should never have been applied.",
        "I'm so sorry for the trouble with the delivery.",
        "My apologies for the confusion over the dates.",
    ],
    "ownership": [
        "Leave this with me, I'll get it resolved.",
        "I'm going to take care of this personally.",
        "I'll chase the repair team myself so you don't have to.",
        "Don't worry, I'll sort this out for you now.",
        "I'll make sure that charge gets removed.",
        "I'm taking ownership of this and I'll see it through.",
        "Right, I'll deal with the billing team on your behalf.",
        "I'm going to fix this for you myself.",
    ],
    "active_listening": [
        "So if I've got this right, the payment left your account but the order never went through?",
        "Just to check I understand, the app works on Wi-Fi but not on mobile data?",
        "So what you're telling me is the new meter is reading higher than the old one.",
        "Let me make sure I've understood: the parcel was marked as delivered but you never received it?",
        "Okay, so the problem only started after the price change last month.",
        "If I'm following you, you were told the contract would end in May but it renewed automatically?",
        "So to sum up, you'd like the refund back to the original card rather than as credit.",
        "Right, so you've already reset the router twice and it's still dropping out.",
    ],
    "politeness": [
        "It's my pleasure, really.",
        "I really appreciate your patience with this.",
        "Thank you so much for taking the time to explain all of that.",
        "We really value your custom, thank you.",
        "That's very kind of you to say.",
        "Thank you for being so patient while I worked through that.",
        "I really appreciate you being so understanding.",
        "Thanks so much for sending those details over so quickly.",
    ],
    "effective_questioning": [
        "Could you talk me through what happens when you try to pay?",
        "When did you first notice the fault?",
        "What exactly does the error message say?",
        "How often is the connection dropping out?",
        "What were you doing just before the app closed?",
        "Has anything changed recently, like a new device or a house move?",
        "What outcome would you like from us today?",
        "Which rooms are affected when the power goes?",
    ],
    "setting_expectations": [
        "You'll receive a confirmation email within twenty-four hours.",
        "The refund will appear in your account within three to five working days.",
        "An engineer will call you on the morning of the visit with a time slot.",
        "Your new card should arrive in the post within seven days.",
        "The changes will show on your next bill.",
        "Once the claim's been reviewed, a handler will contact you by Friday.",
        "You'll get a text with the tracking link as soon as it's dispatched.",
        "The service should be back up and running within two hours.",
    ],
    "hold_etiquette": [
        "Would you mind if I put you on hold for two minutes while I check that?",
        "Thank you for holding on.",
        "Is it okay if I place you on a short hold while I speak to a colleague?",
        "I'm going to pop you on hold for a moment, it shouldn't be more than a couple of minutes.",
        "Thank you for waiting, I've got the information now.",
        "Can I put you on hold briefly while I look into the account history?",
        "I'll need to put you on hold for about three minutes, is that alright?",
        "Thanks for staying on the line while I checked.",
    ],
    "personalization": [
        "Okay, {customer}, let me have a look at that.",
        "Thanks, {customer}, I've got your account up.",
        "{customer}, I can see you've been with us for over ten years.",
        "Right, {customer}, that's all updated now.",
        "I can see you called last week about the same issue, {customer}.",
        "Of course, {customer}.",
        "{customer}, I notice you're on the older broadband package.",
        "Got it, {customer}, that's the address we have on file.",
    ],
    "checking_resolution": [
        "Is there anything else I can help you with today?",
        "Does that solve the problem for you?",
        "Is it working properly now?",
        "Has that answered everything you wanted to know?",
        "Are you happy with how we've left things?",
        "Can you see the payment showing now?",
        "Is there anything else on your account you'd like me to check?",
        "Is the issue sorted on your end now?",
    ],
    "closing": [
        "Thank you for calling Northwind, have a lovely day, goodbye.",
        "Thanks for your time today, take care, bye now.",
        "Have a great evening, goodbye.",
        "Thanks for calling, enjoy the rest of your weekend.",
        "Right then, all done, thanks very much and goodbye.",
        "Take care now, bye bye.",
        "Thank you, and have a good afternoon.",
        "Thanks again for getting in touch, goodbye.",
    ],
    "blaming": [
        "That's not my department, you'll need to ring billing yourself.",
        "You should have read the terms before you signed up.",
        "That's the system, it does that, I can't change it.",
        "Your last advisor gave you the wrong information, that's not my fault.",
        "It's the courier's fault, you'll have to take it up with them.",
        "If you'd sent the meter reading on time, the bill would be right.",
        "The other team caused this, so it's not something I can fix.",
        "You must have entered the wrong details, that's why it failed.",
    ],
    "dismissive": [
        "Like I've already said, the fee stays.",
        "Calm down, it's not a big deal.",
        "That's just how it works.",
        "There's nothing wrong with it, it's working fine.",
        "I don't know what you want me to do about it.",
        "Look, I've been over this twice already.",
        "It's only a few pounds, I wouldn't bother worrying about it.",
        "You'll have to wait like everyone else does.",
    ],
    "interruption": [
        "Sorry, can I just stop you there for a second?",
        "Hang on, hang on, let me just check something.",
        "Sorry to jump in, one second.",
        "Wait, just a moment.",
        "Sorry, can I cut in there quickly?",
        "Okay, let me stop you there.",
        "Right, sorry to interrupt.",
        "Just a second, sorry.",
    ],
}
NEUTRAL_AGENT = [
    "Can I take your full name and postcode, please?",
    "Okay, I'm just looking at the account now.",
    "Could you confirm your date of birth?",
    "I can see the order on the system.",
    "Right, let me just bring that up.",
    "The balance on the account is eighty-four pounds.",
    "And what's the first line of your address?",
    "Okay, that's gone through.",
    "Your tariff is the standard variable rate.",
    "Can you read me the reference number on the letter?",
    "I've got your details up here.",
    "Alright.",
    "The last payment was taken on the second of the month.",
    "Could you spell your surname for me?",
    "Right, that's noted on the account.",
    "The contract runs until the end of March.",
    "Is that the mobile number ending in 312?",
    "Mm-hm.",
    "The item was dispatched from our warehouse on Tuesday.",
    "Okay, I'm just typing that in.",
]
CUSTOMER_LINES = {
    0: [
        "This is an absolute disgrace, I've been waiting three weeks and nobody cares.",
        "I'm absolutely furious, you've cut my power off for no reason.",
        "You people are useless, this is the worst company I've ever dealt with.",
        "I'm sick to death of ringing you, this is the fifth time!",
        "This is unbelievable, I want a manager right now.",
        "I've had it, I'm cancelling everything and reporting you to the ombudsman.",
        "I'm beside myself, my account's been emptied and nobody will help me.",
        "Don't you dare tell me to wait again, this has been a complete nightmare.",
    ],
    1: [
        "I'm not happy, the bill's gone up again.",
        "Honestly, this is getting really frustrating.",
        "I was told someone would call me back, but nobody did.",
        "It's a bit disappointing, to be honest.",
        "I'm worried the payment won't go through in time.",
        "This still isn't working, and I've already tried everything.",
        "I'm sorry, but that's not really good enough.",
        "It's annoying having to explain it all again.",
    ],
    2: [
        "I'm calling about my latest bill.",
        "Yes, that's correct.",
        "My account number is 5532 8810.",
        "I'd like to update my address.",
        "Okay, go ahead.",
        "It's the flat on Mill Street, number twelve.",
        "When is my contract due to finish?",
        "I paid it on the fourth.",
    ],
    3: [
        "Okay, that sounds good, thanks.",
        "Great, that helps a lot.",
        "Oh good, that's a relief.",
        "Lovely, thank you for that.",
        "That's helpful, thanks.",
        "Nice, that's better than I expected.",
        "Perfect, that works for me.",
        "Good, I'm glad that's sorted.",
    ],
    4: [
        "Thank you so much, you've been absolutely wonderful!",
        "Brilliant, that's fantastic news, I really appreciate it.",
        "You're a lifesaver, honestly, thank you!",
        "That's amazing, the best service I've ever had.",
        "Oh that's such a relief, thank you so, so much.",
        "I'm delighted, thank you for everything.",
        "You've made my day, I can't thank you enough.",
        "Wonderful, I'll be recommending you to everyone.",
    ],
}
FIRST_NAMES = ["Brian", "Karen", "Stephen", "Paul", "Sophie", "Aisha", "Tom", "Maria", "Priya", "Daniel"]


def _customer_line(index: float, rng) -> str:
    level = 0 if index < 20 else 1 if index < 38 else 2 if index < 60 else 3 if index < 78 else 4
    lines = CUSTOMER_LINES[level]
    return lines[rng.integers(len(lines))]


def render_call(row, rng, agent_name: str) -> Dict[str, object]:
    """One call as transcript JSON: agent turns carry the call's behaviours, the customer's first
    and last turns its start and end sentiment. The recording (hold and dead air included) lasts
    ``handle_seconds - acw_seconds``, so recording + after-call work = handle time; a simulated call
    has far fewer turns than a real one of that length, so its turns are spoken slowly."""
    customer = FIRST_NAMES[rng.integers(len(FIRST_NAMES))]
    present = [b for b in POSITIVE + NEGATIVE if bool(row[f"beh_{b}"])]
    agent_turns = []
    order = ["greeting", "effective_questioning", "interruption", "active_listening", "empathy", "apology", "blaming", "dismissive",
             "personalization", "ownership", "hold_etiquette", "setting_expectations", "politeness", "checking_resolution", "closing"]
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

    def layout(stretch: float) -> List[dict]:
        utterances, t = [], 0.5
        for (speaker, text, behaviour), length, gap in zip(plan, lengths, gaps):
            length *= stretch
            if behaviour == "interruption" and utterances:
                t = utterances[-1]["end"] - 1.5  # starts 1.5 s before the customer has finished
            utterances.append({"speaker": speaker, "start": t, "end": t + length, "text": text})
            t += length + gap
            if behaviour == "hold_etiquette":
                t += hold  # silent hold
            if len(utterances) == 4:
                t += dead
        return utterances

    # the recording lasts as long as the ACD says the call did before after-call work
    # (handle_seconds - acw_seconds): the recording's length is linear in how slowly the turns are
    # spoken, so solve for it (at least half the natural pace, for the shortest calls)
    recorded = float(row["handle_seconds"]) - float(row["acw_seconds"])
    one, two = (max(u["end"] for u in layout(s)) for s in (1.0, 2.0))
    stretch = max((recorded - (2 * one - two)) / max(two - one, 1e-9), 0.5)
    utterances = [{**u, "start": round(u["start"], 2), "end": round(u["end"], 2)} for u in layout(stretch)]
    utterances.sort(key=lambda u: u["start"])
    return {"call_id": row["call_id"], "agent_id": row["agent_id"], "started_at": row["started_at"], "utterances": utterances}


def render_population(population: Population) -> List[Dict[str, object]]:
    """Every call of ``population`` as transcript JSON (in memory), as :func:`write_transcripts`
    writes them."""
    rng = np.random.default_rng(population.options.seed + 1)
    return [
        render_call(row, rng, FIRST_NAMES[int(row["agent_id"][-4:]) % len(FIRST_NAMES)])
        for row in population.calls.to_dict(orient="records")
    ]


def write_transcripts(population: Population, out_dir: Path) -> Dict[str, Path]:
    """Write ``transcripts/<call_id>.json``, ``metadata.csv`` and ``truth.json`` under ``out_dir``."""
    out_dir = Path(out_dir)
    folder = out_dir / "transcripts"
    folder.mkdir(parents=True, exist_ok=True)
    calls = population.calls
    for call in render_population(population):
        (folder / f"{call['call_id']}.json").write_text(json.dumps(call))
    meta = calls[["call_id", "agent_id", "started_at", "queue", "csat", "handle_seconds", "hold_seconds", "acw_seconds", "transferred"]]
    meta.to_csv(out_dir / "metadata.csv", index=False)
    truth = {
        "options": {k: v for k, v in population.options.__dict__.items()},
        "agents": population.agents.to_dict(orient="records"),
    }
    (out_dir / "truth.json").write_text(json.dumps(truth, indent=1, default=lambda v: v.item() if hasattr(v, "item") else str(v)))
    return {"transcripts": folder, "metadata": out_dir / "metadata.csv", "truth": out_dir / "truth.json"}
