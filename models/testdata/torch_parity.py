"""Reference results of SimpleCNN in PyTorch for models/torch_parity_test.go.

Usage: torch_parity.py STATE INPUTS OUT

STATE is a safetensors file written by Kestrel's checkpoint.Save. It must load
into the PyTorch SimpleCNN below with load_state_dict(strict=True), in the same
order and with the same dtypes and shapes as PyTorch's state_dict. INPUTS holds
x [N, 3, 32, 32] (F32) and labels [N] (I64).

The network runs in float64 after loading, so the results are a near-exact
reference for Kestrel's float32. Dropout has p = 0: masks drawn by two
different generators cannot match. Three passes run in order, each from
zeroed gradients, and OUT receives for each pass P:

  P.logits, P.loss, P.input_grad, P.grad.<parameter>, P.state.<buffer>

  train   training mode, cross-entropy (updates the running statistics)
  smooth  training mode, cross-entropy with label_smoothing=0.1 (updates again)
  eval    evaluation mode (running statistics), cross-entropy; also
          eval.smooth_loss with label_smoothing=0.1

Exit status 77 means torch or numpy cannot be imported.
"""

import os
import sys

try:
    import numpy  # noqa: F401 (safetensors_io needs it)
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as err:
    print(f"cannot import torch/numpy: {err}", file=sys.stderr)
    sys.exit(77)

# the shared safetensors module, found from this file's location so the script
# runs from any working directory; imported after torch so that a missing
# module is an error, not a skip
sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)),
                                "..", "..", "internal", "torchtest"))
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402


def block(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2)]


class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(*block(3, 32), *block(32, 64), *block(64, 128))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(128 * 4 * 4, 256), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(256, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def load_exactly(model, state):
    """Loads state after checking names, order, dtypes and shapes against state_dict."""
    want = model.state_dict()
    if list(state) != list(want):
        sys.exit(f"state names/order differ from PyTorch's state_dict:\n"
                 f"  file:    {list(state)}\n  pytorch: {list(want)}")
    for name, t in state.items():
        if t.dtype != want[name].dtype or t.shape != want[name].shape:
            sys.exit(f"{name} is {t.dtype}{list(t.shape)}, PyTorch has "
                     f"{want[name].dtype}{list(want[name].shape)}")
    model.load_state_dict(state, strict=True)


def main():
    state_path, inputs_path, out_path = sys.argv[1:]
    torch.manual_seed(0)
    torch.set_num_threads(2)
    model = SimpleCNN()
    state, _ = read_safetensors(state_path)
    load_exactly(model, state)
    model.double()  # floating state only; num_batches_tracked stays int64
    model.classifier[3].p = 0.0

    inputs, _ = read_safetensors(inputs_path)
    x = inputs["x"].double().requires_grad_(True)
    labels = inputs["labels"]

    out = {}
    for phase, training, smoothing in [("train", True, 0.0), ("smooth", True, 0.1),
                                       ("eval", False, 0.0)]:
        model.zero_grad(set_to_none=True)
        x.grad = None
        model.train(training)
        logits = model(x)
        loss = F.cross_entropy(logits, labels, label_smoothing=smoothing)
        loss.backward()
        out[f"{phase}.logits"] = logits
        out[f"{phase}.loss"] = loss
        out[f"{phase}.input_grad"] = x.grad
        for name, p in model.named_parameters():
            out[f"{phase}.grad.{name}"] = p.grad
        for name, b in model.named_buffers():
            out[f"{phase}.state.{name}"] = b.clone()
        if phase == "eval":
            out["eval.smooth_loss"] = F.cross_entropy(logits, labels, label_smoothing=0.1)
    write_safetensors(out_path, out)


if __name__ == "__main__":
    main()
