#pragma once
// The text form of an ncnn .param file, parsed and checked by ncasr itself so that a
// malformed file gets a message naming the line, and so tools (inspect, export, the
// int8 converter) can read and rewrite a graph without ncnn's private classes.
#include <map>
#include <string>
#include <vector>

namespace ncasr {

struct ParamLayer {
  std::string type;
  std::string name;
  std::vector<std::string> bottoms;
  std::vector<std::string> tops;
  std::vector<std::string> params;  // raw "key=value" tokens, in file order
  int line = 0;                     // 1-based line number in the file

  // Raw value of `key` (e.g. "0", "-23316"), or "" if absent.
  std::string param(const std::string& key) const;
};

struct ParamFile {
  static constexpr int kMagic = 7767517;

  std::string path;
  int declared_layer_count = 0;
  int declared_blob_count = 0;
  std::vector<ParamLayer> layers;

  // Reads and validates `path`; throws ModelFileNotFound / ModelError.
  static ParamFile load(const std::string& path);
  // Parses text (path is only used in messages).
  static ParamFile parse(const std::string& text, const std::string& path);

  // Blobs produced by some layer (each produced exactly once in a valid graph).
  int blob_count() const;
  std::map<std::string, int> layer_type_counts() const;
  const ParamLayer* find_layer_of_type(const std::string& type) const;

  // Serialises back to ncnn's text format with the header counts recomputed.
  std::string to_text() const;
};

}  // namespace ncasr
