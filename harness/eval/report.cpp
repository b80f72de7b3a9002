#include "harness/eval/report.h"

#include <fmt/format.h>

#include "harness/eval/results_tsv.h"

namespace lathe::harness {
namespace {

nlohmann::json summary_json(const Summary& s) {
  return {{"mean", s.mean}, {"median", s.median}, {"min", s.min}, {"max", s.max}, {"stddev", s.stddev}, {"cv", s.cv},
          {"n", s.n}};
}

nlohmann::json divergence_json(const DivergenceStats& d) {
  nlohmann::json j = {{"positions", d.positions},
                      {"kl_mean", d.mean_kl()},
                      {"kl_max", d.kl_max},
                      {"top1_agreement", d.top1_agreement()}};
  if (d.nll_count) j["perplexity"] = d.perplexity();
  return j;
}

nlohmann::json run_json(const RunRecord& run) {
  nlohmann::json gens = nlohmann::json::array();
  for (const GenerationRecord& g : run.generations) {
    nlohmann::json checks = nlohmann::json::array();
    for (const CheckOutcome& c : g.checks) checks.push_back({{"check", c.check}, {"pass", c.pass}, {"detail", c.detail}});
    gens.push_back({{"prompt", g.prompt},
                    {"n_prompt", g.n_prompt},
                    {"n_generated", g.n_generated},
                    {"n_decoded", g.n_decoded},
                    {"n_reply", g.n_reply},
                    {"prefill_s", g.prefill_s},
                    {"first_token_s", g.first_token_s},
                    {"decode_s", g.decode_s},
                    {"wall_s", g.wall_s},
                    {"generation_tps", g.decode_s > 0 ? static_cast<double>(g.n_decoded) / g.decode_s : 0.0},
                    {"prompt_tps", g.prefill_s > 0 ? static_cast<double>(g.n_prompt) / g.prefill_s : 0.0},
                    {"seed", g.seed},
                    {"reply", g.reply},
                    {"checks", checks}});
  }
  return {{"index", run.index},
          {"warmup", run.warmup},
          {"generation_tps", run.generation_tps},
          {"prompt_tps", run.prompt_tps},
          {"ttft_ms", run.ttft_ms},
          {"peak_memory_gb", run.peak_memory_gb},
          {"peak_memory_reset", run.peak_memory_reset},
          {"checks_passed", run.checks_passed},
          {"checks_total", run.checks_total},
          {"wall_s", run.wall_s},
          {"cpu_s", run.cpu_s},
          {"generations", gens}};
}

std::string yes(bool b) { return b ? "true" : "false"; }

} // namespace

std::string EvalResult::status() const {
  if (!error.empty()) return "error";
  if (!harness_intact()) return "harness_modified";
  return quality_pass ? "pass" : "fail";
}

nlohmann::json to_json(const EvalResult& r) {
  nlohmann::json j;
  j["status"] = r.status();
  j["suite"] = {{"name", r.suite}, {"file", r.suite_file}};
  j["experiment"] = r.experiment;
  j["description"] = r.description;
  j["commit"] = r.commit;
  j["time"] = r.time_utc;
  j["isa"] = r.isa;
  j["host"] = r.host;
  j["error"] = r.error;
  j["harness"] = {{"intact", r.harness_intact()},
                  {"files_checked", r.lock.files_checked},
                  {"lock_sha256", r.lock.lock_sha256},
                  {"problems", r.lock.problems}};
  j["model"] = {{"path", r.model_path}, {"sha256", r.model_sha256}};
  j["config"] = {{"file", r.config_path},
                 {"overrides", r.overrides},
                 {"effective_yaml", r.config_yaml},
                 {"threads", r.setup.threads},
                 {"not_applied", r.setup.not_applied}};
  j["workload"] = r.workload_detail;
  j["workload"]["fingerprint"] = r.workload;
  j["speed"] = {{"generation_tps", summary_json(r.generation_tps)},
                {"prompt_tps", summary_json(r.prompt_tps)},
                {"ttft_ms", summary_json(r.ttft_ms)},
                {"peak_memory_gb", summary_json(r.peak_memory_gb)},
                {"weight_bytes_per_token", r.weight_bytes_per_token},
                {"bandwidth_gbs", r.bandwidth_gbs},
                {"bandwidth_ceiling", {{"gbs", r.ceiling.gb_per_s}, {"threads", r.ceiling.threads},
                                       {"bytes", r.ceiling.bytes}, {"passes", r.ceiling.passes}}},
                {"bandwidth_share", r.bandwidth_share},
                {"max_timer_mismatch", r.max_timer_mismatch},
                {"cpu_share", r.cpu_share}};
  nlohmann::json runs = nlohmann::json::array(), warmups = nlohmann::json::array();
  for (const RunRecord& run : r.runs) runs.push_back(run_json(run));
  for (const RunRecord& run : r.warmups) warmups.push_back(run_json(run));
  j["runs"] = runs;
  j["warmups"] = warmups;
  nlohmann::json segments = nlohmann::json::array();
  for (const SegmentQuality& s : r.quality.segments) {
    segments.push_back({{"name", s.name}, {"prefill", divergence_json(s.prefill)}, {"decode", divergence_json(s.decode)}});
  }
  j["quality"] = {{"ran", r.quality_ran},
                  {"pass", r.quality_pass},
                  {"failures", r.quality_failures},
                  {"ref_perplexity", r.quality.text.perplexity()},
                  {"reference_perplexity", r.reference_perplexity},
                  {"all", divergence_json(r.quality.all)},
                  {"text", divergence_json(r.quality.text)},
                  {"prefill", divergence_json(r.quality.prefill)},
                  {"decode", divergence_json(r.quality.decode)},
                  {"sanity_check", r.sanity_check},
                  {"mismatches", r.quality.mismatches},
                  {"seconds", r.quality.seconds},
                  {"segments", segments}};
  j["trust"] = {{"trusted", r.measurement_trusted}, {"problems", r.trust_problems}};
  const ChangeReport& c = r.changes;
  nlohmann::json knobs = nlohmann::json::array();
  for (const ConfigChange& k : c.config_changes) knobs.push_back({{"knob", k.knob}, {"old", k.old_value}, {"new", k.new_value}});
  j["changes"] = {{"git", c.git},
                  {"head", c.head},
                  {"dirty", c.dirty},
                  {"baseline", c.baseline},
                  {"baseline_source", c.baseline_source},
                  {"baseline_workload", c.baseline_workload.value_or("")},
                  {"workload_changed", c.workload_changed},
                  {"config", knobs},
                  {"config_files", c.config_files},
                  {"kernel_files", c.kernel_files},
                  {"harness_files", c.harness_files},
                  {"outside_surface", c.outside_files},
                  {"flags", c.flags},
                  {"warnings", c.warnings}};
  j["eval_seconds"] = r.eval_seconds;
  return j;
}

std::vector<std::pair<std::string, std::string>> summary_lines(const EvalResult& r) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto add = [&](std::string key, std::string value) { out.emplace_back(std::move(key), std::move(value)); };
  const auto stats = [&](const std::string& key, const Summary& s, int digits) {
    add(key, fmt::format("{:.{}f}", s.mean, digits));
    add(key + "_median", fmt::format("{:.{}f}", s.median, digits));
    add(key + "_min", fmt::format("{:.{}f}", s.min, digits));
    add(key + "_max", fmt::format("{:.{}f}", s.max, digits));
    add(key + "_cv", fmt::format("{:.4f}", s.cv));
  };
  add("suite", r.suite);
  add("status", r.status());
  if (!r.error.empty()) add("error", r.error);
  add("harness_intact", yes(r.harness_intact()));
  add("quality_pass", yes(r.quality_pass));
  add("measurement_trusted", yes(r.measurement_trusted));
  if (!r.runs.empty()) {
    stats("avg_generation_tps", r.generation_tps, 2);
    stats("avg_prompt_tps", r.prompt_tps, 2);
    stats("avg_ttft_ms", r.ttft_ms, 1);
    stats("peak_memory_gb", r.peak_memory_gb, 3);
    add("bandwidth_gbs", fmt::format("{:.2f}", r.bandwidth_gbs));
    add("bandwidth_ceiling_gbs", fmt::format("{:.2f}", r.ceiling.gb_per_s));
    add("bandwidth_share", fmt::format("{:.3f}", r.bandwidth_share));
    add("cpu_share", fmt::format("{:.3f}", r.cpu_share));
  }
  if (r.quality_ran) {
    add("ref_perplexity", fmt::format("{:.4f}", r.quality.text.perplexity()));
    add("kl_divergence", fmt::format("{:.6f}", r.quality.all.mean_kl()));
    add("kl_divergence_decode", fmt::format("{:.6f}", r.quality.decode.mean_kl()));
    add("top1_agreement", fmt::format("{:.4f}", r.quality.all.top1_agreement()));
  }
  if (!r.runs.empty()) add("sanity_check", fmt::format("{:.4f}", r.sanity_check));
  add("workload", r.workload);
  add("eval_seconds", fmt::format("{:.1f}", r.eval_seconds));
  return out;
}

std::vector<std::string> results_row(const EvalResult& r) {
  const auto num = [](double v, int digits) { return fmt::format("{:.{}f}", v, digits); };
  const bool ran = !r.runs.empty();
  return {
      r.experiment,
      r.commit,
      r.time_utc,
      r.suite,
      r.workload,
      ran ? num(r.generation_tps.mean, 2) : "",
      ran ? num(r.generation_tps.cv, 4) : "",
      ran ? num(r.prompt_tps.mean, 2) : "",
      ran ? num(r.ttft_ms.mean, 1) : "",
      ran ? num(r.peak_memory_gb.max, 3) : "",
      ran ? num(r.bandwidth_gbs, 2) : "",
      ran ? num(r.bandwidth_share, 3) : "",
      r.quality_ran ? num(r.quality.text.perplexity(), 4) : "",
      r.quality_ran ? num(r.quality.all.mean_kl(), 6) : "",
      r.quality_ran ? num(r.quality.all.top1_agreement(), 4) : "",
      ran ? num(r.sanity_check, 4) : "",
      yes(r.quality_pass),
      yes(r.harness_intact()),
      yes(r.measurement_trusted),
      r.status(),
      r.description,
  };
}

void print_details(const EvalResult& r, std::FILE* out) {
  const ChangeReport& c = r.changes;
  fmt::print(out, "== changes\n");
  if (c.git) {
    fmt::print(out, "baseline: {} ({}){}\n", c.baseline.substr(0, 10), c.baseline_source,
               c.dirty ? "; the work tree has uncommitted changes" : "");
  }
  if (c.config_changes.empty()) fmt::print(out, "config: no knob differs from the baseline\n");
  for (const ConfigChange& k : c.config_changes) fmt::print(out, "config: {}: {} -> {}\n", k.knob, k.old_value, k.new_value);
  for (const std::string& f : c.config_files) fmt::print(out, "configs/: {}\n", f);
  for (const std::string& f : c.kernel_files) fmt::print(out, "kernels/: {}\n", f);
  for (const std::string& f : c.flags) fmt::print(out, "FLAG: {}\n", f);
  fmt::print(out, "workload: {}{}\n", r.workload,
             c.baseline_workload ? (c.workload_changed ? " (CHANGED from " + *c.baseline_workload + ")" : " (as the baseline)")
                                 : "");
  if (r.workload_detail.contains("prompts")) {
    for (const auto& p : r.workload_detail["prompts"]) {
      fmt::print(out, "  {}: {} prompt tokens, {} generated\n", p["name"].get<std::string>(),
                 p["prompt_tokens"].get<int64_t>(), p["generated_tokens"].get<int64_t>());
    }
  }
  for (const std::string& w : c.warnings) fmt::print(out, "warning: {}\n", w);

  if (!r.lock.problems.empty()) {
    fmt::print(out, "== harness NOT intact\n");
    for (const std::string& p : r.lock.problems) fmt::print(out, "  {}\n", p);
  }
  bool any_failed = false;
  for (const RunRecord& run : r.runs) {
    for (const GenerationRecord& g : run.generations) {
      for (const CheckOutcome& ch : g.checks) {
        if (ch.pass) continue;
        if (!any_failed) fmt::print(out, "== failed checks\n");
        any_failed = true;
        fmt::print(out, "run {} {}: {}: {}\n", run.index, g.prompt, ch.check, ch.detail);
      }
    }
  }
  if (!r.quality_failures.empty()) {
    fmt::print(out, "== quality gate FAILED\n");
    for (const std::string& f : r.quality_failures) fmt::print(out, "  {}\n", f);
  }
  if (!r.trust_problems.empty()) {
    fmt::print(out, "== measurement not trusted\n");
    for (const std::string& p : r.trust_problems) fmt::print(out, "  {}\n", p);
  }
}

} // namespace lathe::harness
