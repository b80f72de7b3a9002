// SHA-256 digests (OpenSSL libcrypto), as lowercase hex: the LOCK, the model
// file pinned by the suite, and the workload fingerprint.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace lathe::harness {

// The digest of `bytes`: 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);

// The digest of a file's contents, read in 1 MiB pieces. Throws
// std::runtime_error naming the file when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

} // namespace lathe::harness
