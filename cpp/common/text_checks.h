#pragma once
// UTF-8 checks for the text files ncasr reads (params, tokens, hotwords, scale tables):
// a file with bytes that are not UTF-8 is refused with the byte offset, instead of
// passing raw bytes on to Python, where they would fail to decode.
#include <string>

namespace ncasr {

// Offset of the first byte that does not start or continue a valid UTF-8 sequence
// (overlong forms, surrogates and code points past U+10FFFF included); -1 if valid.
long long find_invalid_utf8(const std::string& text);

// "" when text is UTF-8, else e.g. "not UTF-8 text: byte 0xff at offset 12 (line 2)".
std::string utf8_problem(const std::string& text);

}  // namespace ncasr
