#include "model/tokens.h"

#include <fstream>
#include <sstream>

#include "common/errors.h"

namespace ncasr {

SymbolTable SymbolTable::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ModelFileNotFound(path, "file not found");
  SymbolTable t;
  std::string line;
  int line_no = 0;
  std::vector<std::pair<std::string, int>> entries;
  int max_id = -1;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::istringstream ls(line);
    std::string sym, extra;
    int id = -1;
    if (!(ls >> sym >> id) || (ls >> extra) || id < 0)
      throw ModelError(path, "line " + std::to_string(line_no) + ": expected '<symbol> <id>', found '" +
                                 line + "'");
    entries.emplace_back(sym, id);
    if (id > max_id) max_id = id;
  }
  if (entries.empty()) throw ModelError(path, "no tokens");
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
  return t;
}

int SymbolTable::id(const std::string& symbol) const {
  auto it = ids_.find(symbol);
  return it == ids_.end() ? -1 : it->second;
}

}  // namespace ncasr
