"""Behaviour tags for a call: the classifier's tags on utterances (from the text models' scores)
and the timeline behaviours (interruptions by the agent, dead air) from the call's dynamics."""

from __future__ import annotations

from typing import List

import numpy as np

from ..records import AGENT, BehaviourTag, CallDynamics, Transcript
from .taxonomy import Taxonomy


def tag_transcript(transcript: Transcript, taxonomy: Taxonomy, probabilities: np.ndarray, present: np.ndarray) -> List[BehaviourTag]:
    """Behaviours found in a call's utterances: ``probabilities`` and ``present`` (n_utterances x
    n_behaviours) from :meth:`analyzer.textmodels.TextModels.behaviours_present`."""
    utts = transcript.utterances
    tags = [
        BehaviourTag(taxonomy.behaviours[j].id, int(i), round(float(probabilities[i, j]), 4), utts[i].start_s, "classifier")
        for i, j in zip(*np.nonzero(present))
    ]
    return sorted(tags, key=lambda t: (t.time_s, t.behaviour_id))


def timeline_tags(dynamics: CallDynamics) -> List[BehaviourTag]:
    """Negative behaviours found on the timeline: the agent interrupting, dead air."""
    tags = [BehaviourTag("interruption", i.utterance_index, 1.0, i.time_s, "dynamics") for i in dynamics.interruptions if i.interrupter == AGENT]
    tags += [BehaviourTag("dead_air", None, 1.0, span.start_s, "dynamics") for span in dynamics.dead_air]
    return tags
