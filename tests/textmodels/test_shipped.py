"""The shipped text models on realistic contact-center lines they were never trained on: angry,
sarcastic, polite-but-unhappy and grateful customers; empathetic, apologetic, instructive,
blaming and dismissive agents. Each line has its expected label; the independently written
hold-out set (tests/data/service_lines_holdout.tsv) is checked in aggregate."""

import numpy as np
import pytest

from analyzer.textmodels.data import holdout_lines

# (text, expected customer sentiment)
CUSTOMER_LINES = [
    # the lines the previous model got wrong, as reported
    ("Nobody could tell me when my order is coming, they just said wait for an email :(", "negative"),
    ("Third time I'm calling about this and it's still not fixed.", "negative"),
    ("I was charged twice and I want my money back today.", "negative"),
    ("Great, another hour on hold. Fantastic service.", "negative"),
    # angry, sarcastic, polite-but-unhappy, worried, threatening
    ("This is an absolute joke, the internet's been off for a week and you're still billing me.", "negative"),
    ("Oh wonderful, next day delivery took nine days, brilliant work as always.", "negative"),
    ("I do appreciate you trying, but honestly I'm very disappointed with how this has been handled.", "negative"),
    ("I'm really worried, that money was meant for the mortgage and now it's just gone.", "negative"),
    ("I've explained all of this to four different people and nothing ever changes.", "negative"),
    ("If it isn't sorted by Friday I'm cancelling and taking it to the ombudsman.", "negative"),
    ("Why am I paying for a service that doesn't work half the time?", "negative"),
    # grateful
    ("That's brilliant, thank you so much for sorting it, you've been a star.", "positive"),
    ("Oh what a relief, thank you, I was dreading this call.", "positive"),
    ("You've been so patient with me, I really appreciate it.", "positive"),
    ("Perfect, the refund's already showing, thanks a lot!", "positive"),
    # neutral information and requests
    ("My account number is four seven two nine one.", "neutral"),
    ("I'm calling to update the address on my account.", "neutral"),
    ("Yes, that's the right postcode.", "neutral"),
    ("Can you tell me when the next bill is due?", "neutral"),
    ("It's the one ending in three three eight.", "neutral"),
]

# (text, tones allowed for the agent, behaviours that must be tagged, behaviours that must not)
AGENT_LINES = [
    ("I am sorry to hear that. I understand how frustrating that is.", {"neutral", "positive"}, {"empathy"}, {"blaming", "dismissive"}),
    ("I'm so sorry you've had to deal with this, I can understand how frustrating it is.", {"neutral", "positive"}, {"empathy"}, {"blaming", "dismissive"}),
    ("Leave it with me, I'll sort this out for you personally.", {"neutral", "positive"}, {"ownership"}, {"blaming", "dismissive"}),
    ("Make sure you have access to a Wi-Fi connection.", {"neutral", "positive"}, set(), {"blaming", "dismissive"}),
    ("Don't worry, I understand.", {"neutral", "positive"}, set(), {"blaming", "dismissive"}),
    ("I apologise for the delay, that really shouldn't have happened.", {"neutral", "positive"}, {"apology"}, {"blaming", "dismissive"}),
    ("Could you restart the router and tell me what the lights are doing?", {"neutral", "positive"}, set(), {"blaming", "dismissive"}),
    ("Refunds are handled by our payments team, I'll put you straight through and stay on the line.", {"neutral", "positive"}, set(), {"blaming", "dismissive"}),
    ("Honestly that's the courier's problem, not ours, you'll have to chase them yourself.", {"negative"}, {"blaming"}, set()),
    ("You should have checked the small print before you signed up.", {"negative"}, {"blaming"}, set()),
    ("Look, I've told you three times already, there's nothing more to discuss.", {"negative"}, {"dismissive"}, set()),
    ("Calm down, it's only a couple of pounds.", {"negative"}, {"dismissive"}, set()),
    ("I know that took a while, so thank you for bearing with me, it's genuinely appreciated.", {"positive"}, {"politeness"}, {"blaming", "dismissive"}),
    ("Is there anything else I can help you with today?", {"neutral", "positive"}, {"checking_resolution"}, {"blaming", "dismissive"}),
]


#: lines the shipped model gets wrong, listed in the README's and the model card's limitations;
#: strict, so a model that gets them right makes these tests fail until the list is updated
KNOWN_MISSES = {
    "Oh wonderful, next day delivery took nine days, brilliant work as always.": "sarcasm without a negative word: read as positive",
    # reported in the issue; the previous bundle (an encoder from an earlier version's lines) read it negative, this run reads
    # it positive (0.60 against 0.36): sarcasm flips between retrains
    "Great, another hour on hold. Fantastic service.": "sarcasm without a negative word: read as positive",
}


def _cases(lines):
    return [pytest.param(*line, marks=pytest.mark.xfail(strict=True, reason=f"known miss: {KNOWN_MISSES[line[0]]}"))
            if line[0] in KNOWN_MISSES else line for line in lines]


@pytest.mark.parametrize("text, expected", _cases(CUSTOMER_LINES), ids=[t[:40] for t, _ in CUSTOMER_LINES])
def test_customer_sentiment(real_bundle, text, expected):
    probs = real_bundle.sentiment_proba([text], ["customer"])[0]
    label = ("negative", "neutral", "positive")[int(np.argmax(probs))]
    assert label == expected, f"{label} {np.round(probs, 2)}"


@pytest.mark.parametrize("text, tones, must, must_not", AGENT_LINES, ids=[t[0][:40] for t in AGENT_LINES])
def test_agent_tone_and_behaviours(real_bundle, text, tones, must, must_not):
    probs = real_bundle.sentiment_proba([text], ["agent"])[0]
    tone = ("negative", "neutral", "positive")[int(np.argmax(probs))]
    assert tone in tones, f"tone {tone} {np.round(probs, 2)}"
    _, present = real_bundle.behaviours_present([text], ["agent"])
    found = {b for b, on in zip(real_bundle.behaviour_ids, present[0]) if on}
    assert must <= found and not (must_not & found), found


def test_empathy_reads_warmer_than_an_angry_customer(real_bundle):
    line = "I'm so sorry to hear that, I understand how frustrating that must be."
    agent = real_bundle.sentiment_proba([line], ["agent"])[0]
    angry = real_bundle.sentiment_proba(["This is ridiculous, nobody ever helps me."], ["customer"])[0]
    assert agent[2] - agent[0] > angry[2] - angry[0] + 0.5


@pytest.fixture(scope="module")
def holdout():
    return holdout_lines()


def test_holdout_customers(real_bundle, holdout):
    """Independently written customer lines (speech-recognition, chat and ordinary transcript
    styles): most angry customers are found, and the classes are not confused wholesale."""
    from sklearn.metrics import f1_score, recall_score

    rows = holdout[holdout.speaker == "customer"]
    predicted = np.array(["negative", "neutral", "positive"])[real_bundle.sentiment_proba(list(rows.text), list(rows.speaker)).argmax(axis=1)]
    recall = recall_score(rows.label, predicted, labels=["negative", "neutral", "positive"], average=None)
    assert recall[0] >= 0.80, recall
    assert f1_score(rows.label, predicted, average="macro") >= 0.70


@pytest.mark.parametrize("form", ["written", "transcript_style"])
def test_holdout_agents_are_not_accused(real_bundle, holdout, form):
    """On the independent agent lines: an accusation lands on a line that shows a negative
    behaviour (at least 90% of blaming or dismissive tags; a deflecting line tagged dismissive
    as well as blaming is the wrong word, not a false accusation), each tag's own precision is at
    least 0.80, empathy and apology lines are never tagged blaming or dismissive nor read as
    negative tone, and positive tags are mostly right. The same holds for the lines as
    transcripts from another system may give them (lowercase, no punctuation, a filler first):
    losing the punctuation must cost recall, never an accusation."""
    from analyzer.textmodels.data import transcript_style

    rows = holdout[holdout.speaker == "agent"].reset_index(drop=True)
    if form == "transcript_style":
        rows = rows.assign(text=[transcript_style(t) for t in rows.text])
    _, present = real_bundle.behaviours_present(list(rows.text), ["agent"] * len(rows))
    ids = real_bundle.behaviour_ids
    caring = np.array([bool({"empathy", "apology"} & set(b)) for b in rows.behaviours])
    shows_negative = np.array([bool({"blaming", "dismissive"} & set(b)) for b in rows.behaviours])
    for negative in ("blaming", "dismissive"):
        j = ids.index(negative)
        truth = np.array([negative in b for b in rows.behaviours])
        tagged = max(present[:, j].sum(), 1)
        assert not (present[caring, j]).any(), list(rows.text[caring & present[:, j]])
        assert (shows_negative & present[:, j]).sum() / tagged >= 0.90, list(rows.text[~shows_negative & present[:, j]])
        assert (truth & present[:, j]).sum() / tagged >= 0.80
        assert (truth & present[:, j]).sum() / truth.sum() >= 0.5
    tones = np.array(["negative", "neutral", "positive"])[real_bundle.sentiment_proba(list(rows.text), ["agent"] * len(rows)).argmax(axis=1)]
    assert (tones[caring] == "negative").mean() <= 0.02
    hits = sum((np.array([b in found for found in rows.behaviours]) & present[:, j]).sum() for j, b in enumerate(ids))
    assert hits / present.sum() >= 0.80  # pooled precision of every tag


def test_the_readme_shows_the_transcript_style_table_of_the_shipped_model(real_bundle):
    from pathlib import Path

    from analyzer.textmodels.evaluate import transcript_style_agreement, transcript_style_table

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert transcript_style_table(transcript_style_agreement(real_bundle)) in readme


def test_the_readme_and_the_model_card_show_the_shipped_models_numbers():
    """The tables in the README and the model card are the ones measured for (and stored with)
    the shipped bundle, so the README cannot drift from the weights."""
    import json
    from pathlib import Path

    from analyzer.model_files import shipped_model
    from analyzer.textmodels.evaluate import behaviour_table, sentiment_table, simulator_table
    from analyzer.textmodels.model_card import LODO_FILE, lodo_table

    bundle = shipped_model("text")
    config = json.loads((bundle / "config.json").read_text())
    evaluation = config["evaluation"]
    tables = [sentiment_table(evaluation["sentiment"]), behaviour_table(evaluation["behaviours"]), simulator_table(evaluation["simulator"])]
    assert (bundle / LODO_FILE).exists(), "the leave-one-dataset-out table (scripts/evaluate_sentiment_lodo.py) is missing"
    tables.append(lodo_table(json.loads((bundle / LODO_FILE).read_text())))
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    card = (bundle / "MODEL_CARD.md").read_text()
    for table in tables:
        assert table in readme and table in card, table.splitlines()[0]
