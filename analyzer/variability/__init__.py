"""Agent variability: per-call outcomes, honest per-agent estimates, quartile spreads, coaching."""
