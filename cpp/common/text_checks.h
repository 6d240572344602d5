#pragma once
// Checks for the text files ncasr reads (params, tokens, scale tables) and for quoting
// their content in messages. A file with bytes that are not UTF-8, or with control
// characters (NUL cuts a C string short and would silently drop the rest of a token), is
// refused with the byte offset; quotes in messages are short and printable.
#include <string>

namespace ncasr {

// Offset of the first byte that does not start or continue a valid UTF-8 sequence
// (overlong forms, surrogates and code points past U+10FFFF included); -1 if valid.
long long find_invalid_utf8(const std::string& text);

// "" when text is UTF-8 without control characters other than tab, CR and LF; else e.g.
// "not UTF-8 text: byte 0xff at offset 12 (line 2)" or "control character 0x00 at ...".
std::string text_problem(const std::string& text);

// At most max_chars characters of s for an error message, control characters escaped
// ("\x00"), "..." and the full length when cut.
std::string excerpt(const std::string& s, size_t max_chars = 80);

}  // namespace ncasr
