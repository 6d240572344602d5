#include "runtime/file_reader.h"

#include <cstring>
#include <filesystem>

#include "common/errors.h"

namespace ncasr {

FileReader::FileReader(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw ModelFileNotFound(path, "file not found");
  file_size_ = static_cast<long long>(std::filesystem::file_size(path, ec));
  if (ec) throw ModelError(path, "cannot read its size");
  fp_ = std::fopen(path.c_str(), "rb");
  if (!fp_) throw ModelError(path, "cannot be opened");
}

FileReader::~FileReader() {
  if (fp_) std::fclose(fp_);
}

size_t FileReader::read(void* buf, size_t size) const {
  const size_t n = std::fread(buf, 1, size, fp_);
  if (!tag_set_ && size == 4 && n == 4) {
    std::memcpy(&tag_, buf, 4);
    tag_set_ = true;
  }
  offset_ += static_cast<long long>(n);
  if (n < size) short_read_ = true;
  return n;
}

}  // namespace ncasr
