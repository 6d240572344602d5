#pragma once
// What shape each calibration target's input has, found by running a fixed synthetic signal
// through the streaming pipeline (shapes do not depend on what is said). The int8 converter
// needs it: an InnerProduct becomes a Gemm only when its input is a (T, C) matrix.
#include <map>
#include <string>

#include "calibration/activation_runner.h"

namespace ncasr {

// Two seconds at 16 kHz: a chirp plus deterministic noise, the same on every machine.
std::vector<float> probe_signal();

// "<net>/<layer>" -> row width, for every target whose input was 2-D with the same row
// width on every call.
std::map<std::string, int> probe_row_widths(const ActivationRunner& runner);

}  // namespace ncasr
