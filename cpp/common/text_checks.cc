#include "common/text_checks.h"

#include <algorithm>
#include <cstdio>
#include <string>

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

namespace {

std::string where(const std::string& text, long long at) {
  const long long line = 1 + std::count(text.begin(), text.begin() + at, '\n');
  return " at offset " + std::to_string(at) + " (line " + std::to_string(line) + ")";
}

std::string hex_byte(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", static_cast<unsigned>(c));
  return buf;
}

bool is_control(unsigned char c) { return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f; }

}  // namespace

std::string text_problem(const std::string& text) {
  const long long bad = find_invalid_utf8(text);
  if (bad >= 0) return "not UTF-8 text: byte " + hex_byte(static_cast<unsigned char>(text[bad])) + where(text, bad);
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (is_control(c)) return "not text: control character " + hex_byte(c) + where(text, static_cast<long long>(i));
  }
  return "";
}

std::string excerpt(const std::string& s, size_t max_chars) {
  std::string out;
  size_t chars = 0, i = 0;
  for (; i < s.size() && chars < max_chars; ++chars) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (is_control(c)) {
      out += "\\x" + hex_byte(c).substr(2);
      ++i;
      continue;
    }
    size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;  // whole UTF-8 sequences
    len = std::min(len, s.size() - i);
    out.append(s, i, len);
    i += len;
  }
  if (i < s.size()) out += "... (" + std::to_string(s.size()) + " bytes)";
  return out;
}

}  // namespace ncasr
