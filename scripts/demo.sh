#!/usr/bin/env bash
# Install everything (scripts/setup.sh), generate realistic demo calls, run the pipeline end to
# end, and print where the results are.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
DEMO="${DEMO_DIR:-demo}"
rm -rf "$DEMO/results"
echo "demo: generating stereo 8 kHz calls with two voices, a hold and some overtalk in $DEMO/"
.venv/bin/python scripts/generate_demo_calls.py --out "$DEMO" --calls "${DEMO_CALLS:-6}" --seed 0
echo "demo: running the pipeline"
status=0
.venv/bin/analyzer run "$DEMO/audio" --metadata "$DEMO/metadata.csv" --out "$DEMO/results" || status=$?
.venv/bin/python - "$DEMO/results" <<'PY'
import sys
import analyzer

results = analyzer.load_results(sys.argv[1])
calls = results.calls
print(f"\n{len(calls)} calls, {len(results.utterances)} utterances, {len(results.failures)} failure rows")
print("\nper call: customer sentiment index (0-100, 50 = neutral) start -> end, hold, dead air, agent behaviours:")
beh = results.behaviours
for c in calls.sort_values("call_id").itertuples():
    found = sorted(set(beh[beh.call_id == c.call_id].behaviour_id))
    print(f"  {c.call_id}  {c.agent_id}  {c.customer_index_start:5.1f} -> {c.customer_index_end:5.1f}"
          f"  hold {c.hold_s:4.0f}s  dead air {c.dead_air_s:3.0f}s  {', '.join(found)}")
first = calls.call_id.iloc[0]
print(f"\nfirst turns of {first}:")
for u in results.utterances.query("call_id == @first").head(8).itertuples():
    print(f"  {u.start_s:6.1f}s {u.speaker:>8} [{u.sentiment_label:>8}]: {u.text}")
PY
echo
echo "demo: results are in $DEMO/results/ (calls.parquet, utterances.parquet, failures.parquet, analyzer.log)"
exit $status
