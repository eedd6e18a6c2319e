// Text from outside (labels, names, file contents, server logs, plugin messages) as it may
// reach a terminal: control characters would clear the screen, retitle the window or fake
// lines, so every one is shown escaped; so are the invisible characters that reorder or hide
// what is shown (bidirectional overrides such as U+202E, zero-width spaces and joiners), which
// would make a label read as another. Printable UTF-8 passes as it is.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace labour {

// "\n" -> "\\n", ESC -> "\\x1b", DEL -> "\\x7f", C1 controls (U+0080..U+009F, which some
// terminals obey as ESC sequences) -> "\\u009b", bidirectional controls and invisible
// characters (format_invisible) -> "\\u202e", bytes that are not UTF-8 -> "\\xNN".
// U+061C, U+200B..U+200F, U+202A..U+202E, U+2060..U+2064, U+2066..U+206F, U+FEFF: shown by a
// terminal as nothing, or as a reordering of what follows.
inline bool format_invisible(char32_t cp) {
  return cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x2066 && cp <= 0x206f) || cp == 0xfeff;
}

inline std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto hex = [&out](const char* format, unsigned value) {
    char buf[8];
    std::snprintf(buf, sizeof buf, format, value);
    out += buf;
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n' || c == '\r' || c == '\t') {
      out += c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t";
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      hex("\\x%02x", c);
      ++i;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else {
      // A UTF-8 sequence: its length from the lead byte, each continuation byte checked.
      const std::size_t len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
      bool valid = len > 0 && i + len <= text.size() && c >= 0xc2 && c <= 0xf4;
      for (std::size_t k = 1; valid && k < len; ++k)
        valid = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
      if (valid && len > 2) {  // no overlong forms, no surrogates, nothing past U+10FFFF
        const auto second = static_cast<unsigned char>(text[i + 1]);
        valid = !(c == 0xe0 && second < 0xa0) && !(c == 0xed && second >= 0xa0) &&
                !(c == 0xf0 && second < 0x90) && !(c == 0xf4 && second >= 0x90);
      }
      if (!valid) {
        hex("\\x%02x", c);
        ++i;
      } else if (c == 0xc2 && static_cast<unsigned char>(text[i + 1]) < 0xa0) {
        hex("\\u%04x", static_cast<unsigned char>(text[i + 1]));  // C1: U+0080..U+009F
        i += 2;
      } else {
        char32_t cp = len == 2 ? (c & 0x1fu) : len == 3 ? (c & 0x0fu) : (c & 0x07u);
        for (std::size_t k = 1; k < len; ++k)
          cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3fu);
        if (format_invisible(cp))
          hex("\\u%04x", static_cast<unsigned>(cp));
        else
          out.append(text.substr(i, len));
        i += len;
      }
    }
  }
  return out;
}

}  // namespace labour
