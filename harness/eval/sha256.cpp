#include "harness/eval/sha256.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <array>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <vector>

namespace lathe::harness {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

MdCtx new_sha256() {
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL: cannot initialise SHA-256");
  }
  return ctx;
}

std::string finish_hex(EVP_MD_CTX* ctx) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx, digest.data(), &n) != 1) throw std::runtime_error("OpenSSL: SHA-256 failed");
  std::string hex;
  hex.reserve(2 * n);
  for (unsigned int i = 0; i < n; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

} // namespace

std::string sha256_hex(std::string_view bytes) {
  MdCtx ctx = new_sha256();
  if (EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) != 1) throw std::runtime_error("OpenSSL: SHA-256 failed");
  return finish_hex(ctx.get());
}

std::string sha256_file(const std::filesystem::path& path) {
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) throw std::runtime_error(fmt::format("cannot read {}", path.string()));
  MdCtx ctx = new_sha256();
  std::vector<char> buf(size_t{1} << 20);
  for (;;) {
    const size_t n = std::fread(buf.data(), 1, buf.size(), f.get());
    if (n > 0 && EVP_DigestUpdate(ctx.get(), buf.data(), n) != 1) throw std::runtime_error("OpenSSL: SHA-256 failed");
    if (n < buf.size()) break;
  }
  if (std::ferror(f.get())) throw std::runtime_error(fmt::format("error reading {}", path.string()));
  return finish_hex(ctx.get());
}

} // namespace lathe::harness
