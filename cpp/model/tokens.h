#pragma once
// tokens.txt: "symbol id" per line (icefall format). A leading U+2581 ("▁") marks a word
// start and becomes a space in text, as sherpa-ncnn prints it.
#include <string>
#include <unordered_map>
#include <vector>

namespace ncasr {

class SymbolTable {
 public:
  static SymbolTable load(const std::string& path);  // throws ModelError
  int size() const { return static_cast<int>(symbols_.size()); }
  const std::string& symbol(int id) const { return symbols_.at(id); }
  // Symbol as it appears in text ("▁HELLO" -> " HELLO").
  const std::string& text(int id) const { return texts_.at(id); }
  // -1 if absent.
  int id(const std::string& symbol) const;

 private:
  std::vector<std::string> symbols_;
  std::vector<std::string> texts_;
  std::unordered_map<std::string, int> ids_;
};

}  // namespace ncasr
