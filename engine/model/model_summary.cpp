#include "engine/model/model_summary.h"

namespace lathe {
namespace {

int64_t array_length(const gguf::GgufFile& f, std::string_view key) {
  const gguf::Value* v = f.find(key);
  return v && v->type == gguf::ValueType::ARRAY ? static_cast<int64_t>(v->array().size()) : 0;
}

TokenizerSummary summarize_tokenizer(const gguf::GgufFile& f) {
  TokenizerSummary t;
  t.model = f.get_or<std::string>("tokenizer.ggml.model", "");
  t.pre = f.get_or<std::string>("tokenizer.ggml.pre", "");
  t.n_tokens = array_length(f, "tokenizer.ggml.tokens");
  t.n_merges = array_length(f, "tokenizer.ggml.merges");
  for (const char* name : {"bos", "eos", "eot", "eom", "unknown", "padding", "separator"}) {
    const std::string key = std::string("tokenizer.ggml.") + name + "_token_id";
    if (f.has(key)) t.special_ids[name] = f.get<uint32_t>(key);
  }
  if (f.has("tokenizer.ggml.add_bos_token")) t.add_bos = f.get<bool>("tokenizer.ggml.add_bos_token");
  if (f.has("tokenizer.ggml.add_eos_token")) t.add_eos = f.get<bool>("tokenizer.ggml.add_eos_token");
  if (f.has("tokenizer.chat_template")) {
    t.chat_template_chars = static_cast<int64_t>(f.get<std::string_view>("tokenizer.chat_template").size());
  }
  return t;
}

} // namespace

ModelSummary summarize_model(const gguf::GgufFile& f) {
  ModelSummary s;
  s.path = f.path().string();
  s.file_size = f.file_size();
  s.gguf_version = f.version();
  s.n_tensors = static_cast<int64_t>(f.tensors().size());
  s.n_metadata = static_cast<int64_t>(f.metadata().size());
  s.config = read_model_config(f);
  s.tokenizer = summarize_tokenizer(f);
  for (const gguf::TensorInfo& t : f.tensors()) {
    TensorTypeStats& stats = s.type_histogram[std::string(t.traits.name)];
    stats.count += 1;
    stats.bytes += t.n_bytes;
    stats.elements += t.n_elements();
    s.n_params += t.n_elements();
    s.tensor_bytes += t.n_bytes;
  }
  return s;
}

} // namespace lathe
