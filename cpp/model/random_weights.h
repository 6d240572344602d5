#pragma once
// Writes a .bin of random fp32 weights for a .param, so full-size graphs whose real
// weights are not at hand can be loaded and timed.
#include <cstdint>
#include <string>

namespace ncasr {

// Returns the number of bytes written. Scale bounds |w| (uniform in [-scale, scale]).
long long write_random_weights(const std::string& param_path, const std::string& bin_path, uint32_t seed,
                               float scale = 0.05f);

}  // namespace ncasr
