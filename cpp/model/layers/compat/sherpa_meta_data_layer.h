#pragma once
// The SherpaMetaData layer: 0 inputs, 0 outputs, never runs. It only carries the
// model's metadata in its params: ids 0-15 ints, 16-23 int arrays, 24-29 floats
// (ncnn itself owns 30 and 31).
#include <layer.h>

#include <array>
#include <vector>

namespace ncasr {

class SherpaMetaDataLayer : public ncnn::Layer {
 public:
  static constexpr int kNumInts = 16;
  static constexpr int kFirstArray = 16;
  static constexpr int kNumArrays = 8;
  static constexpr int kFirstFloat = 24;
  static constexpr int kNumFloats = 6;

  SherpaMetaDataLayer();
  int load_param(const ncnn::ParamDict& pd) override;

  std::array<int, kNumInts> ints{};
  std::array<bool, kNumInts> has_int{};
  std::array<std::vector<int>, kNumArrays> arrays;
  std::array<bool, kNumArrays> has_array{};
  std::array<float, kNumFloats> floats{};
  std::array<bool, kNumFloats> has_float{};
  // Ids whose value had the wrong kind (e.g. a float where an int belongs).
  std::vector<int> wrong_kind;
};

}  // namespace ncasr
