#!/usr/bin/env python3
"""Writes the seed corpora of the text fuzz targets (tests/fuzz/corpus/{tokenizer,config,chat_template}/).

Run from the repository root with the golden-script environment (tests/golden/requirements.txt):
    .venv/bin/python tests/fuzz/make_text_seeds.py
The tokenizer seeds are texts of tests/data/tokenizer_corpus.json, the config seeds configs/engine.yaml and
variations of it, the chat seeds the corpus' conversations under the default models' own templates (read from
models/, which scripts/fetch-models fills) and a Llama 3 one.
"""
import hashlib
import json
import shutil
from pathlib import Path

from gguf import GGUFReader

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fuzz" / "corpus"
CORPUS = json.loads((ROOT / "tests" / "data" / "tokenizer_corpus.json").read_text())


def reset(name):
    d = OUT / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    return d


def write(d, name, data: bytes):
    (d / f"{name}-{hashlib.sha1(data).hexdigest()[:8]}").write_bytes(data)


def tokenizer_seeds():
    # Flags byte: bit 0 parse_special, bit 1 add BOS/EOS, bit 2 no special rendering, bits 4-7 the vocabulary.
    d = reset("tokenizer")
    picks = ["english_plain", "contractions_odd", "punctuation_clusters", "numbers_unicode", "whitespace_mixed",
             "code_python", "code_cpp", "accents_combining", "chinese", "japanese_korean", "arabic_hebrew",
             "emoji_zwj", "control_chars", "special_chatml", "special_llama3_text", "special_adjacent_partial",
             "special_tool_call", "special_fim", "special_smollm_tokens", "special_lookalikes", "mixed_everything"]
    texts = {t["name"]: t["text"] for t in CORPUS["texts"]}
    for i, name in enumerate(picks):
        flags = (i % 4) | ((i % 2) << 4)
        write(d, name, bytes([flags]) + texts[name].encode())
    for i, bad in enumerate(CORPUS["invalid_utf8_hex"]):
        write(d, bad["name"], bytes([(i % 2) << 4 | 1]) + bytes.fromhex(bad["hex"]))


def config_seeds():
    d = reset("config")
    engine = (ROOT / "configs" / "engine.yaml").read_bytes()
    write(d, "engine", engine)
    write(d, "engine_with_sets", engine + b"#--set\nthreads.count=4\nsampling.temperature=0.7\nkv_cache.type=q8_0\n")
    write(d, "flow_style", b"{threads: {count: 2, pin: true}, sampling: {top_k: 0, seed: -1}}\n")
    write(d, "combination", b"context:\n  length: 128\nprefill:\n  chunk_size: 256\nkv_cache:\n  max_tokens: 64\n")
    write(d, "bad_values", b"threads:\n  count: -3\nsampling:\n  top_p: 1.5\n  temperature: hot\nkernels:\n"
                           b"  matvec_layout: [plain]\nchat:\n  template: chatm\n")
    write(d, "unknown_keys", b"thread:\n  count: 1\nmemory:\n  prefalt: true\n#--set\nsampling=1\nnope.key=2\n")
    write(d, "anchors", b"threads: &t\n  count: 1\nmemory: *t\n--- \nsecond: doc\n")


def chat_seeds():
    d = reset("chat_template")
    templates = {}
    for model in ["smollm2-135m-instruct-q4_1.gguf", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"]:
        field = GGUFReader(ROOT / "models" / model).get_field("tokenizer.chat_template")
        templates[model.split("-")[0]] = bytes(field.parts[field.data[0]])
    templates["llama3"] = (b"{{- bos_token }}{%- set date_string = \"26 Jul 2024\" %}"
                           b"{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}"
                           b"{{- \"Cutting Knowledge Date: December 2023\\n\" }}"
                           b"{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + "
                           b"'<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}{%- endfor %}")
    for i, conv in enumerate(CORPUS["conversations"]):
        for tname, text in templates.items():
            fields = [bytes([1 if conv["add_generation_prompt"] else 0]), text]
            for m in conv["messages"]:
                fields += [m["role"].encode(), m["content"].encode()]
            write(d, f"{conv['name']}_{tname}", b"\0".join(fields))
    write(d, "override_bad_role", b"\x01chatml\0\0tool\0{\"call\": 1}")
    write(d, "unknown_template", b"\x00\0{{ messages }}\0user\0hi")


tokenizer_seeds()
config_seeds()
chat_seeds()
