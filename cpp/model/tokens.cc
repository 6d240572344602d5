#include "model/tokens.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>

#include "common/errors.h"
#include "common/text_checks.h"

namespace ncasr {

bool SymbolTable::is_disambiguation_symbol(const std::string& symbol) {
  return symbol.size() >= 2 && symbol[0] == '#' && symbol.find_first_not_of("0123456789", 1) == std::string::npos;
}

SymbolTable SymbolTable::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelFileNotFound(path, "file not found");
  const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (const std::string problem = text_problem(content); !problem.empty()) throw ModelError(path, problem);
  SymbolTable t;
  t.path_ = path;
  std::istringstream lines(content);
  std::string line;
  int line_no = 0;
  std::vector<std::pair<std::string, int>> entries;
  int max_id = -1;
  while (std::getline(lines, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::istringstream ls(line);
    std::string sym, extra;
    long long id = -1;
    if (!(ls >> sym >> id) || (ls >> extra) || id < 0)
      throw ModelError(path,
                       "line " + std::to_string(line_no) + ": expected '<symbol> <id>', found '" + excerpt(line) + "'");
    if (id > std::numeric_limits<int>::max())
      throw ModelError(path,
                       "line " + std::to_string(line_no) + ": token id " + std::to_string(id) + " is out of range");
    entries.emplace_back(sym, static_cast<int>(id));
    if (id > max_id) max_id = static_cast<int>(id);
  }
  if (entries.empty()) throw ModelError(path, "no tokens");
  // Ids run 0..n-1: an id past that means some id below it is missing (found before
  // sizing the table by the largest id).
  if (max_id >= static_cast<int>(entries.size())) {
    std::vector<bool> below(entries.size(), false);
    for (const auto& e : entries)
      if (e.second < static_cast<int>(entries.size())) below[e.second] = true;
    const auto gap = std::find(below.begin(), below.end(), false) - below.begin();
    throw ModelError(path, "token id " + std::to_string(gap) + " is missing");
  }
  t.symbols_.assign(max_id + 1, "");
  std::vector<bool> seen(max_id + 1, false);
  for (const auto& [sym, id] : entries) {
    if (seen[id]) throw ModelError(path, "token id " + std::to_string(id) + " appears twice");
    seen[id] = true;
    t.symbols_[id] = sym;
    t.ids_[sym] = id;
  }
  for (int id = 0; id <= max_id; ++id)
    if (!seen[id]) throw ModelError(path, "token id " + std::to_string(id) + " is missing");
  static const std::string kWordStart = "\xe2\x96\x81";  // U+2581
  for (const auto& s : t.symbols_) {
    std::string txt = s;
    if (txt.compare(0, kWordStart.size(), kWordStart) == 0) txt = " " + txt.substr(kWordStart.size());
    t.texts_.push_back(txt);
  }
  t.vocab_size_ = t.size();
  while (t.vocab_size_ > 0 && is_disambiguation_symbol(t.symbols_[t.vocab_size_ - 1])) --t.vocab_size_;
  return t;
}

void SymbolTable::fit_to_joiner(int num_logits) {
  const std::string logits = "the joiner outputs " + std::to_string(num_logits) + " logits";
  if (size() < num_logits) throw ModelError(path_, "has " + std::to_string(size()) + " tokens but " + logits);
  for (int id = num_logits; id < size(); ++id)
    if (!is_disambiguation_symbol(symbols_[id]))
      throw ModelError(path_, "token '" + excerpt(symbols_[id]) + "' (id " + std::to_string(id) + ") is past " +
                                  logits + " and is not a disambiguation symbol (#N)");
  vocab_size_ = num_logits;
}

int SymbolTable::id(const std::string& symbol) const {
  auto it = ids_.find(symbol);
  return it == ids_.end() ? -1 : it->second;
}

}  // namespace ncasr
