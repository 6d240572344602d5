#pragma once
// Writes a whole int8 model folder from a float one and a conversion plan: one converted
// file pair per net (named *.ncnn.int8.*; a net with nothing to quantize keeps its float
// file and name unless fp16 storage rewrites it), tokens.txt, the calibration table when
// there is one, and NCASR-ONLY.txt when ncasr's own layer types were written. The folder is
// built beside `out_dir` and renamed into place only after it loads as a model, so
// `out_dir` never holds half a model. Shared by `ncasr.quantize` and `ncasr-quantize`.
#include <map>
#include <string>
#include <vector>

#include "calibration/scale_table.h"
#include "conversion/int8_converter.h"
#include "model/model_files.h"

namespace ncasr {

struct NetConversion {
  std::string net;       // "encoder", "decoder" or "joiner"
  std::string bin_file;  // file name written in the output folder
  ConvertReport report;
};

// ConfigError when `out_dir` is the model folder or inside it, or is not empty and
// `overwrite` is false. `table` (may be null) is saved as calibration.table.
std::vector<NetConversion> write_int8_model(const ModelFiles& files, const std::map<std::string, ConvertOptions>& plan,
                                            const std::string& out_dir, const ScaleTable* table, bool overwrite);

// The checks write_int8_model makes on `out_dir` first; call it before slow planning.
void check_int8_out_dir(const std::string& model_dir, const std::string& out_dir, bool overwrite);

// "encoder_jit_trace-pnnx.ncnn.param" -> "encoder_jit_trace-pnnx.ncnn.int8" (no extension).
std::string int8_stem(const std::string& param_path);

}  // namespace ncasr
