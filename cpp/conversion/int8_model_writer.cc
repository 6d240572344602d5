#include "conversion/int8_model_writer.h"

#include <filesystem>
#include <fstream>
#include <random>

#include "common/errors.h"
#include "model/inspect.h"
#include "model/layers/compat/custom_layers.h"

namespace fs = std::filesystem;

namespace ncasr {

namespace {

fs::path normal_dir(const std::string& dir) {
  fs::path p = fs::absolute(dir).lexically_normal();
  return p.filename().empty() ? p.parent_path() : p;  // a trailing slash
}

void check_out_dir(const fs::path& src, const fs::path& dst, bool overwrite) {
  for (fs::path p = dst; !p.empty(); p = p.parent_path()) {
    std::error_code ec;
    if (fs::exists(p, ec) && fs::equivalent(p, src, ec))
      throw ConfigError(dst.string() + ": the output folder must not be the model folder or inside it");
    if (p == p.parent_path()) break;
  }
  std::error_code ec;
  if (fs::exists(dst, ec) && !fs::is_directory(dst, ec))
    throw ConfigError(dst.string() + ": the output path exists and is not a folder");
  if (fs::exists(dst, ec) && !fs::is_empty(dst, ec) && !overwrite)
    throw ConfigError(dst.string() + ": output folder is not empty (pass force=True / --force)");
}

// A fresh folder beside `dst` ("." + name + random suffix): same file system, so the final
// rename is atomic.
fs::path make_work_dir(const fs::path& dst) {
  fs::create_directories(dst.parent_path());
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const fs::path work =
        dst.parent_path() / (".ncasr-quantize-" + dst.filename().string() + "-" + std::to_string(rd() % 1000000));
    std::error_code ec;
    if (fs::create_directory(work, ec)) return work;
  }
  throw ConfigError(dst.parent_path().string() + ": cannot create a work folder");
}

void copy_into(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) throw ModelError(to.string(), "cannot be written: " + ec.message());
}

}  // namespace

void check_int8_out_dir(const std::string& model_dir, const std::string& out_dir, bool overwrite) {
  check_out_dir(normal_dir(model_dir), normal_dir(out_dir), overwrite);
}

std::string int8_stem(const std::string& param_path) {
  std::string stem = fs::path(param_path).filename().string();
  if (stem.size() > 6 && stem.compare(stem.size() - 6, 6, ".param") == 0) stem.resize(stem.size() - 6);
  const size_t at = stem.find(".ncnn");
  return at == std::string::npos ? stem + ".int8" : stem.substr(0, at) + ".ncnn.int8" + stem.substr(at + 5);
}

std::vector<NetConversion> write_int8_model(const ModelFiles& files, const std::map<std::string, ConvertOptions>& plan,
                                            const std::string& out_dir, const ScaleTable* table, bool overwrite) {
  const fs::path dst = normal_dir(out_dir);
  check_out_dir(normal_dir(files.dir), dst, overwrite);
  const fs::path work = make_work_dir(dst);
  std::vector<NetConversion> out;
  try {
    const std::pair<const char*, const NetFiles*> nets[] = {
        {"encoder", &files.encoder}, {"decoder", &files.decoder}, {"joiner", &files.joiner}};
    std::vector<std::string> ncasr_only;
    for (const auto& [net, nf] : nets) {
      if (nf->bin.empty()) throw ModelError(nf->param, "has no .bin next to it");
      const ConvertOptions& options = plan.at(net);
      std::string stem = int8_stem(nf->param);
      NetConversion c{net, "",
                      convert_net_int8(nf->param, nf->bin, (work / (stem + ".param")).string(),
                                       (work / (stem + ".bin")).string(), options)};
      if (c.report.quantized == 0 && !options.fp16_storage) {
        // Nothing changed: the float files under their own names.
        fs::remove(work / (stem + ".param"));
        fs::remove(work / (stem + ".bin"));
        copy_into(nf->param, work / fs::path(nf->param).filename());
        copy_into(nf->bin, work / fs::path(nf->bin).filename());
        stem = fs::path(nf->bin).stem().string();
      }
      c.bin_file = stem + ".bin";
      for (const auto& l : c.report.layers)
        if (l.outcome == LayerOutcome::kInt8 && l.int8_type.rfind("Ncasr", 0) == 0)
          ncasr_only.push_back(std::string(net) + "/" + l.name + " (" + l.int8_type + ")");
      out.push_back(std::move(c));
    }
    if (!files.tokens.empty()) copy_into(files.tokens, work / "tokens.txt");
    if (table) table->save((work / "calibration.table").string());
    if (!ncasr_only.empty()) {
      std::ofstream note(work / kNcasrOnlyFile, std::ios::binary);
      note << ncasr_only_note(ncasr_only);
      if (!note) throw ModelError((work / kNcasrOnlyFile).string(), "cannot be written");
    }
    inspect_model(work.string());  // the result must load as a model folder
    std::error_code ec;
    fs::remove_all(dst, ec);
    fs::rename(work, dst, ec);
    if (ec) throw ModelError(dst.string(), "cannot be written: " + ec.message());
  } catch (...) {
    std::error_code ec;
    fs::remove_all(work, ec);
    throw;
  }
  return out;
}

}  // namespace ncasr
