#!/usr/bin/python3
"""Loads a Kestrel SimpleCNN checkpoint into PyTorch with load_state_dict
(strict) and prints its accuracy on the CIFAR-10 test batch, as a check that
Kestrel's checkpoints are PyTorch state_dicts.

    /usr/bin/python3 scripts/torch_eval_checkpoint.py runs/X/best.safetensors DATA_DIR
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "internal", "torchtest"))
from safetensors_io import read_safetensors  # noqa: E402

MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)


def simple_cnn():
    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
                nn.MaxPool2d(2)]
    m = nn.Module()
    m.features = nn.Sequential(*block(3, 32), *block(32, 64), *block(64, 128))
    m.classifier = nn.Sequential(nn.Flatten(), nn.Linear(2048, 256), nn.ReLU(),
                                 nn.Dropout(0.5), nn.Linear(256, 10))
    return m


def main():
    ckpt, data = sys.argv[1], sys.argv[2]
    tensors = read_safetensors(ckpt)
    if isinstance(tensors, tuple):
        tensors = tensors[0]
    model = simple_cnn()
    model.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in tensors.items()},
                          strict=True)
    model.eval()

    raw = np.fromfile(os.path.join(data, "test_batch.bin"), dtype=np.uint8).reshape(-1, 3073)
    labels = torch.from_numpy(raw[:, 0].astype(np.int64))
    x = torch.from_numpy(raw[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255)
    x = (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    with torch.no_grad():
        logits = torch.cat([model.classifier(model.features(b)) for b in x.split(500)])
    acc = (logits.argmax(1) == labels).float().mean().item()
    print(f"{ckpt}: PyTorch test accuracy {100 * acc:.2f}% on {len(labels)} images")


if __name__ == "__main__":
    main()
