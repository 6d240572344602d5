#pragma once
// tokens.txt: "symbol id" per line (icefall format). A leading U+2581 ("▁") marks a word
// start and becomes a space in text, as sherpa-ncnn prints it.
//
// icefall's lang folders end tokens.txt with disambiguation symbols ("#0 500", "#1 501"):
// entries of the lexicon's FSTs that the joiner never scores. They may sit past the
// joiner's output size and are then ignored for decoding; any other entry must be a logit.
#include <string>
#include <unordered_map>
#include <vector>

namespace ncasr {

class SymbolTable {
 public:
  static SymbolTable load(const std::string& path);  // throws ModelError
  // "#<digits>", as icefall writes disambiguation symbols.
  static bool is_disambiguation_symbol(const std::string& symbol);

  // Every entry of the file, disambiguation symbols included.
  int size() const { return static_cast<int>(symbols_.size()); }
  // The ids the joiner scores. Before fit_to_joiner: the entries before the trailing run
  // of disambiguation symbols.
  int vocab_size() const { return vocab_size_; }
  int num_disambiguation_symbols() const { return size() - vocab_size_; }
  // Checks the file against the joiner's output size: every entry at or past num_logits
  // must be a disambiguation symbol, and there must be no fewer entries than logits.
  // Throws ModelError naming the file.
  void fit_to_joiner(int num_logits);

  const std::string& path() const { return path_; }
  const std::string& symbol(int id) const { return symbols_.at(id); }
  // Symbol as it appears in text ("▁HELLO" -> " HELLO").
  const std::string& text(int id) const { return texts_.at(id); }
  // -1 if absent.
  int id(const std::string& symbol) const;

 private:
  std::string path_;
  std::vector<std::string> symbols_;
  std::vector<std::string> texts_;
  std::unordered_map<std::string, int> ids_;
  int vocab_size_ = 0;
};

}  // namespace ncasr
