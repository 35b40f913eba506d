"""Reference optimizer runs in torch.optim for optim/torch_parity_test.go.

Usage: torch_optim.py INPUTS OUT

INPUTS is a safetensors file holding the starting parameters p.<i> (F32) and
the gradient of parameter i at step s, g.<s>.<i>. Its metadata holds
"configs", a JSON list of {"name", "kind" ("adam" or "sgd"), "steps", "lr",
"betas", "eps", "momentum", "dampening", "nesterov", "weight_decay"}, and
"steplr", a JSON object {"lr", "step_size", "gamma", "epochs"}.

For each config the script copies the parameters, runs the optimizer for the
given steps with the supplied gradients, and writes <name>.p.<i> to OUT. It
also steps torch.optim.lr_scheduler.StepLR once per epoch and writes the
learning rate in effect in each epoch, 0 through epochs, as the JSON list
"steplr" of OUT's metadata (Python floats round-trip exactly through JSON).

Exit status 77 means torch or numpy cannot be imported.
"""

import json
import struct
import sys

try:
    import numpy as np
    import torch
except ImportError as err:
    print(f"cannot import torch/numpy: {err}", file=sys.stderr)
    sys.exit(77)

DTYPES = {"F32": "<f4", "I64": "<i8"}


def read_safetensors(path):
    """Returns {name: tensor} in file (byte offset) order, and the metadata."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    meta = header.pop("__metadata__", {})
    body = raw[8 + n :]
    out = {}
    for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        lo, hi = e["data_offsets"]
        a = np.frombuffer(body[lo:hi], dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
        out[name] = torch.from_numpy(a.copy())
    return out, meta


def write_safetensors(path, tensors, meta):
    """Writes {name: tensor} as F32 with string metadata."""
    header, chunks, offset = {"__metadata__": meta}, [], 0
    for name, t in tensors.items():
        data = t.detach().cpu().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    js = json.dumps(header).encode()
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)) + js + b"".join(chunks))


def make_optimizer(cfg, params):
    if cfg["kind"] == "adam":
        return torch.optim.Adam(params, lr=cfg["lr"], betas=tuple(cfg["betas"]),
                                eps=cfg["eps"], weight_decay=cfg["weight_decay"])
    if cfg["kind"] == "sgd":
        return torch.optim.SGD(params, lr=cfg["lr"], momentum=cfg["momentum"],
                               dampening=cfg["dampening"], nesterov=cfg["nesterov"],
                               weight_decay=cfg["weight_decay"])
    sys.exit(f"config {cfg['name']}: unknown kind {cfg['kind']!r}")


def main():
    inputs_path, out_path = sys.argv[1:]
    tensors, meta = read_safetensors(inputs_path)
    starts = [t for name, t in tensors.items() if name.startswith("p.")]

    out = {}
    for cfg in json.loads(meta["configs"]):
        params = [torch.nn.Parameter(p.clone()) for p in starts]
        opt = make_optimizer(cfg, params)
        for s in range(cfg["steps"]):
            for i, p in enumerate(params):
                p.grad = tensors[f"g.{s}.{i}"].clone()
            opt.step()
        for i, p in enumerate(params):
            out[f"{cfg['name']}.p.{i}"] = p

    sched_cfg = json.loads(meta["steplr"])
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=sched_cfg["lr"])
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=sched_cfg["step_size"],
                                            gamma=sched_cfg["gamma"])
    lrs = []
    for _ in range(sched_cfg["epochs"]):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    lrs.append(opt.param_groups[0]["lr"])

    write_safetensors(out_path, out, {"steplr": json.dumps(lrs)})


if __name__ == "__main__":
    main()
