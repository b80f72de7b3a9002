#include "harness/eval/eval.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <thread>

#include "engine/config/config.h"
#include "engine/model/model.h"
#include "harness/eval/bandwidth.h"
#include "harness/eval/engine_setup.h"
#include "harness/eval/git.h"
#include "harness/eval/harness_build_hashes.h"
#include "harness/eval/lock.h"
#include "harness/eval/monitor.h"
#include "harness/eval/quality.h"
#include "harness/eval/reference.h"
#include "harness/eval/report.h"
#include "harness/eval/results_tsv.h"
#include "harness/eval/sha256.h"
#include "harness/eval/speed.h"
#include "harness/eval/suite.h"
#include "harness/eval/workload.h"
#include "kernels/isa_config.h"

namespace lathe::harness {
namespace {

using Clock = std::chrono::steady_clock;

template <typename... Args>
void note(fmt::format_string<Args...> f, Args&&... args) {
  fmt::print(stderr, "lathe-eval: {}\n", fmt::format(f, std::forward<Args>(args)...));
  std::fflush(stderr);
}

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string now_utc(const char* format) {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

std::string host_description() {
  std::ifstream f("/proc/cpuinfo");
  std::string line, model = "unknown CPU";
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  return fmt::format("{}, {} cores", model, std::thread::hardware_concurrency());
}

bool inside(const std::filesystem::path& file, const std::filesystem::path& dir) {
  std::error_code ec;
  const auto f = std::filesystem::weakly_canonical(file, ec).string();
  const auto d = std::filesystem::weakly_canonical(dir, ec).string() + "/";
  return f.starts_with(d);
}

LockEntries built_entries() {
  LockEntries out;
  for (const BuiltFile& f : kBuiltFiles) out.emplace(std::string(f.path), std::string(f.sha256));
  return out;
}

// Verifies LOCK, the sources lathe-eval was built from, and that the suite is
// one of the locked files.
LockReport check_harness(const std::filesystem::path& harness_dir, const std::filesystem::path& suite_file) {
  LockReport lock = verify_lock(harness_dir);
  check_build_hashes(lock.entries, built_entries(), lock.problems);
  if (!inside(suite_file, harness_dir)) {
    lock.problems.push_back(fmt::format("the suite {} is not under harness/, so it is not frozen", suite_file.string()));
  }
  lock.intact = lock.problems.empty() && !lock.entries.empty();
  return lock;
}

// The fingerprint of what is measured: the model, every token id fed in and
// the token counts generated. 16 hex digits of a SHA-256.
std::string workload_fingerprint(const Suite& suite, const Workload& w) {
  std::string s = fmt::format("model {}\nmax_new_tokens {}\nwarmup {}\nmeasured {}\n", suite.model_sha256,
                              w.max_new_tokens, suite.warmup_runs, suite.measured_runs);
  const auto add = [&s](const WorkloadSequence& q) {
    s += q.name + ":";
    for (int32_t t : q.tokens) s += fmt::format(" {}", t);
    s += "\n";
  };
  for (const auto& q : w.text_windows) add(q);
  for (const auto& q : w.prompts) add(q);
  return sha256_hex(s).substr(0, 16);
}

nlohmann::json workload_json(const Suite& suite, const Workload& w) {
  nlohmann::json prompts = nlohmann::json::array();
  for (const auto& p : w.prompts) {
    prompts.push_back({{"name", p.prompt->name},
                       {"kind", p.prompt->kind},
                       {"prompt_tokens", p.tokens.size()},
                       {"generated_tokens", w.max_new_tokens}});
  }
  return {{"model_sha256", suite.model_sha256},
          {"max_new_tokens", w.max_new_tokens},
          {"warmup_runs", suite.warmup_runs},
          {"measured_runs", suite.measured_runs},
          {"reference_text_tokens", w.text_tokens},
          {"reference_windows", w.text_windows.size()},
          {"reference_window", suite.reference_window},
          {"prompts", prompts}};
}

Model load_checked_model(const Suite& suite, const std::filesystem::path& models_dir, std::string& path_out,
                         std::string& sha_out, const MemoryOptions& memory = {}) {
  const std::filesystem::path path = models_dir / suite.model_file;
  path_out = path.string();
  if (!std::filesystem::is_regular_file(path)) {
    throw std::runtime_error(fmt::format("model {} not found (scripts/fetch-models fetches it)", path.string()));
  }
  const Clock::time_point t = Clock::now();
  sha_out = sha256_file(path);
  if (sha_out != suite.model_sha256) {
    throw std::runtime_error(fmt::format("model {} has SHA-256 {}, the suite pins {}", path.string(), sha_out,
                                         suite.model_sha256));
  }
  note("model {} verified ({:.1f} s)", suite.model_file, since(t));
  return Model::load(path, kernels::active_kernels(), memory);
}

void apply_gates(const Suite& suite, const Reference* ref, EvalResult& r) {
  const Thresholds& th = suite.thresholds;
  auto& f = r.quality_failures;
  if (!r.harness_intact()) f.push_back("the harness is not intact (see above): no result can pass");
  if (!ref) {
    f.push_back("no reference to compare with");
  } else {
    if (ref->workload != suite.reference_digest()) {
      f.push_back("the reference was recorded for another workload (re-record it with --record-reference)");
    }
    if (ref->model_sha256 != suite.model_sha256) f.push_back("the reference was recorded for another model");
  }
  for (const std::string& m : r.quality.mismatches) f.push_back("workload differs from the reference: " + m);
  if (r.quality_ran) {
    const double kl = r.quality.all.mean_kl(), kl_decode = r.quality.decode.mean_kl();
    const double top1 = r.quality.all.top1_agreement(), ppl = r.quality.text.perplexity();
    if (!(kl <= th.kl_divergence_max)) f.push_back(fmt::format("kl_divergence {:.6f} > {}", kl, th.kl_divergence_max));
    if (!(kl_decode <= th.kl_divergence_max)) {
      f.push_back(fmt::format("kl_divergence_decode {:.6f} > {}", kl_decode, th.kl_divergence_max));
    }
    if (!(top1 >= th.top1_agreement_min)) f.push_back(fmt::format("top1_agreement {:.4f} < {}", top1, th.top1_agreement_min));
    if (!(ppl <= th.ref_perplexity_max)) f.push_back(fmt::format("ref_perplexity {:.4f} > {}", ppl, th.ref_perplexity_max));
  } else {
    f.push_back("the quality pass did not run");
  }
  if (r.runs.empty()) {
    f.push_back("no measured run");
  } else if (!(r.sanity_check >= th.sanity_check_min)) {
    f.push_back(fmt::format("sanity_check {:.4f} < {}", r.sanity_check, th.sanity_check_min));
  }
  r.quality_pass = f.empty() && r.error.empty();
}

void apply_trust(const Suite& suite, EvalResult& r) {
  const TrustLimits& t = suite.trust;
  auto& p = r.trust_problems;
  if (r.runs.empty()) p.push_back("no measured run");
  if (r.generation_tps.cv > t.generation_tps_cv_max) {
    p.push_back(fmt::format("avg_generation_tps varies by {:.2f}% across runs (limit {:.2f}%): the machine is busy "
                            "or the runs too short",
                            100 * r.generation_tps.cv, 100 * t.generation_tps_cv_max));
  }
  if (r.bandwidth_share > t.bandwidth_share_max) {
    p.push_back(fmt::format("achieved weight bandwidth is {:.2f}x the measured ceiling (limit {}): the weights cannot "
                            "all have been read from memory for every token",
                            r.bandwidth_share, t.bandwidth_share_max));
  }
  if (!r.runs.empty() && r.cpu_share < t.cpu_share_min) {
    p.push_back(fmt::format("the runs got {:.0f}% of the CPU time of {} thread{} (limit {:.0f}%): other processes "
                            "shared the cores",
                            100 * r.cpu_share, r.setup.threads, r.setup.threads == 1 ? "" : "s",
                            100 * t.cpu_share_min));
  }
  if (r.max_timer_mismatch > t.timer_mismatch_max) {
    p.push_back(fmt::format("the engine's timings and the harness's wall clock disagree by {:.2f}% (limit {:.2f}%)",
                            100 * r.max_timer_mismatch, 100 * t.timer_mismatch_max));
  }
  for (const RunRecord& run : r.runs) {
    if (!run.peak_memory_reset) {
      p.push_back("the resident-memory high-water mark cannot be reset here: peak_memory_gb includes loading");
      break;
    }
  }
  r.measurement_trusted = p.empty() && r.error.empty();
}

void summarise_runs(EvalResult& r) {
  std::vector<double> gen, prompt, ttft, mem;
  int64_t passed = 0, total = 0;
  double cpu = 0.0, wall = 0.0;
  for (const RunRecord& run : r.runs) {
    gen.push_back(run.generation_tps);
    prompt.push_back(run.prompt_tps);
    ttft.push_back(run.ttft_ms);
    mem.push_back(run.peak_memory_gb);
    passed += run.checks_passed;
    cpu += run.cpu_s;
    wall += run.wall_s;
    total += run.checks_total;
    for (const GenerationRecord& g : run.generations) r.max_timer_mismatch = std::max(r.max_timer_mismatch, g.timer_mismatch());
  }
  r.generation_tps = summarize(gen);
  r.prompt_tps = summarize(prompt);
  r.ttft_ms = summarize(ttft);
  r.peak_memory_gb = summarize(mem);
  r.sanity_check = total ? static_cast<double>(passed) / static_cast<double>(total) : 0.0;
  r.cpu_share = wall > 0 ? cpu / (wall * r.setup.threads) : 0.0;
  r.bandwidth_gbs = static_cast<double>(r.weight_bytes_per_token) * r.generation_tps.mean / 1e9;
  r.bandwidth_share = r.ceiling.gb_per_s > 0 ? r.bandwidth_gbs / r.ceiling.gb_per_s : 0.0;
}

// Writes the JSON report, appends the results row and prints everything.
// Returns false when the row could not be appended.
bool publish(const EvalOptions& o, const EvalResult& r) {
  bool recorded = true;
  std::filesystem::path json_file = o.json_file;
  if (json_file.empty()) {
    json_file = o.root / "results" /
                fmt::format("{}-{}-{}.json", r.suite.empty() ? "eval" : r.suite, now_utc("%Y%m%dT%H%M%SZ"), r.commit);
  }
  std::error_code ec;
  std::filesystem::create_directories(json_file.parent_path(), ec);
  {
    std::ofstream f(json_file);
    f << to_json(r).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    if (!f) {
      note("cannot write {}", json_file.string());
      recorded = false;
    }
  }
  print_details(r, stdout);
  fmt::print("report: {}\n", json_file.string());
  if (!o.results_file.empty()) {
    const AppendOutcome a = append_result_row(o.results_file, results_row(r));
    if (a.repaired_partial_row) {
      fmt::print("results: removed the partial last row an interrupted evaluation had left in {}\n",
                 o.results_file.string());
    }
    if (a.appended) {
      fmt::print("results: row appended to {}\n", o.results_file.string());
    } else {
      fmt::print("results: NOT appended: {}\n", a.problem);
      recorded = false;
    }
  }
  fmt::print("---\n");
  for (const auto& [key, value] : summary_lines(r)) fmt::print("{}: {}\n", key, value);
  std::fflush(stdout);
  return recorded;
}

} // namespace

std::filesystem::path suite_path(const std::filesystem::path& root, const std::string& suite) {
  if (suite.empty() || suite == "full") return root / "harness" / "suite.yaml";
  if (suite == "quick") return root / "harness" / "suite-quick.yaml";
  return suite;
}

int run_eval(const EvalOptions& o) {
  const Clock::time_point t0 = Clock::now();
  EvalResult r;
  r.time_utc = now_utc("%Y-%m-%dT%H:%M:%SZ");
  r.isa = std::string(kernels::kIsaName);
  r.host = host_description();
  r.overrides = o.overrides;
  const std::filesystem::path harness_dir = o.root / "harness";
  const std::filesystem::path suite_file = suite_path(o.root, o.suite);
  r.suite_file = suite_file.string();

  // 1. Frozen means frozen: before anything else.
  r.lock = check_harness(harness_dir, suite_file);
  note("harness {} ({} files checked)", r.harness_intact() ? "intact" : "NOT INTACT", r.lock.files_checked);

  const Git git(o.root);
  const bool have_git = git.available();
  const std::string head = have_git ? git.resolve("HEAD").value_or("") : "";
  r.commit = head.empty() ? "unknown" : git.short_hash(head) + (git.dirty() ? "+" : "");
  r.experiment = o.experiment.empty() ? "eval" : o.experiment;
  r.description = o.description;
  if (r.description.empty()) {
    r.description = head.empty() ? "" : git.subject(head);
    if (!r.commit.empty() && r.commit.back() == '+') r.description += " (+ uncommitted changes)";
  }

  std::optional<RuntimeConfig> config;
  std::optional<Suite> suite;
  Workload workload;
  try {
    suite = load_suite(suite_file);
    r.suite = suite->name;
    const std::filesystem::path config_path =
        o.config_file.empty() ? default_config_path() : std::filesystem::path(o.config_file);
    r.config_path = std::filesystem::absolute(config_path).string();
    config = load_config(config_path, o.overrides);
    r.config_yaml = to_yaml(*config);

    const Model model = load_checked_model(*suite, o.models_dir, r.model_path, r.model_sha256, memory_options(*config));
    const Tokenizer tokenizer = workload_tokenizer(model);
    workload = build_workload(model, tokenizer, *suite);
    r.workload = workload_fingerprint(*suite, workload);
    r.workload_detail = workload_json(*suite, workload);
    r.setup = engine_setup(*config, model.config(), workload.needed_context());
    r.weight_bytes_per_token = weight_bytes_per_token(model.weights());

    std::optional<Reference> ref;
    try {
      ref = read_reference(suite->harness_dir / suite->reference_file);
      r.reference_perplexity = ref->perplexity;
    } catch (const ReferenceError& e) {
      r.quality_failures.push_back(e.what());
    }
    if (ref) {
      note("quality pass: {} reference-text tokens in {} windows, {} prompts, teacher-forced", workload.text_tokens,
           workload.text_windows.size(), workload.prompts.size());
      r.quality = evaluate_quality(model, r.setup, workload, *ref);
      r.quality_ran = true;
      note("quality pass done ({:.1f} s): kl {:.6f}, top1 {:.4f}, ppl {:.4f}", r.quality.seconds,
           r.quality.all.mean_kl(), r.quality.all.top1_agreement(), r.quality.text.perplexity());
    }

    for (int64_t i = 0; i < suite->warmup_runs; ++i) {
      r.warmups.push_back(run_workload(model, tokenizer, r.setup, workload, i, true));
      note("warm-up {}/{}: {:.2f} tok/s generation, {:.2f} tok/s prompt", i + 1, suite->warmup_runs,
           r.warmups.back().generation_tps, r.warmups.back().prompt_tps);
    }
    r.ceiling = measure_read_bandwidth(r.setup.threads, suite->bandwidth_buffer_mib << 20,
                                       static_cast<int>(suite->bandwidth_passes));
    note("read bandwidth ceiling: {:.2f} GB/s ({} threads, {} MiB)", r.ceiling.gb_per_s, r.ceiling.threads,
         suite->bandwidth_buffer_mib);
    for (int64_t i = 0; i < suite->measured_runs; ++i) {
      r.runs.push_back(run_workload(model, tokenizer, r.setup, workload, i, false));
      note("run {}/{}: {:.2f} tok/s generation, {:.2f} tok/s prompt, {:.0f} ms to first token, {}/{} checks",
           i + 1, suite->measured_runs, r.runs.back().generation_tps, r.runs.back().prompt_tps, r.runs.back().ttft_ms,
           r.runs.back().checks_passed, r.runs.back().checks_total);
    }
    summarise_runs(r);
    apply_gates(*suite, ref ? &*ref : nullptr, r);
    apply_trust(*suite, r);
  } catch (const std::exception& e) {
    r.error = e.what();
    r.quality_pass = false;
    r.measurement_trusted = false;
    note("error: {}", r.error);
  }

  if (config) {
    MonitorInput in;
    in.root = o.root;
    in.results_file = o.results_file.empty() ? o.root / "results.tsv" : o.results_file;
    in.baseline = o.baseline;
    in.suite_name = r.suite;
    in.config_path = r.config_path;
    in.overrides = o.overrides;
    in.config = &*config;
    in.setup = &r.setup;
    in.workload = r.workload;
    in.longest_sequence = workload.needed_context();
    r.changes = monitor_changes(in);
  }
  r.eval_seconds = since(t0);
  const bool recorded = publish(o, r);
  if (!r.error.empty() || !recorded) return 2;
  return r.status() == "pass" ? 0 : 1;
}

int record_reference_main(const EvalOptions& o) {
  if (kernels::kIsaName != "scalar" && !o.force) {
    note("the reference is recorded from the scalar kernels: configure a build with -DLATHE_ISA=scalar "
         "(this one has {}), or pass --force",
         kernels::kIsaName);
    return 2;
  }
  const Suite suite = load_suite(suite_path(o.root, o.suite));
  std::string model_path, model_sha;
  const Model model = load_checked_model(suite, o.models_dir, model_path, model_sha);
  const Tokenizer tokenizer = workload_tokenizer(model);
  const Workload workload = build_workload(model, tokenizer, suite);
  // The declared defaults (f32 KV cache, greedy), not configs/; every core,
  // since the engine's results do not depend on the thread count.
  RuntimeConfig defaults;
  defaults.threads.count = 0;
  const EngineSetup setup = engine_setup(defaults, model.config(), workload.needed_context());

  const Clock::time_point t0 = Clock::now();
  note("recording {} with the {} kernels: {} text tokens, {} prompts x {} tokens", suite.reference_file,
       kernels::kIsaName, workload.text_tokens, workload.prompts.size(), workload.max_new_tokens);
  Reference ref = record_reference(model, tokenizer, setup, workload, suite.reference_top_k,
                                   [](const std::string& name) { note("  {} recorded", name); });
  ref.workload = suite.reference_digest();
  ref.model_sha256 = suite.model_sha256;
  const Git git(o.root);
  const std::string head = git.available() ? git.resolve("HEAD").value_or("") : "";
  ref.recorded_with = {{"isa", std::string(kernels::kIsaName)},
                       {"commit", head},
                       {"time", now_utc("%Y-%m-%dT%H:%M:%SZ")},
                       {"config", to_yaml(defaults)}};
  write_reference(suite.harness_dir / suite.reference_file, ref);

  int64_t positions = 0;
  for (const RefSegment& s : ref.segments) positions += s.positions();
  fmt::print("reference: {} ({} positions, k {}, {:.1f} s)\n", (suite.harness_dir / suite.reference_file).string(),
             positions, ref.k, since(t0));
  fmt::print("reference perplexity: {:.4f}\n", ref.perplexity);
  // The greedy replies must pass the suite's own checks.
  bool all_pass = true;
  for (size_t i = 0; i < workload.prompts.size(); ++i) {
    const RefSegment& seg = ref.segments[workload.text_windows.size() + i];
    const SuitePrompt& p = *workload.prompts[i].prompt;
    fmt::print("--- {} ({} prompt tokens, reply {} tokens before end-of-turn)\n{}\n", p.name, seg.tokens.size(),
               first_end_of_turn(tokenizer, seg.continuation), seg.reply);
    for (const Check& c : p.checks) {
      const CheckResult cr = run_check(c, seg.reply);
      all_pass = all_pass && cr.pass;
      fmt::print("  [{}] {}{}\n", cr.pass ? "pass" : "FAIL", describe(c), cr.pass ? "" : ": " + cr.detail);
    }
  }
  fmt::print("harness/LOCK must be rewritten (harness/relock) for the new reference to be accepted\n");
  if (!all_pass) {
    fmt::print("WARNING: the reference's own greedy replies fail some checks: fix the suite before using it\n");
    return 1;
  }
  return 0;
}

} // namespace lathe::harness
