#!/usr/bin/env bash
# Times Kestrel and PyTorch side by side on SimpleCNN, alternating the two so
# that both see the same machine: training at batch 128, inference at batch
# 256, and batch-1 latency on one thread, for several rounds. PyTorch runs in
# the tuned environment of the anchors README, in each of its configurations,
# so that its best one in the same window is known.
#
#   scripts/bench-vs-torch.sh [ROUNDS] > results.jsonl
#
# Each line is one JSON object: Kestrel's with "who": "kestrel", PyTorch's
# with "who": "torch", both with "round" and "test" added. It needs Debian's
# PyTorch (apt-get install python3-torch) and ../shared/anchors.
set -euo pipefail
rounds=${1:-3}
cd "$(dirname "$0")/.."
anchors=${ANCHORS:-../shared/anchors}
kestrel=$(mktemp -d)/kestrel
go build -o "$kestrel" ./cmd/kestrel

torch() {
	env OMP_PROC_BIND=close OMP_PLACES=cores MALLOC_MMAP_THRESHOLD_=33554432 \
		MALLOC_TRIM_THRESHOLD_=17179869184 MALLOC_TOP_PAD_=536870912 \
		/usr/bin/python3 "$anchors/torch_bench.py" "$@" | tail -n 1
}

# tag ROUND TEST WHO adds the three fields to the JSON object on stdin.
tag() {
	/usr/bin/python3 -c '
import json, sys
o = json.loads(sys.stdin.read())
o.update(round=int(sys.argv[1]), test=sys.argv[2], who=sys.argv[3])
print(json.dumps(o))' "$@"
}

for r in $(seq 1 "$rounds"); do
	torch --mode train --threads 2 --bs 128 | tag "$r" train torch
	torch --mode train --threads 2 --bs 128 --channels-last | tag "$r" train torch
	torch --mode train --threads 2 --bs 128 --channels-last --jit | tag "$r" train torch
	"$kestrel" bench --mode train --json | tag "$r" train kestrel

	torch --mode infer --threads 2 --bs 256 --channels-last | tag "$r" infer torch
	torch --mode infer --threads 2 --bs 256 --jit-opt | tag "$r" infer torch
	"$kestrel" bench --mode infer --json | tag "$r" infer kestrel

	torch --mode infer --threads 1 --bs 1 --jit-opt | tag "$r" latency torch
	"$kestrel" bench --mode infer --batch-size 1 --threads 1 --json | tag "$r" latency kestrel
	"$kestrel" bench --mode infer --batch-size 1 --threads 2 --json | tag "$r" latency2 kestrel
done
