"""Customer and agent sentiment: the classifier, per-utterance scores and per-call trajectories."""
