"""Safetensors reading and writing for the PyTorch reference scripts.

Shared by models/testdata/torch_parity.py and optim/testdata/torch_optim.py.
Those scripts import it after importing torch and numpy themselves (so that a
missing torch exits with status 77 and the Go test skips), having put this
directory on sys.path from their own location:

    os.path.join(os.path.dirname(os.path.realpath(__file__)),
                 "..", "..", "internal", "torchtest")

Only the dtypes the parity tests exchange are supported: F32 and I64.
"""

import json
import struct

import numpy as np
import torch

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


def write_safetensors(path, tensors, meta=None):
    """Writes {name: tensor}: floating tensors as F32, integer ones as I64.

    meta, a {str: str} dict, becomes the file's __metadata__ when given.
    """
    header, chunks, offset = {}, [], 0
    if meta is not None:
        header["__metadata__"] = meta
    for name, t in tensors.items():
        t = t.detach().cpu()
        dtype = "F32" if t.is_floating_point() else "I64"
        data = t.numpy().astype(DTYPES[dtype]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    js = json.dumps(header).encode()
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)) + js + b"".join(chunks))
