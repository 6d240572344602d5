#include "calibration/scale_table.h"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/errors.h"
#include "common/text_checks.h"

namespace ncasr {
namespace {

constexpr size_t kMaxKey = 255;            // ncnn2int8 reads keys with %255s
constexpr size_t kMaxLine = 10240000 - 2;  // its fgets buffer, minus newline and NUL

// Empty when the row is valid, else the reason.
std::string row_problem(const std::string& key, const std::vector<float>& scales) {
  if (key.empty()) return "empty key";
  if (key.size() > kMaxKey) return "key longer than 255 characters ('" + key.substr(0, 40) + "...')";
  for (unsigned char c : key)
    if (std::isspace(c) || c < 0x20) return "key '" + key + "' contains whitespace or control characters";
  if (scales.empty()) return "'" + key + "' has no scale values";
  if (!ScaleTable::is_weight_key(key) && scales.size() != 1)
    return "activation row '" + key + "' must have exactly 1 scale, got " + std::to_string(scales.size()) +
           " (weight rows are named <layer>_param_<i>)";
  for (size_t i = 0; i < scales.size(); ++i) {
    if (!std::isfinite(scales[i])) return "scale " + std::to_string(i) + " of '" + key + "' is not finite";
    if (!(scales[i] > 0.f))
      return "scale " + std::to_string(i) + " of '" + key + "' is not positive (" + std::to_string(scales[i]) + ")";
  }
  return "";
}

bool blank(const std::string& line) {
  for (char c : line)
    if (c != ' ') return false;
  return true;
}

void format_value(std::string& out, float v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, v < 0.1f ? "%e " : "%f ", static_cast<double>(v));
  out += buf;
}

}  // namespace

bool ScaleTable::is_weight_key(const std::string& key) { return key.find("_param_") != std::string::npos; }

ScaleTable ScaleTable::parse(const std::string& text, const std::string& source) {
  if (const std::string problem = text_problem(text); !problem.empty()) throw ModelError(source, problem);
  ScaleTable table;
  std::unordered_map<std::string, int> first_line;
  int empty_line = 0;
  int lineno = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto fail = [&](const std::string& why) {
      throw ModelError(source, "line " + std::to_string(lineno) + ": " + why);
    };
    if (blank(line)) {
      if (!empty_line) empty_line = lineno;
      continue;
    }
    if (empty_line)
      fail("content after the empty line " + std::to_string(empty_line) +
           "; ncnn2int8 stops reading at an empty line, so it would ignore this row and every later one");
    if (line.find('\t') != std::string::npos) fail("tab character; ncnn2int8 separates fields by spaces only");

    std::vector<std::string> tokens;
    std::istringstream ss(line);
    for (std::string tok; ss >> tok;) tokens.push_back(tok);
    const std::string& key = tokens[0];
    std::vector<float> scales;
    for (size_t i = 1; i < tokens.size(); ++i) {
      const std::string& t = tokens[i];
      float v = 0.f;
      const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
      if (r.ec == std::errc::result_out_of_range) fail("value '" + t + "' of '" + key + "' is out of float range");
      if (r.ec != std::errc() || r.ptr != t.data() + t.size()) fail("'" + t + "' in row '" + key + "' is not a number");
      scales.push_back(v);
    }
    const std::string problem = row_problem(key, scales);
    if (!problem.empty()) fail(problem);
    auto seen = first_line.find(key);
    if (seen != first_line.end())
      fail("duplicate key '" + key + "' (first on line " + std::to_string(seen->second) + ")");
    first_line[key] = lineno;
    table.keys_.push_back(key);
    table.index_[key] = std::move(scales);
  }
  if (table.size() == 0) throw ModelError(source, "the scale table has no rows");
  return table;
}

ScaleTable ScaleTable::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) throw ModelFileNotFound(path, "scale table not found");
    throw ModelError(path, std::string("cannot read the scale table: ") + std::strerror(errno));
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return parse(buf.str(), path);
}

std::string ScaleTable::to_string() const {
  std::string out;
  for (const std::string& key : keys_) {
    std::string row = key + " ";
    for (float v : index_.at(key)) format_value(row, v);
    if (row.size() > kMaxLine)
      throw ConfigError("row '" + key + "' is longer than ncnn2int8's 10240000-character line limit");
    out += row;
    out += '\n';
  }
  return out;
}

void ScaleTable::save(const std::string& path) const {
  if (keys_.empty()) throw ConfigError("refusing to write an empty scale table to " + path);
  const std::string text = to_string();
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw ModelError(path, std::string("cannot write the scale table: ") + std::strerror(errno));
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    throw ModelError(path, std::string("cannot write the scale table: ") + std::strerror(err));
  }
}

void ScaleTable::set(const std::string& key, const std::vector<float>& scales) {
  const std::string problem = row_problem(key, scales);
  if (!problem.empty()) throw ConfigError("scale table: " + problem);
  auto it = index_.find(key);
  if (it == index_.end()) keys_.push_back(key);
  index_[key] = scales;
}

const std::vector<float>& ScaleTable::get(const std::string& key) const {
  auto it = index_.find(key);
  if (it == index_.end()) throw ConfigError("scale table has no row '" + key + "'");
  return it->second;
}

bool ScaleTable::erase(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end()) return false;
  index_.erase(it);
  for (size_t i = 0; i < keys_.size(); ++i)
    if (keys_[i] == key) {
      keys_.erase(keys_.begin() + static_cast<long>(i));
      break;
    }
  return true;
}

}  // namespace ncasr
