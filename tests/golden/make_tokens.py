#!/usr/bin/env python3
"""Write the tokenizer golden files checked by tests/tokenizer/tokenizer_golden_test.cpp.

Rerun from the repository root, after scripts/fetch-models, with the packages
pinned in tests/golden/requirements.txt (llama-cpp-python builds llama.cpp):

    python3 -m venv .venv && .venv/bin/pip install -r tests/golden/requirements.txt
    .venv/bin/python tests/golden/make_tokens.py

The reference is llama.cpp through llama-cpp-python, loading only the
vocabulary of each default model (Llama(model_path, vocab_only=True)). For
every text of tests/data/tokenizer_corpus.json and every file it lists, it
records the token ids with special-token parsing off ("ids") and, when they
differ, on ("ids_special"), both with the file's BOS/EOS flags applied; it
checks that detokenizing (special tokens rendered) gives the text back. Byte
strings that are not UTF-8 are tokenized as the reference does (each bad byte
read as U+FFFD). Conversations are rendered with the file's own Jinja chat
template by llama-cpp-python's Jinja2ChatFormatter (jinja2, as HF does) and
tokenized with special parsing on. Output: tests/golden/tokenizer_<model file
stem>.json, ids as compact lists.
"""

import argparse
import ctypes
import hashlib
import json
import sys
from pathlib import Path

import llama_cpp
from llama_cpp import Llama
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_MODELS = [
    "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    "smollm2-135m-instruct-q4_1.gguf",
]
CORPUS = ROOT / "tests" / "data" / "tokenizer_corpus.json"


def fail(message):
    print(f"make_tokens: error: {message}", file=sys.stderr)
    sys.exit(1)


def tokenize(llm, data, special):
    # add_bos=True means "add the special tokens the file asks for".
    return llm.tokenize(data, add_bos=True, special=special)


def detokenize(llm, ids):
    # llama.cpp's own detokenizer, special tokens rendered. (Llama.detokenize
    # of llama-cpp-python 0.3.36 cuts pieces longer than 32 bytes, such as
    # Qwen's long runs of spaces, so it is not used.)
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    tokens = (llama_cpp.llama_token * len(ids))(*ids)
    size = 64 * len(ids) + 16
    while True:
        buffer = ctypes.create_string_buffer(size)
        n = llama_cpp.llama_detokenize(vocab, tokens, len(ids), buffer, size, False, True)
        if n >= 0:
            return buffer.raw[:n]
        size = -n + 16


def text_entry(llm, name, data, check_roundtrip=True):
    ids = tokenize(llm, data, special=False)
    ids_special = tokenize(llm, data, special=True)
    if check_roundtrip:
        for which in (ids, ids_special):
            back = detokenize(llm, which)
            if back != data:
                fail(f"{name}: the reference does not round-trip ({back[:60]!r} != {data[:60]!r})")
    entry = {"name": name, "n_bytes": len(data), "ids": ids}
    if ids_special != ids:
        entry["ids_special"] = ids_special
    return entry


def special_text(llm, token_id):
    return detokenize(llm, [token_id]).decode("utf-8") if token_id >= 0 else ""


def model_golden(model_path, corpus, corpus_sha):
    llm = Llama(model_path=str(model_path), vocab_only=True, verbose=False)
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    n_vocab = llm.n_vocab()
    out = {
        "model": model_path.name,
        "reference": f"llama-cpp-python {llama_cpp.__version__}",
        "corpus_sha256": corpus_sha,
        "vocab_size": n_vocab,
        "bos_id": llm.token_bos(),
        "eos_id": llm.token_eos(),
        "add_bos": bool(llama_cpp.llama_vocab_get_add_bos(vocab)),
        "add_eos": bool(llama_cpp.llama_vocab_get_add_eos(vocab)),
        "eog_ids": [i for i in range(n_vocab) if llama_cpp.llama_vocab_is_eog(vocab, i)],
        "texts": [],
        "invalid_utf8": [],
        "chats": [],
    }

    for item in corpus["texts"]:
        out["texts"].append(text_entry(llm, item["name"], item["text"].encode("utf-8")))
    for name in corpus["files"]:
        data = (ROOT / "tests" / "data" / name).read_bytes()
        out["texts"].append(text_entry(llm, name, data))
    for item in corpus["invalid_utf8_hex"]:
        entry = text_entry(llm, item["name"], bytes.fromhex(item["hex"]), check_roundtrip=False)
        out["invalid_utf8"].append(entry)

    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        fail(f"{model_path.name} has no chat template")
    bos = special_text(llm, llm.token_bos())
    eos = special_text(llm, llm.token_eos())
    for conv in corpus["conversations"]:
        formatter = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos,
                                        add_generation_prompt=conv["add_generation_prompt"])
        prompt = formatter(messages=conv["messages"]).prompt
        # As llama-cpp-python's chat handler: the template wrote any BOS itself.
        ids = llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        out["chats"].append({"name": conv["name"], "prompt": prompt, "ids": ids})
    return out


def dump(golden):
    # One list per line keeps the file diffable without a line per id.
    text = json.dumps(golden, ensure_ascii=False, indent=1)
    lines, out, depth = text.split("\n"), [], None
    for line in lines:
        stripped = line.strip()
        if depth is None and stripped.endswith('ids": ['):
            out.append(line)
            depth = []
            continue
        if depth is not None:
            if stripped.startswith("]"):
                out[-1] += ", ".join(depth) + stripped
                depth = None
            else:
                depth.append(stripped.rstrip(","))
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models-dir", type=Path, default=ROOT / "models")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "tests" / "golden")
    args = parser.parse_args()

    corpus_bytes = CORPUS.read_bytes()
    corpus = json.loads(corpus_bytes)
    corpus_sha = hashlib.sha256(corpus_bytes).hexdigest()
    for name in DEFAULT_MODELS:
        path = args.models_dir / name
        if not path.exists():
            fail(f"{path} is missing; run scripts/fetch-models")
        golden = model_golden(path, corpus, corpus_sha)
        target = args.out_dir / f"tokenizer_{path.stem}.json"
        target.write_text(dump(golden), encoding="utf-8")
        n_tokens = sum(len(t["ids"]) for t in golden["texts"])
        print(f"{target.relative_to(ROOT)}: {len(golden['texts'])} texts, {n_tokens} tokens, "
              f"{len(golden['invalid_utf8'])} invalid byte strings, {len(golden['chats'])} conversations")


if __name__ == "__main__":
    main()
