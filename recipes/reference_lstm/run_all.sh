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
  echo "stage 0: system packages (Debian; mbrola/pico need contrib+non-free in the apt sources)"
  apt-get update
  apt-get install -y sox libsox-fmt-all espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k \
    festvox-us-slt-hts wordnet-base fortunes fortunes-min
  apt-get install -y mbrola mbrola-us1 mbrola-us2 mbrola-us3 mbrola-en1 libttspico-utils
  pip install ".[recipe]"  # ncasr itself plus torch, sentencepiece, pnnx, ... (= recipes/requirements.txt)
fi
# reduced corpus of session 2 (7,000 train utts, 7.6 h, ~5 min); CORPUS_ARGS="" gives the full-size defaults
CORPUS_ARGS=${CORPUS_ARGS---train-utts 7000 --dev-sents 300 --test-sents 200 --shares espeak=0.25,mbrola=0.22,flite=0.25,pico=0.15,festival_hts=0.05,festival_kal=0.08}
if [ "$STAGE" -le 1 ] && [ "$STOP" -ge 1 ]; then $N python -m recipes.reference_lstm.prepare_corpus $CORPUS_ARGS --jobs 2; fi
if [ "$STAGE" -le 2 ] && [ "$STOP" -ge 2 ]; then $N python -m recipes.reference_lstm.train_bpe --vocab-size 256; fi
if [ "$STAGE" -le 3 ] && [ "$STOP" -ge 3 ]; then $N python -m recipes.reference_lstm.compute_features --jobs 2; fi
# leg 1 of the session-2 schedule; the later legs are resumes with lower --lr (README, "Training schedule")
MC='{"encoder_dim":160,"decoder_dim":160,"rnn_hidden_size":320,"dim_feedforward":512,"joiner_dim":192}'
if [ "$STAGE" -le 4 ] && [ "$STOP" -ge 4 ]; then
  $N python -m recipes.reference_lstm.train --model-config "$MC" ${TRAIN_ARGS:---threads 1 --max-frames 4000 --num-epochs 6 --lr 1.5e-3 --warmup 300 --ctc-weight-start 1.0 --ctc-weight 0.3 --ctc-decay-steps 1500 --sort-first-epoch --dev-every 250 --dev-utts 100 --ckpt-minutes 5 --log-every 25} 2>&1 | tee -a "$W/exp/train.log"
fi
if [ "$STAGE" -le 5 ] && [ "$STOP" -ge 5 ]; then $N python -m recipes.reference_lstm.average --last ${AVG:-3}; fi
if [ "$STAGE" -le 6 ] && [ "$STOP" -ge 6 ]; then $N python -m recipes.reference_lstm.export; fi
if [ "$STAGE" -le 7 ] && [ "$STOP" -ge 7 ]; then
  $N python -m recipes.reference_lstm.evaluate --checkpoint "$W/exp/averaged.pt" --splits dev,test
  $N python -m recipes.reference_lstm.evaluate --ncnn "$W/exp/ncnn" --splits dev,test
fi
if [ "$STAGE" -le 8 ] && [ "$STOP" -ge 8 ]; then  # STOP=8 to bundle into the package
  python -m recipes.reference_lstm.bundle --out python/ncasr/models/reference-lstm-en \
    --testset-out tests/data/reference-lstm-en --test-utts 20 --int8
fi
