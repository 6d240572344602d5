"""Stage 2: sentencepiece BPE on the training prompts; writes icefall-format tokens.txt.

  python -m recipes.reference_lstm.train_bpe [--vocab-size 256]

Outputs $NCASR_RECIPE_DIR/lang/{bpe.model, tokens.txt}. tokens.txt: `<blk> 0`,
`<sos/eos> 1`, `<unk> 2`, then the pieces (U+2581 kept) with their ids.
"""

from __future__ import annotations

import argparse
import os

from .common import corpus_dir, lang_dir


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocab-size", type=int, default=256)
    ap.add_argument("--model-type", default="unigram", choices=["unigram", "bpe"])
    ap.add_argument("--corpus", default=str(corpus_dir()))
    ap.add_argument("--out", default=str(lang_dir()))
    args = ap.parse_args(argv)
    import sentencepiece as spm

    os.makedirs(args.out, exist_ok=True)
    # train on the training *prompts* only (never dev/test sentences)
    text = os.path.join(args.corpus, "text", "train.txt")
    prefix = os.path.join(args.out, "bpe")
    spm.SentencePieceTrainer.train(
        input=text,
        model_prefix=prefix,
        vocab_size=args.vocab_size,
        model_type=args.model_type,
        character_coverage=1.0,
        input_sentence_size=100000000,
        user_defined_symbols=["<blk>", "<sos/eos>"],
        unk_id=2,
        bos_id=-1,
        eos_id=-1,
        pad_id=-1,
        num_threads=1,
        minloglevel=2,
    )
    # sentencepiece puts user-defined symbols at 0, 1 (after unk if unk_id=0); we forced unk_id=2
    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    assert sp.id_to_piece(0) == "<blk>" and sp.id_to_piece(1) == "<sos/eos>" and sp.id_to_piece(2) == "<unk>", [
        sp.id_to_piece(i) for i in range(3)
    ]
    with open(os.path.join(args.out, "tokens.txt"), "w", encoding="utf-8") as f:
        for i in range(sp.get_piece_size()):
            f.write(f"{sp.id_to_piece(i)} {i}\n")
    print(f"vocab {sp.get_piece_size()} -> {args.out}/tokens.txt")
    print(sp.encode("they were busily engaged in buying souvenirs", out_type=str))


if __name__ == "__main__":
    main()
