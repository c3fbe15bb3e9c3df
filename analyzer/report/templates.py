"""Jinja2 templates of the report pages. Autoescaping is on: transcripts and metadata are
untrusted input, and only the SVG charts this package generates are inserted unescaped."""

from __future__ import annotations

CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --accent:#2f6fb0; --good:#1b9e77; --bad:#d7301f; }
* { box-sizing: border-box; }
body { font: 15px/1.5 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--ink); margin: 0; background: #fafbfc; }
header { background: #fff; border-bottom: 1px solid var(--line); padding: 14px 28px; }
header a { color: var(--accent); text-decoration: none; }
main { max-width: 1180px; margin: 0 auto; padding: 18px 28px 60px; }
h1 { font-size: 24px; margin: 4px 0; } h2 { font-size: 19px; margin: 30px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 18px 0 6px; }
.muted { color: var(--muted); } .small { font-size: 13px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.card .big { font-size: 22px; font-weight: 600; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 16px; align-items: start; }
.chart-box { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
.chart-box svg { width: 100%; height: auto; }
.chart-box.wide { grid-column: 1 / -1; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 13.5px; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; font-weight: 600; }
table.sortable th { cursor: pointer; user-select: none; } table.sortable th::after { content: " \\2195"; color: #aaa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.q1 { color: var(--good); font-weight: 600; } .q4 { color: var(--bad); font-weight: 600; }
.badge { display: inline-block; font-size: 11px; padding: 1px 7px; border-radius: 10px; margin: 0 3px 2px 0; background: #e8f1fb; color: #1d4f82; }
.badge.negative { background: #fdecec; color: #9b1c1c; } .badge.sent-negative { background: #fdecec; color: #9b1c1c; }
.badge.sent-positive { background: #e6f6ef; color: #11694a; } .badge.sent-neutral { background: #f1f2f4; color: #52606d; }
.turn { display: grid; grid-template-columns: 64px 90px 1fr; gap: 8px; padding: 6px 4px; border-bottom: 1px solid var(--line); }
.turn.agent .who { color: #2f6fb0; font-weight: 600; } .turn.customer .who { color: #b35c00; font-weight: 600; }
.turn:target { background: #fff7d6; }
.text { white-space: pre-wrap; word-break: break-word; }
.sentence { font-size: 15.5px; margin: 6px 0; }
.note { background: #fff; border-left: 4px solid var(--accent); padding: 8px 12px; margin: 10px 0; }
blockquote { margin: 4px 0 4px 10px; padding-left: 10px; border-left: 3px solid var(--line); }
@media print { header { display: none; } .chart-box, .card { break-inside: avoid; } }
"""

SORT_JS = """
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, index) {
    th.addEventListener('click', function () {
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var asc = th.getAttribute('data-dir') !== 'asc';
      rows.sort(function (a, b) {
        var x = a.cells[index].getAttribute('data-sort') || a.cells[index].textContent;
        var y = b.cells[index].getAttribute('data-sort') || b.cells[index].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var cmp = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return asc ? cmp : -cmp;
      });
      rows.forEach(function (row) { body.appendChild(row); });
      table.querySelectorAll('th').forEach(function (other) { other.removeAttribute('data-dir'); });
      th.setAttribute('data-dir', asc ? 'asc' : 'desc');
    });
  });
});
"""

BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title><style>{{ css | safe }}</style></head>
<body><header><a href="{{ root }}index.html">Team report</a> &middot; <span class="muted">{{ subtitle }}</span></header>
<main>{% block main %}{% endblock %}</main>
<script>{{ js | safe }}</script></body></html>"""

INDEX = """{% extends "base" %}{% block main %}
<h1>Agent variability report</h1>
<p class="muted">{{ summary.n_calls }} calls, {{ summary.n_agents }} agents ({{ summary.n_ranked }} with at least {{ summary.min_calls }} calls are ranked),
{{ summary.n_batches }} batch{{ '' if summary.n_batches == 1 else 'es' }}{% if summary.period %}, {{ summary.period }}{% endif %}. Intervals are {{ summary.confidence }}.
{% if summary.window %}<span id="window">The agent comparison covers {{ summary.window }}.</span>{% endif %}
Exports: <a href="agents.csv">agents.csv</a>, <a href="coaching.csv">coaching.csv</a>.</p>
{% if summary.stale %}<p class="note" id="stale">{{ summary.stale }}</p>{% endif %}
{% if summary.not_ranked %}<p class="note" id="not-ranked">{{ summary.not_ranked }}</p>{% endif %}
{% if team_rows %}<h2>The team so far</h2>
<table id="team"><thead><tr><th>outcome</th><th class="num">team average</th><th class="num">{{ summary.confidence }} interval</th><th class="num">calls / surveys</th><th class="num">share of variation between agents (ICC)</th></tr></thead><tbody>
{% for row in team_rows %}<tr><td>{{ row.name }}</td><td class="num">{{ row.mean }}</td><td class="num">{{ row.interval }}</td><td class="num">{{ row.n }} {{ row.unit }}</td><td class="num">{{ row.icc }}</td></tr>{% endfor %}
</tbody></table>
{% for row in team_rows %}{% if row.withheld %}<p class="small muted">{{ row.name }}: the agent comparison is withheld: {{ row.withheld }}.</p>{% endif %}{% endfor %}{% endif %}
{% if not headline %}<p class="note">No agent comparison yet: {{ no_headline_reason }}</p>{% else %}
<div class="cards">{% for card in cards %}<div class="card"><div class="muted small">{{ card.label }}</div><div class="big">{{ card.value }}</div><div class="small">{{ card.detail }}</div></div>{% endfor %}</div>

<h2>1. How much do agents really differ?</h2>
{% for s in spread_sentences %}<p class="sentence">{{ s }}</p>{% endfor %}
{% if spread_rows %}<table><thead><tr><th>outcome</th><th class="num">team</th><th class="num">top quartile</th><th class="num">bottom quartile</th><th class="num">top vs average</th><th class="num">top vs bottom</th><th class="num">noise-corrected top vs bottom</th><th class="num">a naive dashboard would show</th><th class="num">share of variation between agents (ICC)</th></tr></thead><tbody>
{% for row in spread_rows %}<tr><td>{{ row.name }}</td><td class="num">{{ row.team }}</td><td class="num">{{ row.top }}</td><td class="num">{{ row.bottom }}</td><td class="num">{{ row.top_vs_average }}</td><td class="num">{{ row.top_vs_bottom }}</td><td class="num">{{ row.corrected }}</td><td class="num">{{ row.naive }}</td><td class="num">{{ row.icc }}</td></tr>{% endfor %}
</tbody></table>{% endif %}
<p class="small muted">Observed: the outcomes of each quartile's calls (bootstrap intervals, resampling calls within agents). Noise-corrected: agents' case-mix-adjusted means shrunk toward the team for small samples (empirical Bayes), which removes the part of the spread that is luck. Naive: ranking agents on their own raw averages, which always looks large, even in a team where nobody truly differs.</p>

<h2>2. What lifting the bottom quartile to the team average is worth</h2>
{% for s in opportunity_sentences %}<p class="sentence">{{ s }}</p>{% endfor %}

<h2>3. Which behaviours move customers</h2>
{% for s in behaviour_sentences %}<p class="sentence">{{ s }}</p>{% endfor %}
<table class="sortable"><thead><tr><th>behaviour</th><th>kind</th><th class="num">effect on end-of-call sentiment (points)</th><th class="num">effect on CSAT</th><th class="num">calls with it</th></tr></thead><tbody>
{% for row in behaviour_rows %}<tr><td>{{ row.name }}</td><td>{{ row.polarity }}</td><td class="num" data-sort="{{ row.sort }}">{{ row.sentiment }}</td><td class="num">{{ row.csat }}</td><td class="num">{{ row.n_with }}</td></tr>{% endfor %}
</tbody></table>
<p class="small muted">Adjusted for queue, topic, time of day, the customer's starting sentiment and the other behaviours; intervals account for calls of the same agent being alike.</p>

<h2>4. Does customer sentiment predict satisfaction?</h2>
{% for s in csat_sentences %}<p class="sentence">{{ s }}</p>{% endfor %}
{% if calibration %}<table><thead><tr><th>end-of-call sentiment index</th><th class="num">surveyed calls</th><th class="num">mean CSAT</th><th class="num">% satisfied (4-5)</th></tr></thead><tbody>
{% for b in calibration %}<tr><td>{{ b.band }}</td><td class="num">{{ b.n }}</td><td class="num">{{ b.mean_csat }}</td><td class="num">{{ b.pct_satisfied }}%</td></tr>{% endfor %}</tbody></table>{% endif %}

<h2>5. Where agent time goes</h2>
{% for s in time_sentences %}<p class="sentence">{{ s }}</p>{% endfor %}

<h2>Charts</h2>
<div class="grid2">{% for chart in charts %}<div class="chart-box{% if 'class="chart trend"' in chart %} wide{% endif %}" id="chart-{{ loop.index }}">{{ chart | safe }}</div>{% endfor %}</div>
{% endif %}

<h2>Agents</h2>
<p class="small muted">Click a column to sort. Estimates are case-mix adjusted and shrunk toward the team; brackets are {{ summary.confidence }} intervals. Marked "raw": the agent's own average with its interval, where the team has too little data yet to estimate how much agents differ (see "The team so far"). Agents with fewer than {{ summary.min_calls }} calls are shown but not ranked.</p>
<table class="sortable" id="agents"><thead><tr><th>agent</th><th class="num">quartile</th><th class="num">rank</th><th class="num">calls</th><th class="num">AHT (s)</th><th class="num">CSAT</th><th class="num">surveys</th><th class="num">% satisfied</th><th class="num">end-of-call sentiment</th></tr></thead><tbody>
{% for a in agents %}<tr><td data-sort="{{ a.agent_id }}"><a class="agent-link" href="agents/{{ a.file }}">{{ a.agent_id }}</a></td><td class="num {{ a.qclass }}" data-sort="{{ a.qsort }}">{{ a.quartile }}</td><td class="num" data-sort="{{ a.rsort }}">{{ a.rank }}</td><td class="num">{{ a.n_calls }}</td><td class="num" data-sort="{{ a.aht_sort }}">{{ a.aht }}</td><td class="num" data-sort="{{ a.csat_sort }}">{{ a.csat }}</td><td class="num">{{ a.surveys }}</td><td class="num">{{ a.satisfied }}</td><td class="num" data-sort="{{ a.sent_sort }}">{{ a.sentiment }}</td></tr>{% endfor %}
</tbody></table>
{% endblock %}"""

AGENT = """{% extends "base" %}{% block main %}
<h1>Scorecard: {{ agent.agent_id }}</h1>
<p class="sentence">{{ position }}</p>
<table id="kpis"><thead><tr><th>KPI</th><th class="num">this agent (raw)</th><th class="num">raw interval</th><th class="num">adjusted estimate</th><th class="num">interval</th><th class="num">team</th><th class="num">top quartile</th><th class="num">calls / surveys</th></tr></thead><tbody>
{% for row in kpis %}<tr><td>{{ row.name }}</td><td class="num">{{ row.raw }}</td><td class="num">{{ row.raw_interval }}</td><td class="num">{{ row.shrunk }}</td><td class="num">{{ row.interval }}</td><td class="num">{{ row.team }}</td><td class="num">{{ row.top }}</td><td class="num">{{ row.n }}</td></tr>{% endfor %}
</tbody></table>
{% for note in kpi_notes %}<p class="small muted">{{ note }}</p>{% endfor %}
<p class="small muted">Adjusted: for queue, topic, time of day and the customer's starting sentiment, and shrunk toward the team in proportion to how few calls there are, so a handful of calls is not read as exact.</p>

<h2>Coaching opportunities</h2>
{% if not coaching %}<p class="muted">No behaviour where this agent is clearly behind the top quartile.</p>{% endif %}
{% for c in coaching %}<div class="card" style="margin-bottom:10px">
<h3>{{ loop.index }}. {{ c.name }} <span class="badge {{ c.polarity }}">{{ c.polarity }}</span></h3>
<p>{{ c.sentence }}</p>
{% if c.examples %}<div class="small"><b>{% if c.missed %}Missed moments in {{ agent.agent_id }}'s calls ({{ c.situation }}, and no {{ c.name | lower }} in the reply), each beside a top-quartile agent's reply to the same kind of moment:{% else %}Moments from {{ agent.agent_id }}'s calls:{% endif %}</b>{% for m in c.examples %}
<blockquote><a href="../calls/{{ m.file }}#u-{{ m.index }}">{{ m.call_id }} at {{ m.clock }}</a>: &ldquo;{{ m.text }}&rdquo;{% if m.context %}<br><span class="muted">after the customer said: &ldquo;{{ m.context }}&rdquo;</span>{% endif %}{% if m.top %}<br><b>Top quartile</b> ({{ m.top.agent_id }}, <a href="../calls/{{ m.top.file }}#u-{{ m.top.index }}">{{ m.top.call_id }} at {{ m.top.clock }}</a>): &ldquo;{{ m.top.text }}&rdquo;{% if m.top.context %}<br><span class="muted">after the customer said: &ldquo;{{ m.top.context }}&rdquo;</span>{% endif %}{% endif %}</blockquote>{% endfor %}</div>{% endif %}
{% if c.top_example %}<div class="small"><b>Done well by a top-quartile agent:</b><blockquote><a href="../calls/{{ c.top_example.file }}#u-{{ c.top_example.index }}">{{ c.top_example.call_id }} at {{ c.top_example.clock }}</a>: &ldquo;{{ c.top_example.text }}&rdquo;</blockquote></div>{% endif %}
</div>{% endfor %}

<h2>Charts</h2>
<div class="grid2">{% for chart in charts %}<div class="chart-box{% if 'class="chart trend"' in chart %} wide{% endif %}" id="chart-{{ loop.index }}">{{ chart | safe }}</div>{% endfor %}</div>

<h2>Calls</h2>
{% if calls_note %}<p class="small muted" id="calls-note">{{ calls_note }}</p>{% endif %}
<table class="sortable"><thead><tr><th>call</th><th>started</th><th>queue</th><th class="num">duration</th><th class="num">AHT (s)</th><th class="num">CSAT</th><th class="num">customer sentiment start &rarr; end</th></tr></thead><tbody>
{% for c in calls %}<tr><td><a href="../calls/{{ c.file }}">{{ c.call_id }}</a></td><td>{{ c.started_at }}</td><td>{{ c.queue }}</td><td class="num">{{ c.duration }}</td><td class="num">{{ c.aht }}</td><td class="num">{{ c.csat }}</td><td class="num">{{ c.sentiment }}</td></tr>{% endfor %}
</tbody></table>
{% endblock %}"""

CALL = """{% extends "base" %}{% block main %}
<h1>Call {{ call.call_id }}</h1>
<p class="muted">Agent <a href="../agents/{{ agent_file }}">{{ call.agent_id }}</a> &middot; {{ facts }}</p>
<div class="cards">{% for card in cards %}<div class="card"><div class="muted small">{{ card.label }}</div><div class="big">{{ card.value }}</div></div>{% endfor %}</div>
<h2>Timeline</h2><div class="chart-box">{{ timeline | safe }}</div>
<h2>Customer sentiment</h2><div class="chart-box">{{ sentiment | safe }}</div>
<h2>Transcript</h2>
<div id="transcript">{% for u in utterances %}<div class="turn {{ u.speaker }}" id="u-{{ u.index }}"><div class="muted">{{ u.clock }}</div><div class="who">{{ u.speaker }}</div>
<div><span class="text">{{ u.text }}</span><br>{% if u.label %}<span class="badge sent-{{ u.label }}">{{ u.label }}</span>{% endif %}{% for b in u.behaviours %}<span class="badge {{ b.polarity }}">{{ b.name }}</span>{% endfor %}</div></div>{% endfor %}</div>
{% endblock %}"""


def environment():
    from jinja2 import DictLoader, Environment, select_autoescape

    env = Environment(loader=DictLoader({"base": BASE, "index": INDEX, "agent": AGENT, "call": CALL}), autoescape=select_autoescape(default=True, default_for_string=True))
    env.globals.update(css=CSS, js=SORT_JS)
    return env
