import pytest

from analyzer.behaviours.taxonomy import load_taxonomy
from analyzer.errors import ConfigError


def test_default_taxonomy_covers_the_qa_form():
    t = load_taxonomy()
    expected = {"greeting", "empathy", "apology", "ownership", "active_listening", "politeness", "effective_questioning",
                "setting_expectations", "hold_etiquette", "personalization", "checking_resolution", "closing", "blaming", "dismissive"}
    assert set(t.ids) == expected
    assert {b.id for b in t.behaviours if b.polarity == "negative"} == {"blaming", "dismissive"}
    assert all(len(b.examples) >= 8 and b.near_misses and b.keywords for b in t.behaviours)
    # an accusation never shares a sentence with the caring behaviour it denies
    assert set(t.contradictions) == {("dismissive", "empathy"), ("blaming", "ownership")}


BASE = """behaviours:
  - id: upsell
    name: Upsell
    definition: Offers an upgrade.
    party: agent
    polarity: positive
    examples: [a, b, c]
"""


@pytest.mark.parametrize(
    "text, message",
    [
        (BASE.replace("id: upsell", "id: Up-Sell"), "lowercase"),
        (BASE.replace("party: agent", "party: robot"), "party must be"),
        (BASE.replace("examples: [a, b, c]", "examples: [a]"), "at least 3 examples"),
        (BASE.replace("examples: [a, b, c]", "examples: [a, b, c]\n    keywords: ['(unclosed']"), "not a valid regular expression"),
        (BASE + BASE.split("behaviours:\n")[1], "duplicate"),
        (BASE.replace("id: upsell", "id: dead_air"), "reserved"),
        (BASE.replace("examples: [a, b, c]", "examples: [a, b, c]\n    contradicted_by: [empathy]"), "not another behaviour"),
        (BASE.replace("examples: [a, b, c]", "examples: [a, b, c]\n    contradicted_by: [upsell]"), "not another behaviour"),
        ("behaviours: {}", "top-level 'behaviours' list"),
        ("behaviours: [", "not valid YAML"),
    ],
)
def test_bad_taxonomy_names_file_and_behaviour(tmp_path, text, message):
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_taxonomy(path)
    assert str(path) in str(info.value)
