#pragma once
// An ncnn DataReader over a .bin file that remembers how far the layers read, whether a
// read ran past the end, and the first 4 bytes of the latest read (a blob's storage tag),
// so short or foreign weight files are reported precisely.
#include <datareader.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace ncasr {

class FileReader : public ncnn::DataReader {
 public:
  // Throws ModelFileNotFound / ModelError.
  explicit FileReader(const std::string& path);
  ~FileReader() override;
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  size_t read(void* buf, size_t size) const override;
  int scan(const char*, void*) const override { return 0; }

  long long offset() const { return offset_; }
  long long file_size() const { return file_size_; }
  bool short_read() const { return short_read_; }
  // The first 4 bytes of the first read since forget_tag() (a blob's storage tag).
  bool has_tag() const { return tag_set_; }
  uint32_t tag() const { return tag_; }
  void forget_tag() const { tag_set_ = false; }

 private:
  FILE* fp_ = nullptr;
  long long file_size_ = 0;
  mutable long long offset_ = 0;
  mutable bool short_read_ = false;
  mutable bool tag_set_ = false;
  mutable uint32_t tag_ = 0;
};

}  // namespace ncasr
