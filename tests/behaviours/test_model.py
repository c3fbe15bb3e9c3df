"""The shipped behaviour heads on clear examples and near misses they were not trained on, and
retraining after editing the taxonomy."""

import shutil

import pytest

from analyzer.behaviours.model import tag_transcript, timeline_tags
from analyzer.config import DynamicsOptions, TextOptions
from analyzer.dynamics import call_dynamics
from analyzer.errors import ModelNotFoundError
from analyzer.records import Transcript, Utterance

# (behaviour, a clear example, a near miss) -- none of these sentences is in the taxonomy
CASES = [
    ("greeting", "Good morning, thank you for calling Acme Broadband, my name is Rachel.", "Can you read me the serial number on the box?"),
    ("empathy", "Oh I'm so sorry, that sounds incredibly stressful for you and your family.", "Sorry, can you say the postcode again?"),
    ("apology", "I'm really sorry about the mistake on your bill, that was our error.", "Sorry, I didn't quite hear that."),
    ("ownership", "Leave this with me, I'll personally make sure it's fixed by tomorrow.", "You'll have to ring the other team about that."),
    ("active_listening", "So just to check I've understood, the charge appeared after you cancelled?", "Can I just grab your postcode and the first line of the address?"),
    ("politeness", "Thank you so much for your patience, could you please confirm your address?", "Give me the address."),
    ("effective_questioning", "Could you tell me exactly what happens when you try to make a payment?", "Can I put you on hold?"),
    ("setting_expectations", "You'll receive the replacement within three working days and a tracking email tonight.", "Your parcel was delivered last Monday."),
    ("hold_etiquette", "Do you mind if I pop you on hold for a couple of minutes while I speak to a colleague?", "Hold the power button for ten seconds."),
    ("personalization", "Thanks for waiting, Mrs Thompson, I've got your account up now.", "Thanks for waiting, I've got the account up now."),
    ("checking_resolution", "Before I let you go, is there anything else on the account you want me to look at?", "Is there anything wrong with the screen?"),
    ("closing", "Thanks for calling, you have a lovely evening, goodbye.", "Hello, you're through to support."),
    ("blaming", "That's not my department, you'll need to sort that out with the courier yourself.", "That's handled by billing, I'll transfer you and stay on the line."),
    ("dismissive", "Look, I've already explained this to you twice, just read the email.", "Let me explain that again a different way."),
]


@pytest.fixture(scope="module")
def behaviours(real_bundle):
    return real_bundle


#: near misses the shipped model tags (README and model card: limitations); strict xfail
KNOWN_MISSES = {"checking_resolution": "a diagnostic 'is there anything wrong...' question reads as checking resolution"}


@pytest.mark.parametrize("behaviour, clear, near_miss",
                         [pytest.param(*c, marks=pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[c[0]])) if c[0] in KNOWN_MISSES else c for c in CASES],
                         ids=[c[0] for c in CASES])
def test_fires_on_clear_example_not_on_near_miss(behaviours, behaviour, clear, near_miss):
    j = behaviours.behaviour_ids.index(behaviour)
    probs, present = behaviours.behaviours_present([clear, near_miss], ["agent", "agent"])
    assert present[0, j], f"{behaviour} missed: p={probs[0, j]:.2f} < {behaviours.behaviours.thresholds_[j]:.2f}"
    assert not present[1, j], f"{behaviour} fired on near miss: p={probs[1, j]:.2f}"
    assert probs[0, j] > probs[1, j]


def test_agent_behaviours_not_tagged_on_customer(behaviours):
    _, present = behaviours.behaviours_present(["Thank you so much, I really appreciate it."], ["customer"])
    assert not present.any()


def test_tags_and_timeline_tags(behaviours):
    transcript = Transcript(
        (
            Utterance("agent", 0, 4, "Thank you for calling Brightline, this is Sam, how can I help?"),
            Utterance("customer", 5, 12, "My internet has been down for three days and nobody has called me back."),
            Utterance("agent", 10, 15, "Right well that's not my department, you need to call the engineers."),
            Utterance("agent", 25, 28, "Is there anything else I can help with?"),
        ),
        30,
    )
    utts = transcript.utterances
    probs, present = behaviours.behaviours_present([u.text for u in utts], [u.speaker for u in utts])
    tags = tag_transcript(transcript, behaviours.taxonomy, probs, present) + timeline_tags(call_dynamics(transcript, DynamicsOptions()))
    found = {(t.behaviour_id, t.utterance_index) for t in tags}
    assert ("greeting", 0) in found and ("blaming", 2) in found and ("checking_resolution", 3) in found
    assert ("interruption", 2) in found  # the agent talks over the customer at 10 s
    assert ("dead_air", None) in found  # 15-25 s of silence
    assert all(t.utterance_index != 1 for t in tags if t.source == "classifier")  # customer turn untagged


def test_editing_the_taxonomy_and_retraining_changes_predictions(tmp_path, real_bundle):
    from analyzer.behaviours.taxonomy import default_taxonomy_path
    from analyzer.textmodels.bundle import load_text_models
    from analyzer.behaviours.train import train_behaviours

    taxonomy = tmp_path / "taxonomy.yaml"
    shutil.copy(default_taxonomy_path(), taxonomy)
    with open(taxonomy, "a") as handle:
        handle.write("""
  - id: upsell
    name: Upselling
    definition: The agent offers an upgrade, add-on or better plan.
    party: agent
    polarity: positive
    examples:
      - Would you like to upgrade to our premium plan for just five pounds more a month?
      - I can add unlimited data to your contract today if you're interested.
      - For a little extra you could get the faster fibre package.
      - Have you thought about adding our insurance cover to the phone?
      - We have an offer on the family bundle at the moment, shall I add it?
      - You could save money by switching to the annual plan.
    near_misses:
      - Your current plan is the basic one.
      - The upgrade was applied last month.
      - I've cancelled the insurance as you asked.
""")
    sentence = "If you like, I can move you onto the premium package with faster speeds for a few pounds extra."
    assert "upsell" not in real_bundle.behaviour_ids
    out = tmp_path / "model"
    train_behaviours(taxonomy=taxonomy, out=out, use_shared_data=False, evaluate=False, log=lambda *_: None)
    edited = load_text_models(TextOptions(model=str(out)))
    j = edited.behaviour_ids.index("upsell")
    probs, present = edited.behaviours_present([sentence, "What is your account number?"], ["agent", "agent"])
    assert present[0, j] and not present[1, j]
    # the sentiment heads and the encoder come along unchanged
    text = ["I'm furious, this is the third time I've called."]
    assert abs(edited.sentiment_proba(text) - real_bundle.sentiment_proba(text)).max() < 1e-6
    # editing the taxonomy again without retraining is caught
    with open(out / "taxonomy.yaml", "a") as handle:
        handle.write("\n")
    with pytest.raises(ModelNotFoundError, match="changed since"):
        load_text_models(TextOptions(model=str(out)))
