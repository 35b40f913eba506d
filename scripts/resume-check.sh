#!/usr/bin/env bash
# Trains the same recipe twice, once straight through and once killed with
# kill -9 during an epoch after the first and then resumed, and checks that both
# end with identical weights, identical per-epoch metrics (timings aside) and
# identical test results.
#
#   scripts/resume-check.sh DATA_DIR OUT_DIR [extra train flags...]
set -euo pipefail
data=$1 out=$2
shift 2
mkdir -p "$out"
kestrel=$out/kestrel
go build -o "$kestrel" ./cmd/kestrel

"$kestrel" train --data "$data" --out "$out/whole" --quiet "$@"

# start the second run, wait until its first epoch is saved and the second one
# is under way, then kill it without warning
"$kestrel" train --data "$data" --out "$out/killed" --quiet "$@" &
pid=$!
until [ -f "$out/killed/state.safetensors" ]; do sleep 1; done
sleep 10
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
echo "killed after $(wc -l < "$out/killed/metrics.jsonl") completed epoch(s)"

"$kestrel" train --resume "$out/killed" --quiet

for f in best.safetensors last.safetensors; do
  cmp "$out/whole/$f" "$out/killed/$f"
done
/usr/bin/python3 - "$out/whole" "$out/killed" <<'PY'
import json, sys
timing = {"seconds", "train_seconds", "images_per_sec"}
def metrics(d):
    return [{k: v for k, v in json.loads(l).items() if k not in timing}
            for l in open(d + "/metrics.jsonl")]
a, b = metrics(sys.argv[1]), metrics(sys.argv[2])
assert a == b, "metrics differ"
sa, sb = (json.load(open(d + "/summary.json")) for d in sys.argv[1:3])
for k in ("test_accuracy", "test_loss", "best_epoch", "best_val_accuracy"):
    assert sa[k] == sb[k], k
print(f"identical: {len(a)} epochs, test accuracy {sa['test_accuracy']:.4f}")
PY
