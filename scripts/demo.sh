#!/usr/bin/env bash
# Install everything (scripts/setup.sh), then run the pipeline end to end on a demo contact
# center: a first nightly batch of simulated transcripts for dozens of agents, a second of
# generated stereo 8 kHz call recordings; then print where the results and the report are.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
DEMO="${DEMO_DIR:-demo}"
rm -rf "$DEMO"
AGENTS="${DEMO_AGENTS:-30}"
CALLS="${DEMO_SIM_CALLS:-1500}"

echo "demo: simulating $CALLS transcribed calls for $AGENTS agents (known true agent effects) in $DEMO/simulated/"
.venv/bin/analyzer simulate "$DEMO/simulated" --agents "$AGENTS" --calls "$CALLS" --seed 0
echo "demo: night 1 - the simulated transcripts"
.venv/bin/analyzer run "$DEMO/simulated/transcripts" --metadata "$DEMO/simulated/metadata.csv" --out "$DEMO/results" --no-report

echo "demo: generating stereo 8 kHz recordings (two voices, telephone band, a hold, some overtalk) in $DEMO/recorded/"
.venv/bin/python scripts/generate_demo_calls.py --out "$DEMO/recorded" --calls "${DEMO_CALLS:-6}" --seed 0
echo "demo: night 2 - the recordings (transcribed with faster-whisper)"
status=0
.venv/bin/analyzer run "$DEMO/recorded/audio" --metadata "$DEMO/recorded/metadata.csv" --out "$DEMO/results" || status=$?

.venv/bin/python - "$DEMO/results" <<'PY'
import sys
import analyzer

results = analyzer.load_results(sys.argv[1])
calls = results.calls
print(f"\n{len(calls)} calls from {calls.agent_id.nunique()} agents in {results.batches.batch_id.nunique()} batches; "
      f"{len(results.utterances)} utterances, {len(results.behaviours)} behaviour tags, {len(results.failures)} failure rows")
recorded = calls[calls.source_kind == "audio"].sort_values("call_id")
print("\nrecorded calls: customer sentiment index (0-100) start -> end, hold, dead air, agent behaviours")
beh = results.behaviours
for c in recorded.itertuples():
    found = sorted(set(beh[beh.call_id == c.call_id].behaviour_id))
    print(f"  {c.call_id}  {c.agent_id}  {c.customer_index_start:5.1f} -> {c.customer_index_end:5.1f}"
          f"  hold {c.hold_s:4.0f}s  dead air {c.dead_air_s:3.0f}s  {', '.join(found)}")
first = recorded.call_id.iloc[0]
print(f"\nfirst turns of {first}:")
for u in results.utterances.query("call_id == @first").head(6).itertuples():
    print(f"  {u.start_s:6.1f}s {u.speaker:>8} [{u.sentiment_label:>8}]: {u.text}")
h = results.variability()
s = h["quartile_spreads"]
print(f"\nteam ({h['n_ranked_agents']} ranked agents): top quartile vs average - customer sentiment "
      f"{s['sentiment_end']['observed']['top_vs_average_pct']['value']:+.1f}%, AHT {s['aht_s']['observed']['top_vs_average_pct']['value']:+.1f}%; "
      f"bottom quartile to average - team AHT {h['opportunity']['aht_team_change_pct']['value']:+.1f}%")
PY
echo
echo "demo: the simulated team, measured vs the simulator's truth (scripts/check_demo_truth.py)"
.venv/bin/python scripts/check_demo_truth.py "$DEMO/results" "$DEMO/simulated/truth.json"
echo
echo "demo: results are in $DEMO/results/ (calls/, utterances/, behaviours/ datasets; agents, coaching .parquet; variability.json; analyzer.log)"
echo "demo: report: $(cd "$DEMO/results/report" && pwd)/index.html"
exit $status
