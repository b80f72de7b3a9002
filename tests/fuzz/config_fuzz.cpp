// libFuzzer target for the YAML config loader: any file and any --set
// arguments must either load or throw ConfigError; never crash, hang or throw
// anything else. A configuration that loads survives the round trip through
// to_yaml() unchanged (config.h promises it).
//
// Input: the YAML file, optionally followed by a line "#--set" and then one
// override per line ("section.key=value"). The file goes through a memfd, so
// the loader's real file path is exercised.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/config.h"

namespace {

// A memfd holding `text`, closed with the object; path() names it.
class MemFile {
 public:
  explicit MemFile(std::string_view text) : fd_(memfd_create("config-fuzz", MFD_CLOEXEC)) {
    if (fd_ < 0 ||
        (!text.empty() && write(fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))) {
      std::perror("config_fuzz: memfd");
      std::abort();
    }
  }
  ~MemFile() { close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kSetMarker = "#--set\n";
  std::string_view yaml = input;
  std::vector<std::string> overrides;
  if (const size_t at = input.find(kSetMarker); at != std::string_view::npos) {
    yaml = input.substr(0, at);
    std::string_view rest = input.substr(at + kSetMarker.size());
    while (!rest.empty()) {
      const size_t nl = rest.find('\n');
      overrides.emplace_back(rest.substr(0, nl));
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    }
  }

  const MemFile file(yaml);
  lathe::RuntimeConfig config;
  try {
    config = lathe::load_config(file.path(), overrides);
  } catch (const lathe::ConfigError&) {
    return 0;
  }
  const MemFile again(lathe::to_yaml(config));
  if (lathe::load_config(again.path()) != config) {
    std::fprintf(stderr, "config_fuzz: to_yaml() did not round-trip\n");
    std::abort();
  }
  return 0;
}
