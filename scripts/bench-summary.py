"""Summarises scripts/bench-vs-torch.sh output: per round, PyTorch's best
configuration against Kestrel, and the ratio the performance goals use.

    /usr/bin/python3 scripts/bench-summary.py results.jsonl
"""
import json
import sys
from collections import defaultdict


def config(o):
    """Names a PyTorch configuration the way torch_bench.py's flags do."""
    parts = []
    if o.get("channels_last"):
        parts.append("channels_last")
    if o.get("jit"):
        parts.append("jit")
    if o.get("jit_opt"):
        parts.append("script+freeze+optimize")
    return " + ".join(parts) or "NCHW eager"


def main(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    rounds = defaultdict(lambda: defaultdict(list))
    for o in rows:
        rounds[o["round"]][o["test"], o["who"]].append(o)

    for r in sorted(rounds):
        t = rounds[r]
        print(f"round {r}")
        for test in ("train", "infer"):
            best = max(t[test, "torch"], key=lambda o: o["median"])
            k = t[test, "kestrel"][0]
            others = ", ".join(f"{config(o)} {o['median']:.0f}" for o in t[test, "torch"])
            print(f"  {test}: kestrel {k['images_per_sec']:.0f} images/s, torch best "
                  f"{best['median']:.0f} ({config(best)}); ratio "
                  f"{k['images_per_sec'] / best['median']:.2f}x   [torch: {others}]")
            if test == "train":
                print(f"  train peak memory: kestrel {k['peak_rss_bytes'] / 2**20:.0f} MiB, "
                      f"torch {best['maxrss_mib']:.0f} MiB; ratio "
                      f"{k['peak_rss_bytes'] / 2**20 / best['maxrss_mib']:.2f}x")
        lt = t["latency", "torch"][0]
        k1, k2 = t["latency", "kestrel"][0], t["latency2", "kestrel"][0]
        print(f"  latency: kestrel {k1['step_us']:.0f} us (1 thread), {k2['step_us']:.0f} us "
              f"(2 threads); torch {lt['latency_us_median']:.0f} us; ratio "
              f"{k1['step_us'] / lt['latency_us_median']:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1])
