#include "common/utf8.h"

#include <algorithm>
#include <cstdio>

namespace ncasr {

long long find_invalid_utf8(const std::string& text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // past U+10FFFF
    } else {
      return static_cast<long long>(i);
    }
    if (i + 1 >= n || s[i + 1] < lo || s[i + 1] > hi) return static_cast<long long>(i);
    for (size_t k = 2; k < len; ++k)
      if (i + k >= n || (s[i + k] & 0xC0) != 0x80) return static_cast<long long>(i);
    i += len;
  }
  return -1;
}

std::string utf8_problem(const std::string& text) {
  const long long at = find_invalid_utf8(text);
  if (at < 0) return "";
  const long long line = 1 + std::count(text.begin(), text.begin() + at, '\n');
  char buf[96];
  std::snprintf(buf, sizeof buf, "not UTF-8 text: byte 0x%02x at offset %lld (line %lld)",
                static_cast<unsigned>(static_cast<unsigned char>(text[at])), at, line);
  return buf;
}

}  // namespace ncasr
