// temp_dir.h: a directory of the test's own under /tmp, removed with
// everything in it when the fixture goes (the one temp-dir helper of the
// unit tests).
#ifndef TACHY_TESTS_SUPPORT_TEMP_DIR_H_
#define TACHY_TESTS_SUPPORT_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace tachy {

class TempDir {
 public:
  // /tmp/PREFIX-XXXXXX; path() is empty if it could not be made.
  explicit TempDir(const std::string& prefix) {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace tachy

#endif  // TACHY_TESTS_SUPPORT_TEMP_DIR_H_
