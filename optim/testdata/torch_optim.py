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
import os
import sys

try:
    import numpy  # noqa: F401 (safetensors_io needs it)
    import torch
except ImportError as err:
    print(f"cannot import torch/numpy: {err}", file=sys.stderr)
    sys.exit(77)

# the shared safetensors module, found from this file's location so the script
# runs from any working directory; imported after torch so that a missing
# module is an error, not a skip
sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)),
                                "..", "..", "internal", "torchtest"))
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402


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
