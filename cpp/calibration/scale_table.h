#pragma once
// ncnn2table's int8 scale table, readable by ncnn2int8 and by ncasr's converter.
//
// One row per line: `key v1 v2 ... ` (single spaces, `%f` values, a trailing space).
//  - weight rows: key contains "_param_" (e.g. `conv1_param_0 49.14 54.46 ...`), >= 1 value;
//  - activation rows: the consuming layer's name (e.g. `fc1 31.064690`), exactly 1 value.
// ncnn2int8 stops reading at the first empty (or blank) line, splits on spaces only and
// keeps at most 255 characters of a key, so save() never writes such things and load()
// rejects them instead of silently losing rows.
#include <string>
#include <unordered_map>
#include <vector>

namespace ncasr {

class ScaleTable {
 public:
  static bool is_weight_key(const std::string& key);

  // ModelError(path, "line N: ...") for malformed rows, duplicates, non-finite or
  // non-positive scales, tabs, content after an empty line, or a table with no rows.
  static ScaleTable load(const std::string& path);
  static ScaleTable parse(const std::string& text, const std::string& source = "<string>");

  // Written atomically (temporary file + rename). Values below 0.1 are written in %e so they
  // keep their precision (ncnn2int8 reads numbers with strtof/sscanf, which takes both).
  void save(const std::string& path) const;
  std::string to_string() const;

  // ConfigError for an invalid key or scales (see load); replaces an existing row in place.
  void set(const std::string& key, const std::vector<float>& scales);
  bool contains(const std::string& key) const { return index_.count(key) != 0; }
  const std::vector<float>& get(const std::string& key) const;  // ConfigError if absent
  bool erase(const std::string& key);

  const std::vector<std::string>& keys() const { return keys_; }  // in file / insertion order
  size_t size() const { return keys_.size(); }

 private:
  std::vector<std::string> keys_;
  std::unordered_map<std::string, std::vector<float>> index_;
};

}  // namespace ncasr
