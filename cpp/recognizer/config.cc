#include "recognizer/config.h"

#include <stdexcept>

#include "common/errors.h"

namespace ncasr {

void DecodingConfig::validate() const {
  if (method != "greedy_search" && method != "modified_beam_search")
    throw ConfigError("decoding method must be 'greedy_search' or 'modified_beam_search', got '" + method + "'");
  if (num_active_paths < 1) throw ConfigError("num_active_paths must be >= 1");
  if (!hotwords.empty() && method != "modified_beam_search")
    throw ConfigError("hotwords need decoding method 'modified_beam_search'");
}

void RecognizerConfig::validate() const {
  try {
    features.validate();
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("features: ") + e.what());
  }
  decoding.validate();
  endpoint.validate();
  if (model.runtime.num_threads < 1) throw ConfigError("num_threads must be >= 1");
  if (model.runtime.max_chunks_per_call < 1) throw ConfigError("max_chunks_per_call must be >= 1");
}

}  // namespace ncasr
