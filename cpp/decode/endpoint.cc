#include "decode/endpoint.h"

#include <cmath>
#include <string>

#include "common/errors.h"

namespace ncasr {
namespace {

bool rule_fires(const EndpointRule& r, bool nonsilence, float trailing, float length) {
  return (!r.must_contain_nonsilence || nonsilence) && trailing >= r.min_trailing_silence &&
         length >= r.min_utterance_length;
}

void check(const EndpointRule& r, const char* name) {
  if (!(r.min_trailing_silence >= 0.f) || !(r.min_utterance_length >= 0.f) || !std::isfinite(r.min_trailing_silence) ||
      !std::isfinite(r.min_utterance_length))
    throw ConfigError(std::string("endpoint ") + name + ": silence and length must be finite and >= 0");
}

}  // namespace

void EndpointConfig::validate() const {
  check(rule1, "rule1");
  check(rule2, "rule2");
  check(rule3, "rule3");
}

bool endpoint_detected(const EndpointConfig& c, float length, float trailing) {
  if (!c.enabled) return false;
  const bool nonsilence = length > trailing;
  return rule_fires(c.rule1, nonsilence, trailing, length) || rule_fires(c.rule2, nonsilence, trailing, length) ||
         rule_fires(c.rule3, nonsilence, trailing, length);
}

}  // namespace ncasr
