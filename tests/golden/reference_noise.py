#!/usr/bin/env python3
"""How much llama.cpp disagrees with itself: the noise floor of the golden logits.

For each golden prompt of tests/golden/logits_<model>.json, llama.cpp (through
llama-cpp-python, with the settings of make_logits.py) evaluates the prompt
followed by its golden greedy continuation one token at a time, and this is
compared with the golden file, whose prompt was evaluated in one batch. At
every position it takes the largest difference among the golden top-20
log-probabilities and prints the mean, 99th percentile and maximum over all
positions (docs/decoder.md, "Why the tolerance is not 1e-2").

    .venv/bin/python tests/golden/reference_noise.py smollm2-135m-instruct-q4_1.gguf
"""

import argparse
import json
import math
import sys
from pathlib import Path

import llama_cpp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_logits  # noqa: E402


def logprobs(logits):
    x = logits.astype(np.float64)
    m = x.max()
    return x - m - math.log(np.exp(x - m).sum())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", type=Path, default=make_logits.ROOT / "models")
    parser.add_argument("--golden-dir", type=Path, default=make_logits.ROOT / "tests" / "golden")
    parser.add_argument("model")
    args = parser.parse_args()

    golden = json.loads((args.golden_dir / f"logits_{Path(args.model).stem}.json").read_text())
    llm = llama_cpp.Llama(model_path=str(args.models_dir / args.model), n_ctx=make_logits.N_CTX,
                          n_batch=make_logits.N_CTX, n_ubatch=make_logits.N_CTX, n_threads=make_logits.THREADS,
                          n_threads_batch=make_logits.THREADS, logits_all=True, flash_attn=False,
                          type_k=llama_cpp.GGML_TYPE_F32, type_v=llama_cpp.GGML_TYPE_F32, verbose=False)
    worst = []
    for p in golden["prompts"]:
        tokens = p["tokens"] + p["continuation"]
        llm.reset()
        for t in tokens:
            llm.eval([t])
        for pos in range(len(tokens)):
            lp = logprobs(llm.scores[pos])
            worst.append(max(abs(lp[i] - ref) for i, ref in zip(p["top_ids"][pos], p["top_logprobs"][pos])))
    w = np.array(worst)
    print(f"{args.model}: {len(w)} positions, batched prompt vs one token at a time: "
          f"mean {w.mean():.3f}, p99 {np.percentile(w, 99):.2f}, max {w.max():.2f}")


if __name__ == "__main__":
    main()
