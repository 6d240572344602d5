#pragma once
// Writes the SherpaMetaData layer into an encoder .param: the step icefall's export docs
// do by hand (add line 3, bump the layer count on line 2), made checked and atomic.
#include <map>
#include <string>
#include <vector>

namespace ncasr {

struct MetaDataValues {
  std::map<int, int> ints;                 // ids 0-15
  std::map<int, std::vector<int>> arrays;  // ids 16-23
  std::map<int, float> floats;             // ids 24-29
};

// Reads param_path, drops any SherpaMetaData layer, inserts one with `values` as the first
// layer, recomputes line 2, checks that the result loads and its metadata is valid for the
// architecture, then replaces out_path (may equal param_path) atomically. On any error
// nothing is written. Throws ModelError / ConfigError.
void write_meta_data(const std::string& param_path, const MetaDataValues& values, const std::string& out_path);

}  // namespace ncasr
