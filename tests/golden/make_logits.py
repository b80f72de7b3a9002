#!/usr/bin/env python3
"""Write the golden logits that the decoder is checked against.

For each default model and each prompt below, llama.cpp (through
llama-cpp-python, an independent implementation) evaluates the prompt in one
batch, then continues it greedily for CONTINUATION tokens, one token at a time.
At every position of the prompt and of the continuation it records the 20
most probable next tokens and their log-probabilities (log-softmax of the
logits, rounded to 1e-5). The prompt is stored as token ids, so the goldens
do not depend on Lathe's tokenizer.

Reference settings, chosen to compute what Lathe computes: an f32 KV cache
(Lathe's cache is f32; llama.cpp's default f16 cache would add rounding that
Lathe does not have), no flash attention, the whole prompt in one batch.

It also records the residual stream after the first layer ("l_out-0") for the
first LAYER_TOKENS tokens of the "long" prompt, read through llama.cpp's
eval callback, so that the test can compare one layer's arithmetic tightly
before the rounding differences of many layers add up (docs/decoder.md).

Exact command (from the repository root):

    python3 -m venv .venv
    .venv/bin/pip install -r tests/golden/requirements.txt
    scripts/fetch-models
    .venv/bin/python tests/golden/make_logits.py

It writes tests/golden/logits_<model file stem>.json; --models-dir and --out change
where it reads and writes.
"""

import argparse
import ctypes
import hashlib
import json
import math
import platform
import sys
from pathlib import Path

import llama_cpp
import numpy as np

ROOT = Path(__file__).resolve().parent.parent.parent
TOP_K = 20
CONTINUATION = 64
N_CTX = 512
THREADS = 2

# Prompts of different kinds. "special": the text contains chat-template
# control tokens that must be parsed as such.
PROMPTS = [
    {"name": "prose", "text": "The history of the printing press begins in the fifteenth century, when"},
    {"name": "code", "text": "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n"},
    {"name": "chat", "special": True,
     "text": "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
             "Name three primary colors.<|im_end|>\n<|im_start|>assistant\n"},
    {"name": "numbers", "text": "1, 1, 2, 3, 5, 8, 13, 21, 34,"},
    {"name": "multilingual", "text": "Paris est la capitale de la France. 北京是中国的首都。Berlin ist"},
    {"name": "json", "text": "{\"name\": \"Alice\", \"age\": 30, \"languages\": [\"English\", \""},
    {"name": "repetition", "text": "red green blue red green blue red green blue red"},
    {"name": "long",
     "text": "Rivers shape the land they cross. Over thousands of years, water carries sand and silt from "
             "the mountains to the sea, carving valleys and building deltas. Where a river slows, it drops "
             "the heaviest grains first, so gravel bars form near the hills and fine mud settles near the "
             "coast. Floods spread this mud across the plain, which is why river valleys have long been "
             "among the most fertile places to farm. Early cities grew along the Nile, the Tigris, the "
             "Euphrates and the Yellow River for exactly this reason: the river brought water, food and a "
             "road for trade. Today engineers build dams and levees to control floods, but these also trap "
             "sediment, and the deltas downstream slowly"},
]

LAYER_PROMPT = "long"
LAYER_TOKENS = 32

MODELS = [
    "smollm2-135m-instruct-q4_1.gguf",
    "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
]


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def top_logprobs(logits):
    """The TOP_K most probable ids (most probable first) and their log-probabilities."""
    x = logits.astype(np.float64)
    m = x.max()
    logprobs = x - m - math.log(np.exp(x - m).sum())
    # Stable order: by log-probability, then by id.
    ids = np.lexsort((np.arange(len(x)), -logprobs))[:TOP_K]
    return [int(i) for i in ids], [round(float(logprobs[i]), 5) for i in ids]


class GgmlTensor(ctypes.Structure):
    """struct ggml_tensor of the ggml in llama-cpp-python 0.3.36 (ggml.h)."""
    _fields_ = [("type", ctypes.c_int), ("buffer", ctypes.c_void_p), ("ne", ctypes.c_int64 * 4),
                ("nb", ctypes.c_size_t * 4), ("op", ctypes.c_int), ("op_params", ctypes.c_int32 * 16),
                ("flags", ctypes.c_int32), ("src", ctypes.c_void_p * 10), ("view_src", ctypes.c_void_p),
                ("view_offs", ctypes.c_size_t), ("data", ctypes.c_void_p), ("name", ctypes.c_char * 64),
                ("extra", ctypes.c_void_p), ("padding", ctypes.c_char * 8)]


def first_layer_output(llm, tokens):
    """llama.cpp's residual stream after layer 0: (len(tokens), dim) floats, all tokens in one batch."""
    captured = {}

    @llama_cpp.ggml_backend_sched_eval_callback
    def callback(tensor, ask, user_data):
        t = ctypes.cast(tensor, ctypes.POINTER(GgmlTensor)).contents
        if t.name.decode() != "l_out-0":
            return not ask  # ask for nothing else; keep going
        if ask:
            return True
        n = t.ne[0] * t.ne[1]
        assert t.type == 0 and t.nb[0] == 4 and t.nb[1] == 4 * t.ne[0], "l_out-0 is not a contiguous f32 matrix"
        data = np.ctypeslib.as_array(ctypes.cast(t.data, ctypes.POINTER(ctypes.c_float)), shape=(n,))
        captured["l_out"] = data.copy().reshape(t.ne[1], t.ne[0])
        return True

    params = llm.context_params
    params.cb_eval = callback
    ctx = llama_cpp.llama_init_from_model(llm.model, params)
    batch = llama_cpp.llama_batch_init(len(tokens), 0, 1)
    batch.n_tokens = len(tokens)
    for i, token in enumerate(tokens):
        batch.token[i] = token
        batch.pos[i] = i
        batch.n_seq_id[i] = 1
        batch.seq_id[i][0] = 0
        batch.logits[i] = 1
    if llama_cpp.llama_decode(ctx, batch) != 0:
        sys.exit("make_logits: llama_decode failed")
    llama_cpp.llama_batch_free(batch)
    llama_cpp.llama_free(ctx)
    return captured["l_out"]


def run_model(path):
    llm = llama_cpp.Llama(model_path=str(path), n_ctx=N_CTX, n_batch=N_CTX, n_ubatch=N_CTX, n_threads=THREADS,
                          n_threads_batch=THREADS, logits_all=True, flash_attn=False,
                          type_k=llama_cpp.GGML_TYPE_F32, type_v=llama_cpp.GGML_TYPE_F32, verbose=False)
    out = []
    for prompt in PROMPTS:
        tokens = llm.tokenize(prompt["text"].encode("utf-8"), add_bos=True, special=prompt.get("special", False))
        llm.reset()
        llm.eval(tokens)
        continuation = []
        for _ in range(CONTINUATION):
            logits = llm.scores[llm.n_tokens - 1]
            token = int(np.argmax(logits))  # first maximum on ties, as Lathe's greedy sampler
            continuation.append(token)
            llm.eval([token])
        n_positions = len(tokens) + len(continuation)
        top_ids, top_lps = [], []
        for pos in range(n_positions):
            ids, lps = top_logprobs(llm.scores[pos])
            top_ids.append(ids)
            top_lps.append(lps)
        out.append({"name": prompt["name"], "text": prompt["text"], "tokens": tokens,
                    "continuation": continuation, "top_ids": top_ids, "top_logprobs": top_lps})
        print(f"  {prompt['name']}: {len(tokens)} prompt tokens, {len(continuation)} generated", flush=True)
    layer_prompt = next(p for p in out if p["name"] == LAYER_PROMPT)
    l_out = first_layer_output(llm, layer_prompt["tokens"][:LAYER_TOKENS])
    layer0 = {"prompt": LAYER_PROMPT, "n_tokens": LAYER_TOKENS,
              "l_out": [[float(f"{v:.7g}") for v in row] for row in l_out]}
    return out, layer0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", type=Path, default=ROOT / "models")
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "golden")
    parser.add_argument("models", nargs="*", default=MODELS, help="model files (default: both default models)")
    args = parser.parse_args()

    for name in args.models:
        path = args.models_dir / name
        if not path.exists():
            sys.exit(f"make_logits: {path} is missing; run scripts/fetch-models")
        print(f"{name}:", flush=True)
        golden = {
            "model": name,
            "sha256": sha256_of(path),
            "reference": f"llama-cpp-python {llama_cpp.__version__}",
            "settings": {"n_ctx": N_CTX, "n_batch": N_CTX, "threads": THREADS, "kv_cache": "f32",
                         "flash_attn": False, "top_k": TOP_K, "continuation": CONTINUATION,
                         "machine": platform.machine()},
        }
        golden["prompts"], golden["layer0"] = run_model(path)
        target = args.out / f"logits_{Path(name).stem}.json"
        with open(target, "w") as f:
            json.dump(golden, f, ensure_ascii=False, separators=(",", ":"))
            f.write("\n")
        print(f"  wrote {target} ({target.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
