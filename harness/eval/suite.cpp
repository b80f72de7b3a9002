#include "harness/eval/suite.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include "harness/eval/sha256.h"

namespace lathe::harness {
namespace {

// Error helpers: every message names file:line.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& what) const {
    const YAML::Mark m = node.Mark();
    if (m.line >= 0) throw SuiteError(fmt::format("{}:{}:{}: {}", file_, m.line + 1, m.column + 1, what));
    throw SuiteError(fmt::format("{}: {}", file_, what));
  }

  // A map with exactly these keys allowed (required ones must be present).
  void keys(const YAML::Node& map, const std::string& where, std::initializer_list<const char*> required,
            std::initializer_list<const char*> optional = {}) const {
    if (!map.IsMap()) fail(map, fmt::format("{}: expected a map of keys", where));
    std::set<std::string> allowed;
    for (const char* k : required) {
      allowed.insert(k);
      if (!map[k]) fail(map, fmt::format("{}: missing key '{}'", where, k));
    }
    for (const char* k : optional) allowed.insert(k);
    for (const auto& kv : map) {
      const std::string key = kv.first.as<std::string>();
      if (!allowed.contains(key)) fail(kv.first, fmt::format("{}: unknown key '{}'", where, key));
    }
  }

  std::string str(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) fail(n, fmt::format("{}: expected a string", what));
    return n.as<std::string>();
  }

  int64_t integer(const YAML::Node& n, const std::string& what, int64_t min, int64_t max) const {
    int64_t v = 0;
    if (!n.IsScalar() || !YAML::convert<int64_t>::decode(n, v)) fail(n, fmt::format("{}: expected an integer", what));
    if (v < min || v > max) fail(n, fmt::format("{}: {} is out of range [{}, {}]", what, v, min, max));
    return v;
  }

  double number(const YAML::Node& n, const std::string& what, double min, double max) const {
    double v = 0;
    if (!n.IsScalar() || !YAML::convert<double>::decode(n, v)) fail(n, fmt::format("{}: expected a number", what));
    if (!(v >= min && v <= max)) fail(n, fmt::format("{}: {} is out of range [{}, {}]", what, v, min, max));
    return v;
  }

  std::vector<std::string> strings(const YAML::Node& n, const std::string& what) const {
    if (!n.IsSequence() || n.size() == 0) fail(n, fmt::format("{}: expected a non-empty list of strings", what));
    std::vector<std::string> out;
    for (const auto& item : n) {
      out.push_back(str(item, what));
      if (out.back().empty()) fail(item, fmt::format("{}: empty string", what));
    }
    return out;
  }

  Check check(const YAML::Node& n, const std::string& where) const {
    if (!n.IsMap() || n.size() != 1) fail(n, fmt::format("{}: a check is a map of one key, e.g. `contains: [a, b]`", where));
    const std::string kind = n.begin()->first.as<std::string>();
    const YAML::Node v = n.begin()->second;
    const std::string what = fmt::format("{}: {}", where, kind);
    Check c;
    if (kind == "contains" || kind == "contains_any") {
      c.kind = kind == "contains" ? CheckKind::kContains : CheckKind::kContainsAny;
      c.terms = strings(v, what);
    } else if (kind == "number" || kind == "last_number") {
      c.kind = kind == "number" ? CheckKind::kNumber : CheckKind::kLastNumber;
      c.number = number(v, what, -1e18, 1e18);
    } else if (kind == "min_lines" || kind == "min_words" || kind == "max_words") {
      c.kind = kind == "min_lines" ? CheckKind::kMinLines
               : kind == "min_words" ? CheckKind::kMinWords
                                     : CheckKind::kMaxWords;
      c.count = integer(v, what, 1, 1'000'000);
    } else if (kind == "python_def") {
      bool on = false;
      if (!v.IsScalar() || !YAML::convert<bool>::decode(v, on) || !on) fail(v, fmt::format("{}: expected true", what));
      c.kind = CheckKind::kPythonDef;
    } else {
      fail(n, fmt::format("{}: unknown check '{}' (contains, contains_any, number, last_number, min_lines, "
                          "min_words, max_words, python_def)",
                          where, kind));
    }
    return c;
  }

 private:
  std::string file_;
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SuiteError(fmt::format("cannot read {}", path.string()));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool is_hex64(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

} // namespace

std::string Suite::read_harness_file(const std::string& relative) const {
  return read_file(harness_dir / relative);
}

std::string Suite::reference_digest() const {
  // Length-prefixed fields, so that no two workloads serialise alike.
  std::string s;
  const auto add = [&s](std::string_view field) { s += fmt::format("{}:{};", field.size(), field); };
  add("lathe-reference-v1");
  add(model_sha256);
  add(std::to_string(max_new_tokens));
  add(reference_text());
  add(std::to_string(reference_window));
  add(std::to_string(reference_max_tokens));
  add(std::to_string(reference_top_k));
  for (const SuitePrompt& p : prompts) {
    add(p.name);
    add(p.system);
    add(p.user);
  }
  return sha256_hex(s);
}

Suite load_suite(const std::filesystem::path& file) {
  const std::string name = file.string();
  YAML::Node root;
  try {
    root = YAML::LoadFile(name);
  } catch (const YAML::BadFile&) {
    throw SuiteError(fmt::format("cannot read suite {}", name));
  } catch (const YAML::Exception& e) {
    throw SuiteError(fmt::format("{}: {}", name, e.what()));
  }
  const Reader r(name);
  Suite s;
  s.file = file;
  s.harness_dir = file.parent_path();
  r.keys(root, "suite", {"name", "model", "runs", "reference_text", "reference", "bandwidth", "thresholds", "trust",
                         "prompts"},
         {"description"});
  s.name = r.str(root["name"], "name");
  if (root["description"]) s.description = r.str(root["description"], "description");

  const YAML::Node model = root["model"];
  r.keys(model, "model", {"file", "sha256"});
  s.model_file = r.str(model["file"], "model.file");
  s.model_sha256 = r.str(model["sha256"], "model.sha256");
  if (!is_hex64(s.model_sha256)) r.fail(model["sha256"], "model.sha256: expected 64 lowercase hex digits");

  const YAML::Node runs = root["runs"];
  r.keys(runs, "runs", {"warmup", "measured", "max_new_tokens"});
  s.warmup_runs = r.integer(runs["warmup"], "runs.warmup", 0, 100);
  s.measured_runs = r.integer(runs["measured"], "runs.measured", 3, 1000);
  s.max_new_tokens = r.integer(runs["max_new_tokens"], "runs.max_new_tokens", 2, 100'000);

  const YAML::Node text = root["reference_text"];
  r.keys(text, "reference_text", {"file", "window"}, {"max_tokens"});
  s.reference_text_file = r.str(text["file"], "reference_text.file");
  s.reference_window = r.integer(text["window"], "reference_text.window", 16, 100'000);
  if (text["max_tokens"]) s.reference_max_tokens = r.integer(text["max_tokens"], "reference_text.max_tokens", 0, 10'000'000);

  const YAML::Node ref = root["reference"];
  r.keys(ref, "reference", {"file", "top_k"});
  s.reference_file = r.str(ref["file"], "reference.file");
  s.reference_top_k = static_cast<int32_t>(r.integer(ref["top_k"], "reference.top_k", 1, 1000));

  const YAML::Node bw = root["bandwidth"];
  r.keys(bw, "bandwidth", {"buffer_mib", "passes"});
  s.bandwidth_buffer_mib = r.integer(bw["buffer_mib"], "bandwidth.buffer_mib", 1, 1 << 16);
  s.bandwidth_passes = r.integer(bw["passes"], "bandwidth.passes", 1, 1000);

  const YAML::Node th = root["thresholds"];
  r.keys(th, "thresholds", {"kl_divergence_max", "top1_agreement_min", "ref_perplexity_max", "sanity_check_min"});
  s.thresholds.kl_divergence_max = r.number(th["kl_divergence_max"], "thresholds.kl_divergence_max", 0, 100);
  s.thresholds.top1_agreement_min = r.number(th["top1_agreement_min"], "thresholds.top1_agreement_min", 0, 1);
  s.thresholds.ref_perplexity_max = r.number(th["ref_perplexity_max"], "thresholds.ref_perplexity_max", 1, 1e9);
  s.thresholds.sanity_check_min = r.number(th["sanity_check_min"], "thresholds.sanity_check_min", 0, 1);

  const YAML::Node trust = root["trust"];
  r.keys(trust, "trust", {"generation_tps_cv_max", "bandwidth_share_max", "timer_mismatch_max", "cpu_share_min"});
  s.trust.generation_tps_cv_max = r.number(trust["generation_tps_cv_max"], "trust.generation_tps_cv_max", 0, 10);
  s.trust.bandwidth_share_max = r.number(trust["bandwidth_share_max"], "trust.bandwidth_share_max", 0, 100);
  s.trust.timer_mismatch_max = r.number(trust["timer_mismatch_max"], "trust.timer_mismatch_max", 0, 10);
  s.trust.cpu_share_min = r.number(trust["cpu_share_min"], "trust.cpu_share_min", 0, 1);

  const YAML::Node prompts = root["prompts"];
  if (!prompts.IsSequence() || prompts.size() == 0) r.fail(prompts, "prompts: expected a non-empty list");
  std::set<std::string> names;
  for (const auto& p : prompts) {
    r.keys(p, "prompt", {"name", "kind", "user", "checks"}, {"system", "document"});
    SuitePrompt sp;
    sp.name = r.str(p["name"], "prompt name");
    if (!names.insert(sp.name).second) r.fail(p["name"], fmt::format("prompt '{}' appears twice", sp.name));
    const std::string where = fmt::format("prompt '{}'", sp.name);
    sp.kind = r.str(p["kind"], where + ": kind");
    if (p["system"]) sp.system = r.str(p["system"], where + ": system");
    sp.user = r.str(p["user"], where + ": user");
    const size_t slot = sp.user.find("{document}");
    if (p["document"]) {
      sp.document_file = r.str(p["document"], where + ": document");
      if (slot == std::string::npos) r.fail(p["user"], where + ": has a document but no {document} in user");
      sp.user.replace(slot, 10, s.read_harness_file(sp.document_file));
    } else if (slot != std::string::npos) {
      r.fail(p["user"], where + ": {document} in user but no document");
    }
    const YAML::Node checks = p["checks"];
    if (!checks.IsSequence() || checks.size() == 0) r.fail(checks, where + ": checks: expected a non-empty list");
    for (const auto& c : checks) sp.checks.push_back(r.check(c, where));
    s.prompts.push_back(std::move(sp));
  }
  return s;
}

} // namespace lathe::harness
