#!/usr/bin/env python3
"""Compare `lathe tokenize` with the reference tokenizer on any text file.

A measurement for files that cannot be part of the test corpus (for example
the WikiText-2 test split). Run from the repository root with the golden
environment (tests/golden/requirements.txt):

    .venv/bin/python tests/golden/check_tokens_file.py build/engine/lathe MODEL.gguf FILE

Prints the token counts and the first position where the ids differ; exits 1
on a difference.
"""

import json
import subprocess
import sys

from llama_cpp import Llama


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    lathe, model, path = sys.argv[1:]
    text = open(path, "rb").read()
    ref = Llama(model_path=model, vocab_only=True, verbose=False).tokenize(text, add_bos=False, special=False)
    out = subprocess.run([lathe, "tokenize", "-m", model, "--ids", "--no-parse-special", "--no-bos-eos",
                          "-f", path], check=True, capture_output=True, text=True).stdout
    ours = json.loads(out)
    print(f"{path}: reference {len(ref)} tokens, lathe {len(ours)} tokens")
    for i, (a, b) in enumerate(zip(ref, ours)):
        if a != b:
            print(f"first difference at token {i}: reference {a}, lathe {b}")
            sys.exit(1)
    if len(ref) != len(ours):
        print("the shorter sequence is a prefix of the longer")
        sys.exit(1)
    print("identical")


if __name__ == "__main__":
    main()
