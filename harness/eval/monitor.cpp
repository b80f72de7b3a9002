#include "harness/eval/monitor.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include "engine/config/knobs.h"
#include "harness/eval/git.h"
#include "harness/eval/results_tsv.h"

namespace lathe::harness {
namespace {

// A results row's commit: the short hash, with '+' appended when the tree had
// uncommitted changes (report.cpp writes it).
bool clean_commit(const std::string& c) { return !c.empty() && c.back() != '+'; }

// The configuration in `text` (a baseline's configs/engine.yaml), or nullopt
// when it does not load.
std::optional<RuntimeConfig> config_from_text(const std::string& text) {
  char path[] = "/tmp/lathe-eval-baseline-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) return std::nullopt;
  ::close(fd);
  {
    std::ofstream f(path, std::ios::binary);
    f << text;
  }
  std::optional<RuntimeConfig> out;
  try {
    out = load_config(path);
  } catch (const std::exception&) {
  }
  std::filesystem::remove(path);
  return out;
}

void classify(const std::string& entry, ChangeReport& r) {
  // entry: "<status> <path>" or "R <old> -> <new>"
  const std::string path = entry.substr(2);
  const auto under = [&](std::string_view dir) {
    return path.starts_with(dir) || path.find(std::string(" -> ") + std::string(dir)) != std::string::npos;
  };
  if (path == "results.tsv" || path.starts_with("results/")) return;
  if (under("configs/")) {
    r.config_files.push_back(entry);
  } else if (under("kernels/")) {
    r.kernel_files.push_back(entry);
  } else if (under("harness/")) {
    r.harness_files.push_back(entry);
  } else {
    r.outside_files.push_back(entry);
  }
}

} // namespace

std::vector<std::string> tradeoff_warnings(const RuntimeConfig& c, const EngineSetup& setup, int64_t longest) {
  std::vector<std::string> w;
  if (c.sampling.temperature == 0.0) {
    w.push_back("greedy decoding (sampling.temperature 0): deterministic replies and the cheapest sampler; "
                "a sampling configuration would be slower and its replies would vary");
  } else if (c.sampling.top_k == 1) {
    w.push_back("sampling.top_k 1 is greedy decoding in disguise");
  }
  if (c.sampling.repeat_penalty != 1.0) {
    w.push_back(fmt::format("repeat penalty {}: changes which tokens come out; harms code and lists that must "
                            "repeat identifiers",
                            c.sampling.repeat_penalty));
  }
  if (c.kv_cache.type != KvCacheType::kF32) {
    w.push_back(fmt::format("KV cache quantization ({}): less memory traffic at long contexts, lossy keys and "
                            "values; watch kl_divergence and ref_perplexity",
                            enum_name(c.kv_cache.type)));
  }
  if (c.kv_cache.max_tokens > 0) {
    w.push_back(fmt::format("rotating KV window of {} tokens{}: the model forgets the oldest tokens once it is "
                            "full",
                            c.kv_cache.max_tokens,
                            c.kv_cache.max_tokens < longest
                                ? fmt::format(", shorter than the workload's longest sequence ({} tokens)", longest)
                                : std::string()));
  }
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  if (setup.threads > cores && cores > 0) {
    w.push_back(fmt::format("threads.count {} exceeds the {} cores: oversubscription makes timings noisy",
                            setup.threads, cores));
  }
  if (c.context.length > 0) {
    w.push_back(fmt::format("context.length {}: the KV cache (and so peak_memory_gb) is sized by it", c.context.length));
  }
  for (const std::string& s : setup.not_applied) w.push_back(s);
  return w;
}

ChangeReport monitor_changes(const MonitorInput& in) {
  ChangeReport r;
  r.warnings = tradeoff_warnings(*in.config, *in.setup, in.longest_sequence);

  const std::filesystem::path surface_config = in.root / "configs" / "engine.yaml";
  std::error_code ec;
  if (!std::filesystem::equivalent(in.config_path, surface_config, ec)) {
    r.flags.push_back(fmt::format("the configuration was read from {}, outside configs/ (LATHE_CONFIG or --config)",
                                  in.config_path.string()));
  }
  for (const std::string& o : in.overrides) r.flags.push_back(fmt::format("--set {} (not in configs/)", o));

  const Git git(in.root);
  r.git = git.available();
  if (!r.git) {
    r.flags.push_back("no git work tree: the change monitor cannot compare with a baseline");
    return r;
  }
  r.head = git.resolve("HEAD").value_or("");
  r.dirty = git.dirty();

  std::vector<std::map<std::string, std::string>> rows;
  try {
    rows = read_result_rows(in.results_file);
  } catch (const std::exception& e) {
    r.flags.push_back(e.what());
  }

  // The baseline: asked for, else the newest passing row of this suite at a
  // clean commit that HEAD descends from, else HEAD itself.
  if (!in.baseline.empty()) {
    if (const auto c = git.resolve(in.baseline)) {
      r.baseline = *c;
      r.baseline_source = fmt::format("--baseline {}", in.baseline);
    } else {
      r.flags.push_back(fmt::format("baseline {} is not a commit; comparing with HEAD", in.baseline));
    }
  }
  if (r.baseline.empty()) {
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
      const std::string& commit = (*it)["commit"];
      if ((*it)["status"] != "pass" || (*it)["suite"] != in.suite_name || !clean_commit(commit)) continue;
      const auto c = git.resolve(commit);
      if (c && git.is_ancestor(*c, r.head)) {
        r.baseline = *c;
        r.baseline_source = fmt::format("the newest passing {} row of {} ({})", in.suite_name,
                                        in.results_file.filename().string(), (*it)["experiment"]);
        break;
      }
    }
  }
  if (r.baseline.empty()) {
    r.baseline = r.head;
    r.baseline_source = "HEAD (no passing row of this suite in the results)";
  }
  const std::string base_short = git.short_hash(r.baseline);
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    if ((*it)["suite"] == in.suite_name && (*it)["commit"] == base_short) {
      r.baseline_workload = (*it)["workload"];
      break;
    }
  }
  if (r.baseline_workload && *r.baseline_workload != in.workload) {
    r.workload_changed = true;
    r.flags.push_back(fmt::format("the workload fingerprint changed: {} at the baseline, {} now",
                                  *r.baseline_workload, in.workload));
  }

  for (const std::string& entry : git.changed_files(r.baseline)) classify(entry, r);
  for (const std::string& f : r.harness_files) r.flags.push_back(fmt::format("harness file changed: {}", f));
  for (const std::string& f : r.outside_files) r.flags.push_back(fmt::format("outside the surface: {}", f));

  const std::optional<std::string> base_text = git.show(r.baseline, "configs/engine.yaml");
  const std::optional<RuntimeConfig> base = base_text ? config_from_text(*base_text) : std::nullopt;
  if (!base) {
    r.flags.push_back("configs/engine.yaml does not load at the baseline: knobs are not compared");
  } else {
    for (const Knob& knob : knobs()) {
      const std::string old_value = format_knob_value(knob, knob.get(*base));
      const std::string new_value = format_knob_value(knob, knob.get(*in.config));
      if (old_value != new_value) r.config_changes.push_back({std::string(knob.name), old_value, new_value});
    }
  }
  return r;
}

} // namespace lathe::harness
