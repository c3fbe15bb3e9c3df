"""Agent soft-skill behaviours: an editable taxonomy, transformer-based multi-label tagging, and
timeline behaviours (interruptions, dead air)."""
