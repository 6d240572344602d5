#!/usr/bin/env bash
# Reference LSTM transducer recipe: every stage, in order. Run from the repository root:
#   bash recipes/reference_lstm/run_all.sh            # all stages
#   STAGE=4 bash recipes/reference_lstm/run_all.sh    # start at stage 4 (each stage also resumes/skips)
# Data go to $NCASR_RECIPE_DIR (default ~/.cache/ncasr-recipe). Heavy stages run under nice -n 15
# with at most 2 worker processes (the build machine has 2 shared cores).
set -euo pipefail
STAGE=${STAGE:-0}
STOP=${STOP:-7}
N="nice -n 15"
W=${NCASR_RECIPE_DIR:-$HOME/.cache/ncasr-recipe}
mkdir -p "$W/exp"
if [ "$STAGE" -le 0 ] && [ "$STOP" -ge 0 ]; then
  echo "stage 0: system packages (Debian; mbrola, pico and RHVoice are in contrib/non-free)"
  bash recipes/reference_lstm/enable_nonfree.sh
  apt-get update
  apt-get install -y faketime sox libsox-fmt-all espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k \
    festvox-us-slt-hts wordnet-base fortunes fortunes-min
  apt-get install -y mbrola mbrola-us1 mbrola-us2 mbrola-us3 mbrola-en1 libttspico-utils
  # more training speakers for the corpus extension (stage 1b): English through 16 other
  # languages' mbrola diphone sets, and two more festival diphone voices
  apt-get install -y mbrola-af1 mbrola-nl2 mbrola-fr1 mbrola-fr4 mbrola-de1 mbrola-de2 mbrola-de3 \
    mbrola-de4 mbrola-de5 mbrola-de6 mbrola-gr2 mbrola-hu1 mbrola-pl1 mbrola-ro1 mbrola-sw1 mbrola-sw2 \
    festvox-rablpc16k festvox-don
  # stage 1c: RHVoice's English speakers (non-free); piper and hibari come with the [recipe] extra
  apt-get install -y rhvoice rhvoice-english
  # festival driving the mbrola us1/us2/en1 diphones (us3 is a held-out test speaker)
  apt-get install -y festvox-us1 festvox-us2 festvox-en1
  pip install ".[recipe]"  # ncasr itself plus torch, sentencepiece, pnnx, ... (= recipes/requirements.txt)
fi
# The corpus of the bundled model: 24,000 utterances with the first engine shares (~50 min),
# then 10,000 more from 18 further training speakers (1b, ~12 min), then 10,000 more from
# RHVoice, piper and the accented mbrola voices (1c, ~20 min), then 1d-1f: 67,780 utts.
# A reduced corpus: CORPUS_ARGS="--train-utts 7000 ..." EXTEND=0 (README).
CORPUS_ARGS=${CORPUS_ARGS---train-utts 24000 --dev-sents 300 --test-sents 200 --shares espeak=0.25,mbrola=0.22,flite=0.25,pico=0.15,festival_hts=0.05,festival_kal=0.08}
EXTEND=${EXTEND:-10000}
if [ "$STAGE" -le 1 ] && [ "$STOP" -ge 1 ]; then
  $N python -m recipes.reference_lstm.prepare_corpus $CORPUS_ARGS --jobs 2
  # stages 1b-1e, each once (its marker file): extending again would append more utterances
  extend_once() {  # MARKER PREPARE_CORPUS_ARGS...
    local marker="${NCASR_RECIPE_CORPUS:-$W/corpus}/$1"; shift
    if [ "$EXTEND" -gt 0 ] && [ ! -e "$marker" ]; then
      $N python -m recipes.reference_lstm.prepare_corpus --jobs 2 "$@" && touch "$marker"
    fi
  }
  extend_once .extended --extend "$EXTEND" --shares mbrola_accented=0.55,festival_rab=0.25,festival_don=0.2
  extend_once .extended2 --extend "$EXTEND" --shares rhvoice=0.5,piper=0.2,mbrola_accented=0.3
  # 1d: the last 9,780 unspoken training prompts; 1e: 8,000 prompts spoken again by the
  # newest voices (hibari, RHVoice, piper; --respeak)
  extend_once .extended3 --extend 9780 \
    --shares rhvoice=0.35,piper=0.2,mbrola_accented=0.2,festival_rab=0.1,festival_don=0.1,festival_kal=0.05
  extend_once .extended4 --extend 8000 --respeak \
    --shares hibari=0.3,rhvoice=0.25,piper=0.2,mbrola_accented=0.15,festival_rab=0.05,festival_don=0.05
  # 1f: 6,000 prompts spoken again by festival driving the mbrola us1/us2/en1 diphones
  extend_once .extended5 --extend 6000 --respeak --shares festival_mbrola=1
fi
if [ "$STAGE" -le 2 ] && [ "$STOP" -ge 2 ]; then $N python -m recipes.reference_lstm.train_bpe --vocab-size 256; fi
if [ "$STAGE" -le 3 ] && [ "$STOP" -ge 3 ]; then $N python -m recipes.reference_lstm.compute_features --jobs 2; fi
# The training run: the default ModelConfig (4.25 M parameters), pruned RNN-T loss, VTLP and
# random-EQ speaker perturbation, bf16 autocast (drop --amp on CPUs without BF16).
# Resumable; --num-epochs bounds it (about 30 min per epoch here). A second command then
# resumes it with SpecAugment and dropout 0.1 to epoch 15 (later flags win), as the bundled
# model was finished; its exact phases, corpus by corpus, are in MODEL_CARD.md: this is the
# one-run equivalent, not a replay.
# An earlier 2.44 M model: MC='{"encoder_dim":160,"decoder_dim":160,"rnn_hidden_size":320,
# "dim_feedforward":512,"joiner_dim":192}' and its TRAIN_ARGS in the README.
MC=${MC:-'{}'}
TRAIN_ARGS=${TRAIN_ARGS:---threads 2 --max-frames 8000 --num-epochs 10 --lr 1e-3 --warmup 300 --ctc-weight-start 1.0 --ctc-weight 0.3 --ctc-decay-steps 1500 --sort-first-epoch --spec-aug 0 --vtlp 0.5 --eq 0.5 --pruned-range 5 --pruned-warmup 1500 --amp bf16 --dev-every 500 --dev-utts 100 --ckpt-minutes 5 --log-every 50}
FINETUNE_ARGS=${FINETUNE_ARGS---num-epochs 15 --dropout 0.1 --spec-aug 0.5 --spec-aug-masks 2 --spec-aug-freq 15 --spec-aug-time 30}
# INIT_FROM=<ncnn model folder> (e.g. python/ncasr/models/reference-lstm-en): instead of training
# from scratch (~11.5 h here), import that model's weights (import_ncnn.py) and continue at its
# step and epoch (INIT_STEP, INIT_EPOCH: the bundle's) with FINETUNE_ARGS up to INIT_EPOCHS.
INIT_FROM=${INIT_FROM:-}
if [ "$STAGE" -le 4 ] && [ "$STOP" -ge 4 ] && [ -n "$INIT_FROM" ]; then
  [ -e "$W/exp/imported.pt" ] || python -m recipes.reference_lstm.import_ncnn --ncnn "$INIT_FROM" \
    --out "$W/exp/imported.pt" --step "${INIT_STEP:-32903}" --epoch "${INIT_EPOCH:-14}"
  # The simple heads start as the imported joiner: a short full-loss warm-up is enough. The
  # CTC head is not in the ncnn files and the auxiliary loss is for early alignment: left out.
  $N python -m recipes.reference_lstm.train --init-from "$W/exp/imported.pt" $TRAIN_ARGS $FINETUNE_ARGS \
    --pruned-warmup 200 --ctc-weight 0 --num-epochs "${INIT_EPOCHS:-16}" 2>&1 | tee -a "$W/exp/train.log"
elif [ "$STAGE" -le 4 ] && [ "$STOP" -ge 4 ]; then
  $N python -m recipes.reference_lstm.train --model-config "$MC" $TRAIN_ARGS 2>&1 | tee -a "$W/exp/train.log"
  if [ -n "$FINETUNE_ARGS" ]; then
    $N python -m recipes.reference_lstm.train --model-config "$MC" $TRAIN_ARGS $FINETUNE_ARGS 2>&1 | tee -a "$W/exp/train.log"
  fi
fi
if [ "$STAGE" -le 5 ] && [ "$STOP" -ge 5 ]; then $N python -m recipes.reference_lstm.average --last ${AVG:-12}; fi
if [ "$STAGE" -le 6 ] && [ "$STOP" -ge 6 ]; then $N python -m recipes.reference_lstm.export --fp16; fi  # fp16 weights, as bundled
if [ "$STAGE" -le 7 ] && [ "$STOP" -ge 7 ]; then
  $N python -m recipes.reference_lstm.evaluate --checkpoint "$W/exp/averaged.pt" --splits dev,test
  $N python -m recipes.reference_lstm.evaluate --ncnn "$W/exp/ncnn" --splits dev,test
fi
if [ "$STAGE" -le 8 ] && [ "$STOP" -ge 8 ]; then  # STOP=8 to bundle into the package
  python -m recipes.reference_lstm.bundle --out python/ncasr/models/reference-lstm-en \
    --testset-out tests/data/reference-lstm-en --test-utts 20 --int8
fi
