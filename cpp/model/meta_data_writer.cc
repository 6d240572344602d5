#include "model/meta_data_writer.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/errors.h"
#include "model/meta_data.h"
#include "model/param_file.h"

namespace fs = std::filesystem;

namespace ncasr {
namespace {

std::string format_values(const MetaDataValues& v) {
  std::ostringstream out;
  for (const auto& [id, x] : v.ints) {
    if (id < 0 || id > 15) throw ConfigError("int metadata ids are 0-15, got " + std::to_string(id));
    out << " " << id << "=" << x;
  }
  for (const auto& [id, xs] : v.arrays) {
    if (id < 16 || id > 23) throw ConfigError("array metadata ids are 16-23, got " + std::to_string(id));
    out << " -" << 23300 + id << "=" << xs.size();
    for (int x : xs) out << "," << x;
  }
  for (const auto& [id, x] : v.floats) {
    if (id < 24 || id > 29) throw ConfigError("float metadata ids are 24-29, got " + std::to_string(id));
    if (!std::isfinite(x)) throw ConfigError("float metadata must be finite");
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%e", x);  // a '.' or 'e' marks a float for ncnn
    out << " " << id << "=" << buf;
  }
  return out.str();
}

}  // namespace

void write_meta_data(const std::string& param_path, const MetaDataValues& values, const std::string& out_path) {
  ParamFile pf = ParamFile::load(param_path);
  std::vector<ParamLayer> layers;
  for (auto& l : pf.layers)
    if (l.type != "SherpaMetaData") layers.push_back(std::move(l));
  ParamLayer meta;
  meta.type = "SherpaMetaData";
  meta.name = "sherpa_meta_data1";  // the name sherpa-ncnn looks for
  std::istringstream kv(format_values(values));
  std::string tok;
  while (kv >> tok) meta.params.push_back(tok);
  layers.insert(layers.begin(), meta);
  pf.layers = std::move(layers);
  std::string text = pf.to_text();

  // Write next to the destination, validate, then rename over it.
  const fs::path out(out_path);
  const fs::path tmp = out.parent_path() / (".tmp-" + out.filename().string());
  {
    std::ofstream f(tmp, std::ios::binary);
    if (!(f << text)) throw ModelError(out_path, "cannot be written");
  }
  try {
    ModelMetaData::read(tmp.string());
  } catch (const ModelError& e) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw ModelError(param_path, "metadata not written: " + e.reason());
  }
  std::error_code ec;
  fs::rename(tmp, out, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw ModelError(out_path, "cannot replace the file");
  }
}

}  // namespace ncasr
