#include "harness/eval/reference.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>
#include <fstream>
#include <sstream>

namespace lathe::harness {
namespace {

static_assert(std::endian::native == std::endian::little, "the reference format is little-endian");

constexpr char kMagic[8] = {'L', 'A', 'T', 'H', 'E', 'R', 'E', 'F'};
constexpr uint32_t kVersion = 1;

template <typename T>
void put(std::string& out, const T* data, size_t n) {
  out.append(reinterpret_cast<const char*>(data), n * sizeof(T));
}

} // namespace

void write_reference(const std::filesystem::path& file, const Reference& ref) {
  nlohmann::json h;
  h["format"] = "lathe reference distributions v1";
  h["workload"] = ref.workload;
  h["model_sha256"] = ref.model_sha256;
  h["k"] = ref.k;
  h["perplexity"] = ref.perplexity;
  h["recorded_with"] = ref.recorded_with;
  h["segments"] = nlohmann::json::array();
  for (const RefSegment& s : ref.segments) {
    h["segments"].push_back({{"name", s.name},
                             {"kind", s.kind},
                             {"tokens", s.tokens},
                             {"continuation", s.continuation},
                             {"reply", s.reply},
                             {"prefill_positions", s.prefill_positions},
                             {"decode_positions", s.decode_positions}});
  }
  const std::string header = h.dump();
  std::string out(kMagic, sizeof kMagic);
  const uint32_t version = kVersion, header_bytes = static_cast<uint32_t>(header.size());
  put(out, &version, 1);
  put(out, &header_bytes, 1);
  out += header;
  for (const RefSegment& s : ref.segments) {
    put(out, s.ids.data(), s.ids.size());
    put(out, s.logprobs.data(), s.logprobs.size());
  }
  const std::filesystem::path tmp = file.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(out.data(), static_cast<std::streamsize>(out.size()));
    if (!f) throw ReferenceError(fmt::format("cannot write {}", tmp.string()));
  }
  std::filesystem::rename(tmp, file);
}

Reference read_reference(const std::filesystem::path& file) {
  const std::string name = file.string();
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ReferenceError(fmt::format("cannot read the reference {} (record it with lathe-eval --record-reference)", name));
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string data = ss.str();
  const auto fail = [&](std::string_view what) { return ReferenceError(fmt::format("{}: {}", name, what)); };
  if (data.size() < 16 || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) throw fail("not a Lathe reference file");
  uint32_t version = 0, header_bytes = 0;
  std::memcpy(&version, data.data() + 8, 4);
  std::memcpy(&header_bytes, data.data() + 12, 4);
  if (version != kVersion) throw fail(fmt::format("version {}, expected {}", version, kVersion));
  if (16 + size_t{header_bytes} > data.size()) throw fail("truncated header");

  Reference ref;
  size_t offset = 16 + header_bytes;
  try {
    const nlohmann::json h = nlohmann::json::parse(data.substr(16, header_bytes));
    ref.workload = h.at("workload").get<std::string>();
    ref.model_sha256 = h.at("model_sha256").get<std::string>();
    ref.k = h.at("k").get<int32_t>();
    ref.perplexity = h.at("perplexity").get<double>();
    ref.recorded_with = h.at("recorded_with");
    if (ref.k <= 0) throw fail("k must be positive");
    for (const auto& js : h.at("segments")) {
      RefSegment s;
      s.name = js.at("name").get<std::string>();
      s.kind = js.at("kind").get<std::string>();
      s.tokens = js.at("tokens").get<std::vector<int32_t>>();
      s.continuation = js.at("continuation").get<std::vector<int32_t>>();
      s.reply = js.at("reply").get<std::string>();
      s.prefill_positions = js.at("prefill_positions").get<int64_t>();
      s.decode_positions = js.at("decode_positions").get<int64_t>();
      if (s.prefill_positions != static_cast<int64_t>(s.tokens.size()) || s.decode_positions < 0 ||
          (s.decode_positions > 0 && s.decode_positions + 1 != static_cast<int64_t>(s.continuation.size()))) {
        throw fail(fmt::format("segment {}: position counts do not match its tokens", s.name));
      }
      const size_t n = static_cast<size_t>(s.positions()) * static_cast<size_t>(ref.k);
      if (offset + n * 8 > data.size()) throw fail(fmt::format("segment {}: truncated data", s.name));
      s.ids.resize(n);
      s.logprobs.resize(n);
      std::memcpy(s.ids.data(), data.data() + offset, n * 4);
      offset += n * 4;
      std::memcpy(s.logprobs.data(), data.data() + offset, n * 4);
      offset += n * 4;
      ref.segments.push_back(std::move(s));
    }
  } catch (const nlohmann::json::exception& e) {
    throw fail(fmt::format("bad header: {}", e.what()));
  }
  if (offset != data.size()) throw fail(fmt::format("{} bytes of trailing data", data.size() - offset));
  return ref;
}

} // namespace lathe::harness
