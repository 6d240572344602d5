#include "model/model_files.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "common/errors.h"

namespace fs = std::filesystem;

namespace ncasr {
namespace {

bool is_int8_name(const std::string& name) { return name.find(".int8.") != std::string::npos; }

NetFiles find_net(const fs::path& dir, const std::string& part, const std::string& variant) {
  std::vector<std::string> floats, int8s;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(part, 0) != 0 || entry.path().extension() != ".param") continue;
    (is_int8_name(name) ? int8s : floats).push_back(entry.path().string());
  }
  std::vector<std::string>* chosen = nullptr;
  if (variant == "int8")
    chosen = &int8s;
  else if (variant == "float")
    chosen = &floats;
  else
    chosen = floats.empty() ? &int8s : &floats;
  if (chosen->empty())
    throw ModelFileNotFound(
        (dir / (part + "*.param")).string(),
        "no " + (variant.empty() ? std::string() : variant + " ") + part + " param file in this folder");
  if (chosen->size() > 1) {
    std::sort(chosen->begin(), chosen->end());
    std::string list;
    for (const auto& p : *chosen) list += "\n  " + p;
    throw ModelError(dir.string(), "several " + part + " param files; keep one per variant:" + list);
  }
  NetFiles files;
  files.param = chosen->front();
  fs::path bin = fs::path(files.param).replace_extension(".bin");
  if (fs::exists(bin, ec)) files.bin = bin.string();
  return files;
}

}  // namespace

ModelFiles ModelFiles::find(const std::string& dir, const std::string& variant) {
  if (variant != "" && variant != "float" && variant != "int8")
    throw ConfigError("model variant must be 'float' or 'int8', got '" + variant + "'");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    if (!fs::exists(dir, ec)) throw ModelFileNotFound(dir, "model folder not found");
    throw ModelError(dir, "is not a folder (pass the folder that holds the model files)");
  }
  ModelFiles m;
  m.dir = dir;
  m.encoder = find_net(dir, "encoder", variant);
  // The int8 variant needs an int8 encoder; decoder and joiner often have nothing worth
  // quantizing (one frame at a time, vector inputs) and stay float: take the int8 file
  // where there is one, else the float one.
  auto int8_or_float = [&dir](const std::string& part) {
    try {
      return find_net(dir, part, "int8");
    } catch (const ModelFileNotFound&) {
      return find_net(dir, part, "float");
    }
  };
  m.decoder = variant == "int8" ? int8_or_float("decoder") : find_net(dir, "decoder", variant);
  m.joiner = variant == "int8" ? int8_or_float("joiner") : find_net(dir, "joiner", variant);
  fs::path tokens = fs::path(dir) / "tokens.txt";
  if (fs::exists(tokens, ec)) m.tokens = tokens.string();
  return m;
}

}  // namespace ncasr
