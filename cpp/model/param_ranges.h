#pragma once
// Plausible values of layer parameters. ncnn reads a param file's numbers as they are: an
// operation code, axis or flag out of range, or a size of a billion, makes a layer leave an
// empty blob that the next layer divides by, or allocate gigabytes before anything compares
// the size with the .bin. ncasr checks the values first and names the layer instead.
#include <string>

namespace ncasr {

struct ParamLayer;

// Largest integer a parameter may hold (sizes, counts, dimensions): far above any speech
// model's (a full-size encoder's biggest weight blob has about 10^6 values).
constexpr long long kMaxParamInt = 100'000'000;

// Throws ModelError(path, ...) naming the line, layer and parameter when a value is not a
// number ncnn would read, an integer is past kMaxParamInt, a float is not finite, or a
// parameter of a known layer type is outside the range ncnn's layer accepts.
void check_param_values(const ParamLayer& layer, const std::string& path);

}  // namespace ncasr
