#!/usr/bin/env python3
"""Write the GGUF golden files checked by tests/gguf/model_golden_test.cpp.

Rerun from the repository root, after scripts/fetch-models, with the packages
pinned in tests/golden/requirements.txt (only `gguf` and `numpy` are used):

    python3 -m venv .venv && .venv/bin/pip install gguf==0.19.0 numpy==2.4.6
    .venv/bin/python tests/golden/make_gguf_golden.py

It reads each default model in models/ (or --models-dir) with gguf-py, the
reference implementation of the format, and writes
tests/golden/<model file stem>.gguf.json holding:
  * the facts `lathe info` prints, computed here independently of Lathe:
    hyper-parameters, tokenizer facts, special token ids, tensor and
    parameter counts, the histogram of tensor types (count, bytes, elements)
    and the file size;
  * for up to four tensors of every tensor type in the file (the embedding,
    output, attention, feed-forward and norm tensors first), the first,
    middle and last rows: their first 8 and last 8 values as dequantized by
    gguf.quants.dequantize, and the row's sum, sum of magnitudes and largest
    magnitude (in float64).
Floats are written with Python's shortest round-trip repr of the float32
value, so they parse back to the exact float32.
"""

import argparse
import json
import os
import re
import sys
from pathlib import Path

import numpy as np
from gguf import GGUFReader
from gguf.constants import GGMLQuantizationType
from gguf.quants import dequantize

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_MODELS = [
    "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    "smollm2-135m-instruct-q4_1.gguf",
]
SPECIAL_TOKENS = ["bos", "eos", "eot", "eom", "unknown", "padding", "separator"]
EDGE_VALUES = 8
TENSORS_PER_TYPE = 4


def field_value(reader, key, default=None):
    field = reader.fields.get(key)
    return default if field is None else field.contents()


def config_of(reader):
    arch = field_value(reader, "general.architecture")
    a = arch + "."
    n_heads = field_value(reader, a + "attention.head_count")
    dim = field_value(reader, a + "embedding_length")
    head_dim = field_value(reader, a + "attention.key_length", dim // n_heads)
    embd = next(t for t in reader.tensors if t.name == "token_embd.weight")
    return {
        "architecture": arch,
        "name": field_value(reader, "general.name", ""),
        "n_layers": field_value(reader, a + "block_count"),
        "dim": dim,
        "ffn_dim": field_value(reader, a + "feed_forward_length"),
        "n_heads": n_heads,
        "n_kv_heads": field_value(reader, a + "attention.head_count_kv", n_heads),
        "head_dim": head_dim,
        "context_length": field_value(reader, a + "context_length"),
        "vocab_size": int(embd.shape[1]),
        "rms_eps": float(np.float32(field_value(reader, a + "attention.layer_norm_rms_epsilon"))),
        "rope_theta": float(np.float32(field_value(reader, a + "rope.freq_base", 10000.0))),
        "rope_dim": field_value(reader, a + "rope.dimension_count", head_dim),
        "tied_output": not any(t.name == "output.weight" for t in reader.tensors),
    }


def tokenizer_of(reader):
    def array_length(key):
        field = reader.fields.get(key)
        return 0 if field is None else len(field.data)

    special_ids = {}
    for name in SPECIAL_TOKENS:
        value = field_value(reader, f"tokenizer.ggml.{name}_token_id")
        if value is not None:
            special_ids[name] = value
    template = field_value(reader, "tokenizer.chat_template")
    out = {
        "model": field_value(reader, "tokenizer.ggml.model", ""),
        "pre": field_value(reader, "tokenizer.ggml.pre", ""),
        "n_tokens": array_length("tokenizer.ggml.tokens"),
        "n_merges": array_length("tokenizer.ggml.merges"),
        "special_ids": special_ids,
        "chat_template_chars": 0 if template is None else len(template.encode("utf-8")),
    }
    for key, name in [("tokenizer.ggml.add_bos_token", "add_bos"), ("tokenizer.ggml.add_eos_token", "add_eos")]:
        value = field_value(reader, key)
        if value is not None:
            out[name] = bool(value)
    return out


def type_histogram(reader):
    histogram = {}
    for t in reader.tensors:
        entry = histogram.setdefault(t.tensor_type.name, {"count": 0, "bytes": 0, "elements": 0})
        entry["count"] += 1
        entry["bytes"] += int(t.n_bytes)
        entry["elements"] += int(t.n_elements)
    return dict(sorted(histogram.items()))


def chosen_tensors(reader, n_layers):
    """Up to TENSORS_PER_TYPE tensors of each type, the well-known ones first."""
    last = n_layers - 1
    preferred = [
        "token_embd.weight", "output.weight", "blk.0.attn_q.weight", "blk.0.ffn_down.weight",
        "blk.0.attn_norm.weight", "output_norm.weight", "blk.0.attn_q.bias",
        f"blk.{last}.ffn_down.weight", f"blk.{last}.attn_v.weight", f"blk.{last}.attn_k.bias",
    ]
    by_name = {t.name: t for t in reader.tensors}
    chosen = []
    for qtype in sorted({t.tensor_type for t in reader.tensors}, key=lambda q: q.name):
        of_type = [t for t in reader.tensors if t.tensor_type == qtype]
        names = [n for n in preferred if n in by_name and by_name[n].tensor_type == qtype]
        names += [of_type[0].name, of_type[-1].name]
        picked = list(dict.fromkeys(names))[:TENSORS_PER_TYPE]
        chosen += [by_name[n] for n in picked]
    return chosen


def as_floats(values):
    return [float(v) for v in np.asarray(values, dtype=np.float32)]


def row_records(tensor):
    row_length = int(tensor.shape[0])
    n_rows = int(tensor.n_elements) // row_length
    rows = tensor.data.reshape(n_rows, -1)  # one row of elements (F32/F16) or of blocks (quantized)
    qtype = GGMLQuantizationType(tensor.tensor_type)
    out = []
    for r in sorted({0, n_rows // 2, n_rows - 1}):
        values = dequantize(rows[r : r + 1], qtype).reshape(-1).astype(np.float32)
        assert values.size == row_length, (tensor.name, values.size, row_length)
        wide = values.astype(np.float64)
        out.append({
            "tensor": tensor.name,
            "type": qtype.name,
            "shape": [int(d) for d in tensor.shape],
            "row": r,
            "first": as_floats(values[:EDGE_VALUES]),
            "last": as_floats(values[-EDGE_VALUES:]),
            "sum": float(wide.sum()),
            "sum_abs": float(np.abs(wide).sum()),
            "max_abs": float(np.abs(wide).max()),
        })
    return out


def golden_for(path):
    reader = GGUFReader(path)
    config = config_of(reader)
    rows = []
    for tensor in chosen_tensors(reader, config["n_layers"]):
        rows += row_records(tensor)
    return {
        "comment": "Written by tests/golden/make_gguf_golden.py from gguf-py's reader and dequantizers; do not edit.",
        "file": path.name,
        "file_size": os.path.getsize(path),
        "gguf_version": int(field_value(reader, "GGUF.version")),
        "n_metadata": len([k for k in reader.fields if not k.startswith("GGUF.")]),
        "n_tensors": len(reader.tensors),
        "n_params": sum(int(t.n_elements) for t in reader.tensors),
        "tensor_bytes": sum(int(t.n_bytes) for t in reader.tensors),
        "config": config,
        "tokenizer": tokenizer_of(reader),
        "tensor_types": type_histogram(reader),
        "rows": rows,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models-dir", type=Path, default=ROOT / "models")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "tests" / "golden")
    parser.add_argument("models", nargs="*", default=DEFAULT_MODELS, help="model file names in --models-dir")
    args = parser.parse_args()
    for name in args.models:
        path = args.models_dir / name
        if not path.is_file():
            sys.exit(f"make_gguf_golden: {path} is missing: run scripts/fetch-models first")
        golden = golden_for(path)
        out = args.out_dir / (path.stem + ".gguf.json")
        text = json.dumps(golden, indent=1) + "\n"
        # One line per list of numbers, for a readable diff.
        text = re.sub(r"\[\s+([-0-9.e+,\s]+?)\s+\]", lambda m: "[" + ", ".join(m.group(1).split(",\n")).replace(" ", "").replace(",", ", ") + "]", text)
        out.write_text(text)
        print(f"{out}: {len(text)} bytes, {len(golden['rows'])} rows from "
              f"{len({r['tensor'] for r in golden['rows']})} tensors")


if __name__ == "__main__":
    main()
