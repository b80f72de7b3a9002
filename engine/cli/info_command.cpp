// `lathe info MODEL.gguf [--json]`: describe a model file.
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

#include "engine/cli/commands.h"
#include "engine/gguf/gguf_file.h"
#include "engine/model/model_summary.h"
#include "engine/model/weight_check.h"

namespace lathe::cli {
namespace {

nlohmann::ordered_json to_json(const ModelSummary& s) {
  const ModelConfig& c = s.config;
  nlohmann::ordered_json j;
  j["path"] = s.path;
  j["file_size"] = s.file_size;
  j["gguf_version"] = s.gguf_version;
  j["architecture"] = c.architecture;
  j["supported"] = c.supported();
  j["name"] = c.name;
  j["n_layers"] = c.n_layers;
  j["dim"] = c.dim;
  j["ffn_dim"] = c.ffn_dim;
  j["n_heads"] = c.n_heads;
  j["n_kv_heads"] = c.n_kv_heads;
  j["head_dim"] = c.head_dim;
  j["context_length"] = c.context_length;
  j["vocab_size"] = c.vocab_size;
  j["rms_eps"] = c.rms_eps;
  j["rope"] = {{"theta", c.rope_theta},
               {"dim", c.rope_dim},
               {"style", rope_style_name(c.rope_style)},
               {"scaling", c.rope_scaling.type},
               {"scaling_factor", c.rope_scaling.factor}};
  j["tied_output"] = c.tied_output;
  const TokenizerSummary& t = s.tokenizer;
  j["tokenizer"] = {{"model", t.model}, {"pre", t.pre}, {"n_tokens", t.n_tokens}, {"n_merges", t.n_merges},
                    {"special_ids", t.special_ids}, {"chat_template_chars", t.chat_template_chars}};
  if (t.add_bos) j["tokenizer"]["add_bos"] = *t.add_bos;
  if (t.add_eos) j["tokenizer"]["add_eos"] = *t.add_eos;
  j["n_params"] = s.n_params;
  j["n_tensors"] = s.n_tensors;
  j["tensor_bytes"] = s.tensor_bytes;
  nlohmann::ordered_json types = nlohmann::ordered_json::object();
  for (const auto& [name, st] : s.type_histogram) {
    types[name] = {{"count", st.count}, {"bytes", st.bytes}, {"elements", st.elements}};
  }
  j["tensor_types"] = types;
  return j;
}

void print_text(const ModelSummary& s) {
  const ModelConfig& c = s.config;
  const TokenizerSummary& t = s.tokenizer;
  fmt::print("file:            {} ({:.1f} MiB, GGUF v{}, {} tensors, {} metadata keys)\n", s.path,
             s.file_size / 1048576.0, s.gguf_version, s.n_tensors, s.n_metadata);
  fmt::print("architecture:    {}{}\n", c.architecture, c.supported() ? "" : "  (not supported by the decoder)");
  if (!c.name.empty()) fmt::print("name:            {}\n", c.name);
  fmt::print("parameters:      {} ({:.1f} M), {:.2f} bits per weight\n", s.n_params, s.n_params / 1e6,
             s.tensor_bytes * 8.0 / static_cast<double>(s.n_params));
  fmt::print("layers:          {}\n", c.n_layers);
  fmt::print("dim / ffn:       {} / {}\n", c.dim, c.ffn_dim);
  fmt::print("heads / kv:      {} / {} (head size {})\n", c.n_heads, c.n_kv_heads, c.head_dim);
  fmt::print("context length:  {}\n", c.context_length);
  fmt::print("rms epsilon:     {:g}\n", c.rms_eps);
  fmt::print("rope:            theta {:g}, {} dims, {} layout, scaling {}", c.rope_theta, c.rope_dim,
             rope_style_name(c.rope_style), c.rope_scaling.type);
  if (c.rope_scaling.type != "none") fmt::print(" (factor {:g})", c.rope_scaling.factor);
  fmt::print("\n");
  fmt::print("output:          {}\n", c.tied_output ? "tied to token_embd" : "separate output.weight");
  fmt::print("vocabulary:      {} tokens, tokenizer {} (pre {}), {} merges\n", c.vocab_size, t.model,
             t.pre.empty() ? "-" : t.pre, t.n_merges);
  std::string specials;
  for (const auto& [name, id] : t.special_ids) specials += fmt::format("{}={} ", name, id);
  fmt::print("special tokens:  {}\n", specials.empty() ? "none" : specials);
  fmt::print("add bos / eos:   {} / {}\n", t.add_bos ? (*t.add_bos ? "yes" : "no") : "unset",
             t.add_eos ? (*t.add_eos ? "yes" : "no") : "unset");
  fmt::print("chat template:   {}\n",
             t.chat_template_chars ? fmt::format("present ({} chars)", t.chat_template_chars) : "absent");
  fmt::print("tensor types:\n");
  fmt::print("  {:<6} {:>6} {:>12} {:>8}\n", "type", "count", "MiB", "share");
  for (const auto& [name, st] : s.type_histogram) {
    fmt::print("  {:<6} {:>6} {:>12.2f} {:>7.1f}%\n", name, st.count, st.bytes / 1048576.0,
               100.0 * static_cast<double>(st.bytes) / static_cast<double>(s.tensor_bytes));
  }
}

} // namespace

Command add_info_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Describe a GGUF model: hyper-parameters, tokenizer, tensor types");
  struct Options {
    std::string model;
    bool json = false;
    bool check_weights = false;
  };
  auto opts = std::make_shared<Options>();
  cmd->add_option("model,-m,--model", opts->model, "Path to the .gguf file")->required();
  cmd->add_flag("--json", opts->json, "Print one JSON object instead of text");
  cmd->add_flag("--check-weights", opts->check_weights,
                "Also dequantize every tensor; fail, naming the tensors, if any value is NaN or Inf");
  return {cmd, [opts] {
    const gguf::GgufFile file = gguf::GgufFile::open(opts->model);
    const ModelSummary summary = summarize_model(file);
    std::optional<WeightCheck> check;
    if (opts->check_weights) check = check_weights(file);
    if (opts->json) {
      nlohmann::ordered_json j = to_json(summary);
      if (check) j["weights_finite"] = check->ok();
      fmt::print("{}\n", j.dump(2));
    } else {
      print_text(summary);
      if (check && check->ok()) {
        fmt::print("weights:         all {} values finite ({} tensors, {} of a type without a dequantizer "
                   "not scanned)\n",
                   check->n_values, check->n_tensors, check->unscanned.size());
      }
    }
    if (check && !check->ok()) {
      throw std::runtime_error(
          fmt::format("{}: weights that are not finite:\n{}", opts->model, check->message()));
    }
    return 0;
  }};
}

} // namespace lathe::cli
