"""The HTML report: the team variability report, per-agent scorecards, per-call pages, CSV
exports. Self-contained (inline SVG charts, inline CSS/JS), works offline from disk."""
