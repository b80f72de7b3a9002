#!/usr/bin/env python3
"""Writes the small seed corpus for the GGUF fuzz target (tests/fuzz/corpus/gguf/).

Run from the repository root with the golden-script environment (tests/golden/requirements.txt):
    .venv/bin/python tests/fuzz/make_gguf_seeds.py
"""
from pathlib import Path

import numpy as np
from gguf import GGML_QUANT_SIZES, GGUFWriter, GGMLQuantizationType
from gguf.quants import quantize

K_TYPES = {GGMLQuantizationType.Q2_K, GGMLQuantizationType.Q3_K, GGMLQuantizationType.Q4_K,
           GGMLQuantizationType.Q5_K, GGMLQuantizationType.Q6_K}
OUT = Path(__file__).resolve().parent / "corpus" / "gguf"


def seed(name, arch, tensors, extra=None):
    OUT.mkdir(parents=True, exist_ok=True)
    w = GGUFWriter(str(OUT / name), arch)
    w.add_block_count(1)
    w.add_embedding_length(64)
    w.add_feed_forward_length(128)
    w.add_head_count(2)
    w.add_head_count_kv(1)
    w.add_context_length(256)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_tokenizer_model("gpt2")
    w.add_token_list(["a", "b", "<|im_end|>"])
    w.add_token_merges(["a b"])
    w.add_array("test.nested", [[1, 2], [3]])
    for key, value in (extra or {}).items():
        w.add_string(key, value)
    rng = np.random.default_rng(0)
    for tname, qtype, shape in tensors:
        data = rng.standard_normal(shape).astype(np.float32)
        if qtype == GGMLQuantizationType.F32:
            w.add_tensor(tname, data)
        elif qtype in K_TYPES:  # the gguf package cannot quantize these: random blocks
            block, nbytes = GGML_QUANT_SIZES[qtype]
            raw = rng.integers(0, 256, (shape[0], shape[1] // block * nbytes), dtype=np.uint8)
            w.add_tensor(tname, raw, raw_dtype=qtype)
        else:
            w.add_tensor(tname, quantize(data, qtype), raw_dtype=qtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


Q = GGMLQuantizationType
seed("llama_q4_0.gguf", "llama", [("token_embd.weight", Q.Q4_0, (8, 64)), ("output_norm.weight", Q.F32, (64,))])
seed("qwen2_mix.gguf", "qwen2", [("token_embd.weight", Q.Q8_0, (4, 64)), ("blk.0.attn_q.weight", Q.Q5_0, (2, 64)),
                                 ("blk.0.attn_q.bias", Q.F32, (64,))], {"tokenizer.chat_template": "{{ x }}"})
seed("kquants.gguf", "llama", [("token_embd.weight", Q.Q4_K, (2, 256)), ("output.weight", Q.Q6_K, (2, 256)),
                               ("a.weight", Q.Q2_K, (1, 256)), ("b.weight", Q.Q3_K, (1, 256)),
                               ("c.weight", Q.Q5_K, (1, 256)), ("d.weight", Q.F16, (2, 8))])
