#pragma once
// Finds the files of a sherpa-ncnn style model folder: encoder/decoder/joiner
// *.param + *.bin (fp32/fp16, or int8 variants named *.int8.param) and tokens.txt.
#include <string>

namespace ncasr {

struct NetFiles {
  std::string param;
  std::string bin;  // "" when the folder holds no .bin for this param
};

struct ModelFiles {
  std::string dir;
  NetFiles encoder, decoder, joiner;
  std::string tokens;  // "" when absent

  // variant: "" (float if present, else int8), "float", or "int8" (an int8 encoder; the
  // decoder and joiner int8 where the folder has them, else float).
  // Throws ModelFileNotFound when a param is missing, ModelError when ambiguous.
  static ModelFiles find(const std::string& dir, const std::string& variant = "");
};

}  // namespace ncasr
