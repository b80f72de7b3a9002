// What `lathe info` reports about a GGUF file: the decoder's hyper-parameters,
// tokenizer facts, parameter count and the mix of tensor types.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "engine/gguf/gguf_file.h"
#include "engine/model/model_config.h"

namespace lathe {

struct TensorTypeStats {
  int64_t count = 0;
  uint64_t bytes = 0;
  int64_t elements = 0;
};

struct TokenizerSummary {
  std::string model;        // tokenizer.ggml.model, e.g. "gpt2"
  std::string pre;          // tokenizer.ggml.pre, e.g. "qwen2"
  int64_t n_tokens = 0;
  int64_t n_merges = 0;
  std::map<std::string, int64_t> special_ids; // "bos" -> id, for the ids the file declares
  std::optional<bool> add_bos;
  std::optional<bool> add_eos;
  int64_t chat_template_chars = 0; // 0 when the file has no template
};

struct ModelSummary {
  std::string path;
  uint64_t file_size = 0;
  uint32_t gguf_version = 0;
  int64_t n_tensors = 0;
  int64_t n_metadata = 0;
  ModelConfig config;
  TokenizerSummary tokenizer;
  int64_t n_params = 0;
  uint64_t tensor_bytes = 0;
  std::map<std::string, TensorTypeStats> type_histogram; // by type name
};

ModelSummary summarize_model(const gguf::GgufFile& file);

} // namespace lathe
