#include "model/param_file.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/errors.h"
#include "common/text_checks.h"
#include "model/param_ranges.h"

namespace ncasr {
namespace {

std::vector<std::string> split_ws(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string tok;
  while (in >> tok) out.push_back(tok);
  return out;
}

bool parse_int(const std::string& s, int* value) {
  if (s.empty()) return false;
  size_t pos = 0;
  try {
    *value = std::stoi(s, &pos);
  } catch (const std::exception&) {
    return false;
  }
  return pos == s.size();
}

std::string at_line(int line) { return "line " + std::to_string(line) + ": "; }

}  // namespace

std::string ParamLayer::param(const std::string& key) const {
  const std::string prefix = key + "=";
  for (const auto& p : params) {
    if (p.compare(0, prefix.size(), prefix) == 0) return p.substr(prefix.size());
  }
  return "";
}

ParamFile ParamFile::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw ModelFileNotFound(path, "file not found");
    throw ModelError(path, "cannot be read");
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return parse(buf.str(), path);
}

ParamFile ParamFile::parse(const std::string& text, const std::string& path) {
  if (const std::string problem = text_problem(text); !problem.empty()) throw ModelError(path, problem);
  ParamFile pf;
  pf.path = path;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  bool have_magic = false, have_counts = false;
  std::set<std::string> produced;
  std::set<std::string> names;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto tok = split_ws(line);
    if (tok.empty()) continue;
    if (!have_magic) {
      int magic = 0;
      if (!parse_int(tok[0], &magic) || magic != kMagic)
        throw ModelError(path, at_line(line_no) + "not an ncnn param file (expected magic " + std::to_string(kMagic) +
                                   ", found '" + excerpt(tok[0]) + "')");
      have_magic = true;
      continue;
    }
    if (!have_counts) {
      if (tok.size() != 2 || !parse_int(tok[0], &pf.declared_layer_count) ||
          !parse_int(tok[1], &pf.declared_blob_count) || pf.declared_layer_count < 0 || pf.declared_blob_count < 0)
        throw ModelError(path,
                         at_line(line_no) + "expected '<layer count> <blob count>', found '" + excerpt(line) + "'");
      have_counts = true;
      continue;
    }
    ParamLayer layer;
    layer.line = line_no;
    int nb = 0, nt = 0;
    if (tok.size() < 4 || !parse_int(tok[2], &nb) || !parse_int(tok[3], &nt) || nb < 0 || nt < 0)
      throw ModelError(path, at_line(line_no) + "expected '<type> <name> <bottom count> <top count> ...', found '" +
                                 excerpt(line) + "'");
    if (tok.size() < 4 + static_cast<size_t>(nb) + nt)
      throw ModelError(path, at_line(line_no) + "layer '" + excerpt(tok[1]) + "' declares " + std::to_string(nb) +
                                 " inputs and " + std::to_string(nt) + " outputs but lists fewer blob names");
    layer.type = tok[0];
    layer.name = tok[1];
    if (!names.insert(layer.name).second)
      throw ModelError(path, at_line(line_no) + "duplicate layer name '" + excerpt(layer.name) + "'");
    size_t i = 4;
    for (int k = 0; k < nb; ++k) layer.bottoms.push_back(tok[i++]);
    for (int k = 0; k < nt; ++k) layer.tops.push_back(tok[i++]);
    for (; i < tok.size(); ++i) {
      const auto& p = tok[i];
      auto eq = p.find('=');
      int key = 0;
      if (eq == std::string::npos || eq == 0 || eq + 1 == p.size() || !parse_int(p.substr(0, eq), &key))
        throw ModelError(path, at_line(line_no) + "layer '" + excerpt(layer.name) + "' has a malformed parameter '" +
                                   excerpt(p) + "'");
      bool is_array = key <= -23300;
      int id = is_array ? -key - 23300 : key;
      if (id < 0 || id > 31)
        throw ModelError(path, at_line(line_no) + "layer '" + excerpt(layer.name) + "' parameter id " +
                                   std::to_string(id) + " is outside 0..31");
      if (is_array) {
        // "-233NN=len,v1,...": the count must match what follows.
        std::string rest = p.substr(eq + 1);
        size_t comma = rest.find(',');
        int len = -1;
        size_t n_values = 0;
        if (comma != std::string::npos) {
          for (char c : rest.substr(comma)) n_values += c == ',';
        }
        if (!parse_int(rest.substr(0, comma), &len) || len < 0 || static_cast<size_t>(len) != n_values)
          throw ModelError(path, at_line(line_no) + "layer '" + excerpt(layer.name) + "' array parameter " +
                                     std::to_string(id) + " declares " + excerpt(rest.substr(0, comma)) +
                                     " values but lists " + std::to_string(n_values));
      }
      layer.params.push_back(p);
    }
    check_param_values(layer, path);
    for (const auto& b : layer.bottoms) {
      if (!produced.count(b))
        throw ModelError(path, at_line(line_no) + "layer '" + excerpt(layer.name) + "' reads blob '" + excerpt(b) +
                                   "' that no earlier layer produces");
    }
    for (const auto& t : layer.tops) {
      if (!produced.insert(t).second)
        throw ModelError(path, at_line(line_no) + "blob '" + excerpt(t) + "' is produced twice");
    }
    pf.layers.push_back(std::move(layer));
  }
  if (!have_magic) throw ModelError(path, "empty param file");
  if (!have_counts) throw ModelError(path, "missing the '<layer count> <blob count>' line");
  if (static_cast<int>(pf.layers.size()) != pf.declared_layer_count)
    throw ModelError(path, "line 2 declares " + std::to_string(pf.declared_layer_count) + " layers but the file has " +
                               std::to_string(pf.layers.size()));
  if (pf.blob_count() > pf.declared_blob_count)
    throw ModelError(path, "line 2 declares " + std::to_string(pf.declared_blob_count) +
                               " blobs but the layers produce " + std::to_string(pf.blob_count()));
  // ncnn sizes its blob table by the declared count and tolerates spare entries; far more
  // than the graph has is damage, and would cost memory for nothing.
  if (pf.declared_blob_count > 2 * pf.blob_count() + 16)
    throw ModelError(path, "line 2 declares " + std::to_string(pf.declared_blob_count) +
                               " blobs but the layers produce only " + std::to_string(pf.blob_count()));
  std::set<std::string> read;
  for (const auto& l : pf.layers) read.insert(l.bottoms.begin(), l.bottoms.end());
  for (const auto& l : pf.layers) {
    if (l.type != "Input" || l.tops.empty()) continue;
    if (!read.count(l.tops[0]))
      throw ModelError(path, "line " + std::to_string(l.line) + ": input blob '" + excerpt(l.tops[0]) +
                                 "' is never read by any layer");
  }
  return pf;
}

int ParamFile::blob_count() const {
  int n = 0;
  for (const auto& l : layers) n += static_cast<int>(l.tops.size());
  return n;
}

std::map<std::string, int> ParamFile::layer_type_counts() const {
  std::map<std::string, int> counts;
  for (const auto& l : layers) ++counts[l.type];
  return counts;
}

const ParamLayer* ParamFile::find_layer_of_type(const std::string& type) const {
  for (const auto& l : layers)
    if (l.type == type) return &l;
  return nullptr;
}

std::string ParamFile::to_text() const {
  std::ostringstream out;
  out << kMagic << "\n" << layers.size() << " " << blob_count() << "\n";
  for (const auto& l : layers) {
    out << l.type << " " << l.name << " " << l.bottoms.size() << " " << l.tops.size();
    for (const auto& b : l.bottoms) out << " " << b;
    for (const auto& t : l.tops) out << " " << t;
    for (const auto& p : l.params) out << " " << p;
    out << "\n";
  }
  return out.str();
}

}  // namespace ncasr
