// file_text.h: a file's whole content in and out, for tests that prepare or
// inspect files (the one copy of these helpers in the unit tests).
#ifndef TACHY_TESTS_SUPPORT_FILE_TEXT_H_
#define TACHY_TESTS_SUPPORT_FILE_TEXT_H_

#include <fstream>
#include <sstream>
#include <string>

namespace tachy {

// The bytes of `path`; empty if it cannot be read.
inline std::string ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Replaces `path` with `text`; false if it cannot be written.
inline bool WriteFileText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

}  // namespace tachy

#endif  // TACHY_TESTS_SUPPORT_FILE_TEXT_H_
