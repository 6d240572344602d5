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
  pip install -r recipes/requirements.txt
fi
if [ "$STAGE" -le 1 ] && [ "$STOP" -ge 1 ]; then $N python -m recipes.reference_lstm.prepare_corpus --jobs 2; fi
if [ "$STAGE" -le 2 ] && [ "$STOP" -ge 2 ]; then $N python -m recipes.reference_lstm.train_bpe --vocab-size 256; fi
if [ "$STAGE" -le 3 ] && [ "$STOP" -ge 3 ]; then $N python -m recipes.reference_lstm.compute_features --jobs 2; fi
if [ "$STAGE" -le 4 ] && [ "$STOP" -ge 4 ]; then
  $N python -m recipes.reference_lstm.train ${TRAIN_ARGS:-} 2>&1 | tee -a "$W/exp/train.log"
fi
if [ "$STAGE" -le 5 ] && [ "$STOP" -ge 5 ]; then $N python -m recipes.reference_lstm.average --last ${AVG:-5}; fi
if [ "$STAGE" -le 6 ] && [ "$STOP" -ge 6 ]; then $N python -m recipes.reference_lstm.export; fi
if [ "$STAGE" -le 7 ] && [ "$STOP" -ge 7 ]; then
  $N python -m recipes.reference_lstm.evaluate --checkpoint "$W/exp/averaged.pt" --splits dev,test
  $N python -m recipes.reference_lstm.evaluate --ncnn "$W/exp/ncnn" --splits test
fi
