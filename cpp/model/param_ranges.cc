#include "model/param_ranges.h"

#include <cmath>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "common/errors.h"
#include "common/text_checks.h"
#include "model/param_file.h"

namespace ncasr {
namespace {

struct Range {
  int key;
  long long lo, hi;
};

constexpr long long kAny = kMaxParamInt;
constexpr Range kFlag(int key) { return {key, 0, 1}; }

// Integer parameters of the layer types in icefall's exports, with the values ncnn's
// layers accept (ncnn's operator docs and each layer's forward). A type not listed here
// only gets the generic checks.
const std::map<std::string, std::vector<Range>>& known_ranges() {
  static const auto* table = [] {
    const std::vector<Range> conv = {{0, 1, kAny},     {1, 1, kAny},     {2, 1, kAny},    {3, 1, kAny},
                                     {4, -234, kAny},  kFlag(5),         {6, 0, kAny},    {7, 1, kAny},
                                     {9, 0, 6},        {11, 1, kAny},    {12, 1, kAny},   {13, 1, kAny},
                                     {14, -234, kAny}, {15, -234, kAny}, {16, -234, kAny}};
    const std::vector<Range> axis = {{0, -4, 3}};
    auto* t = new std::map<std::string, std::vector<Range>>{
        {"BinaryOp", {{0, 0, 11}, kFlag(1)}},
        {"UnaryOp", {{0, 0, 19}}},
        {"Permute", {{0, 0, 23}}},
        {"Concat", axis},
        {"Softmax", {{0, -4, 3}, kFlag(1)}},
        {"GLU", axis},
        {"Slice", {{1, -4, 3}}},
        {"Reduction", {{0, 0, 10}, kFlag(1), kFlag(4), kFlag(5)}},
        {"InnerProduct", {{0, 1, kAny}, kFlag(1), {2, 0, kAny}, {8, 0, 102}, {9, 0, 6}}},
        {"Embed", {{0, 1, kAny}, {1, 1, kAny}, kFlag(2), {3, 0, kAny}, {18, 0, 2}}},
        {"Gemm",
         {kFlag(2),
          kFlag(3),
          kFlag(4),
          kFlag(5),
          kFlag(6),
          {7, 0, kAny},
          {8, 0, kAny},
          {9, 0, kAny},
          kFlag(14),
          {18, 0, 2}}},
        {"LSTM", {{0, 1, kAny}, {1, 0, kAny}, {2, 0, 2}, {3, 0, kAny}, {8, 0, 2}}},
        {"Convolution", conv},
        {"Convolution1D", conv},
        {"ConvolutionDepthWise", conv},
        {"ConvolutionDepthWise1D", conv},
        {"Reshape", {{0, -233, kAny}, {1, -233, kAny}, {2, -233, kAny}, {11, -233, kAny}}},
        {"MemoryData", {{0, 0, kAny}, {1, 0, kAny}, {2, 0, kAny}, {11, 0, kAny}}},
        {"Split", {}},
        // sherpa-ncnn's custom layers in icefall's exports
        {"Stack", axis},
        {"SimpleUpsample", {{0, 1, kAny}, {1, 1, kAny}, {2, 0, kAny}}},
        {"TensorAsStrided", {{2, 0, kAny}}},
    };
    return t;
  }();
  return *table;
}

// ncnn reads a value with '.', 'e' or 'E' in it as a float, anything else as an integer.
bool looks_float(const std::string& v) { return v.find_first_of(".eE") != std::string::npos; }

}  // namespace

void check_param_values(const ParamLayer& layer, const std::string& path) {
  const std::string where = "line " + std::to_string(layer.line) + ": layer '" + excerpt(layer.name) + "' (" +
                            excerpt(layer.type) + ") parameter ";
  std::map<int, long long> ints;
  for (const auto& p : layer.params) {
    const auto eq = p.find('=');
    const int key = std::atoi(p.substr(0, eq).c_str());
    const bool is_array = key <= -23300;
    std::string values = p.substr(eq + 1);
    if (is_array) values = values.find(',') == std::string::npos ? "" : values.substr(values.find(',') + 1);
    size_t start = 0;
    while (start < values.size() || (!is_array && start == 0)) {
      size_t comma = is_array ? values.find(',', start) : std::string::npos;
      const std::string v = values.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      char* end = nullptr;
      if (looks_float(v)) {
        const double d = std::strtod(v.c_str(), &end);
        if (v.empty() || *end != '\0' || !std::isfinite(d))
          throw ModelError(path, where + excerpt(p) + ": '" + excerpt(v) + "' is not a finite number");
      } else {
        const long long n = std::strtoll(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0')
          throw ModelError(path, where + excerpt(p) + ": '" + excerpt(v) + "' is not a number");
        if (std::llabs(n) > kMaxParamInt)
          throw ModelError(path, where + excerpt(p) + " is implausibly large (more than " +
                                     std::to_string(kMaxParamInt) + " in size)");
        if (!is_array) ints[key] = n;
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  const auto& table = known_ranges();
  const auto it = table.find(layer.type);
  if (it == table.end()) return;
  for (const Range& r : it->second) {
    const std::string raw = layer.param(std::to_string(r.key));
    if (raw.empty()) continue;  // ncnn's default
    if (looks_float(raw))
      throw ModelError(path, where + std::to_string(r.key) + "=" + excerpt(raw) + " must be an integer");
    const long long n = ints[r.key];
    if (n < r.lo || n > r.hi)
      throw ModelError(path, where + std::to_string(r.key) + "=" + std::to_string(n) + " is outside " +
                                 std::to_string(r.lo) + ".." + std::to_string(r.hi));
  }
}

}  // namespace ncasr
