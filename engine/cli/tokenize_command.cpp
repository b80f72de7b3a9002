// `lathe tokenize -m MODEL [--ids | --pieces] TEXT`: show how a prompt is
// tokenized, for debugging prompts and chat formatting.
#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>

#include "engine/cli/commands.h"
#include "engine/gguf/gguf_file.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/utf8.h"

namespace lathe::cli {
namespace {

// Bytes as a readable one-line string: valid UTF-8 stays, control characters
// and stray bytes are escaped.
std::string escape(std::string_view bytes) {
  std::string out;
  for (size_t pos = 0; pos < bytes.size();) {
    const auto c = static_cast<unsigned char>(bytes[pos]);
    const size_t n = utf8::sequence_length(bytes, pos);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (n == 0 || c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out.append(bytes.substr(pos, n));
      pos += n;
      continue;
    }
    ++pos;
  }
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot open '{}'", path));
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

Command add_tokenize_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("tokenize", "Show the token ids and pieces of a text");
  struct Options {
    std::string model;
    std::string text;
    std::string file;
    bool ids = false;
    bool pieces = false;
    bool no_parse_special = false;
    bool no_bos_eos = false;
    bool replace_invalid = false;
    std::string pre_tokenizer;
  };
  auto opts = std::make_shared<Options>();
  cmd->add_option("-m,--model", opts->model, "Path to the .gguf file")->required();
  auto* text_opt = cmd->add_option("text", opts->text, "The text to tokenize");
  auto* file_opt = cmd->add_option("-f,--file", opts->file, "Read the text from a file instead");
  text_opt->excludes(file_opt);
  auto* ids_flag = cmd->add_flag("--ids", opts->ids, "Print only the ids, as a list");
  cmd->add_flag("--pieces", opts->pieces, "Print only the decoded pieces, one per line")->excludes(ids_flag);
  cmd->add_flag("--no-parse-special", opts->no_parse_special,
                "Treat control-token texts such as <|im_start|> as ordinary text");
  cmd->add_flag("--no-bos-eos", opts->no_bos_eos, "Do not add the BOS / EOS tokens the file asks for");
  cmd->add_flag("--replace-invalid-utf8", opts->replace_invalid, "Replace invalid UTF-8 bytes with U+FFFD");
  cmd->add_option("--pre-tokenizer", opts->pre_tokenizer,
                  "Force a pre-tokenizer instead of the file's tokenizer.ggml.pre (experts only)");
  return {cmd, [opts] {
            const gguf::GgufFile file = gguf::GgufFile::open(opts->model);
            TokenizerOptions options;
            options.pre_tokenizer_override = opts->pre_tokenizer;
            if (opts->replace_invalid) options.invalid_utf8 = InvalidUtf8::kReplace;
            const Tokenizer tokenizer = Tokenizer::from_gguf(file, options);
            const std::string text = opts->file.empty() ? opts->text : read_file(opts->file);
            const std::vector<int32_t> ids =
                tokenizer.encode(text, !opts->no_parse_special, !opts->no_bos_eos);

            if (opts->ids) {
              fmt::print("[{}]\n", fmt::join(ids, ", "));
            } else if (opts->pieces) {
              for (int32_t id : ids) fmt::print("'{}'\n", escape(tokenizer.token_bytes(id)));
            } else {
              for (int32_t id : ids) {
                fmt::print("{:>7}  {:<24}  '{}'\n", id, escape(tokenizer.piece(id)),
                           escape(tokenizer.token_bytes(id)));
              }
              fmt::print("{} tokens, {} bytes (pre-tokenizer {}, vocabulary {})\n", ids.size(), text.size(),
                         tokenizer.pre_tokenizer(), tokenizer.vocab_size());
            }
            return 0;
          }};
}

} // namespace lathe::cli
