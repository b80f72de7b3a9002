#include "engine/tokenizer/chat_template.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/tokenizer/tokenizer_error.h"
#include "engine/tokenizer/utf8.h"

namespace lathe {
namespace {

constexpr std::string_view kImStart = "<|im_start|>";
constexpr std::string_view kImEnd = "<|im_end|>";
constexpr std::string_view kStartHeader = "<|start_header_id|>";
constexpr std::string_view kEndHeader = "<|end_header_id|>";
constexpr std::string_view kEotId = "<|eot_id|>";
// Llama 3.1+ templates write this header into the system turn, with this
// date when the caller defines none (HF's strftime_now aside).
constexpr std::string_view kKnowledgeCutoff =
    "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n";

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string template_of(const gguf::GgufFile& file) {
  return file.get_or<std::string>("tokenizer.chat_template", "");
}

// Python's str.isspace(), which Jinja's |trim (str.strip) uses.
bool is_python_space(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// The code point of the UTF-8 sequence s[pos, pos + n), n = 1..4.
uint32_t code_point_at(std::string_view s, size_t pos, size_t n) {
  static constexpr uint32_t kLeadMask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  uint32_t c = static_cast<uint8_t>(s[pos]) & kLeadMask[n];
  for (size_t i = 1; i < n; ++i) c = (c << 6) | (static_cast<uint8_t>(s[pos + i]) & 0x3F);
  return c;
}

std::string_view trim(std::string_view s) {
  while (!s.empty()) {
    const size_t n = std::max<size_t>(1, utf8::sequence_length(s, 0));
    if (!is_python_space(code_point_at(s, 0, n))) break;
    s.remove_prefix(n);
  }
  while (!s.empty()) {
    size_t start = s.size() - 1; // back up to the lead byte of the last character
    while (start > 0 && s.size() - start < 4 && (static_cast<uint8_t>(s[start]) & 0xC0) == 0x80) --start;
    const size_t n = utf8::sequence_length(s, start) == s.size() - start ? s.size() - start : 1;
    if (!is_python_space(code_point_at(s, s.size() - n, n))) break;
    s.remove_suffix(n);
  }
  return s;
}

void check_role(const ChatMessage& m) {
  if (m.role != "system" && m.role != "user" && m.role != "assistant") {
    throw TokenizerError(
        fmt::format("chat role '{}' is not supported (system, user and assistant are)", m.role));
  }
}

std::string render_chatml(std::string_view template_text, std::span<const ChatMessage> messages,
                          bool add_gen) {
  std::string out;
  if (!messages.empty() && messages[0].role != "system") {
    if (auto system = chatml_default_system_prompt(template_text)) {
      out += fmt::format("{}system\n{}{}\n", kImStart, *system, kImEnd);
    }
  }
  for (const ChatMessage& m : messages) {
    check_role(m);
    out += fmt::format("{}{}\n{}{}\n", kImStart, m.role, m.content, kImEnd);
  }
  if (add_gen) out += fmt::format("{}assistant\n", kImStart);
  return out;
}

std::string render_llama3(std::string_view template_text, std::span<const ChatMessage> messages,
                          bool add_gen) {
  const auto turn = [](std::string_view role, std::string_view content) {
    return fmt::format("{}{}{}\n\n{}{}", kStartHeader, role, kEndHeader, content, kEotId);
  };
  std::string out;
  size_t first = 0;
  if (contains(template_text, "Cutting Knowledge Date")) {
    std::string_view system;
    if (!messages.empty() && messages[0].role == "system") {
      system = trim(messages[0].content);
      first = 1;
    }
    out += turn("system", fmt::format("{}{}", kKnowledgeCutoff, system));
  }
  for (size_t i = first; i < messages.size(); ++i) {
    check_role(messages[i]);
    out += turn(messages[i].role, trim(messages[i].content));
  }
  if (add_gen) out += fmt::format("{}assistant{}\n\n", kStartHeader, kEndHeader);
  return out;
}

} // namespace

std::string_view chat_template_name(ChatTemplateKind kind) {
  return kind == ChatTemplateKind::kChatML ? "chatml" : "llama3";
}

ChatTemplateKind detect_chat_template_text(std::string_view text, std::string_view override_name) {
  if (!override_name.empty()) {
    if (override_name == "chatml") return ChatTemplateKind::kChatML;
    if (override_name == "llama3") return ChatTemplateKind::kLlama3;
    throw TokenizerError(fmt::format("unknown chat template '{}' (known: chatml, llama3)", override_name));
  }
  if (text.empty()) {
    throw TokenizerError(
        "the file has no chat template (tokenizer.chat_template); choose one with the chat "
        "template override (chatml, llama3)");
  }
  if (contains(text, kImStart) && contains(text, kImEnd)) return ChatTemplateKind::kChatML;
  if (contains(text, kStartHeader) && contains(text, kEndHeader) && contains(text, kEotId)) {
    return ChatTemplateKind::kLlama3;
  }
  throw TokenizerError(
      fmt::format("the file's chat template is not one Lathe recognises (ChatML or Llama 3); "
                  "choose one with the chat template override (chatml, llama3). It begins: {:.80}",
                  text));
}

ChatTemplateKind detect_chat_template(const gguf::GgufFile& file, std::string_view override_name) {
  try {
    return detect_chat_template_text(template_of(file), override_name);
  } catch (const TokenizerError& e) {
    throw TokenizerError(fmt::format("{}: {}", file.path().string(), e.what()));
  }
}

std::optional<std::string> chatml_default_system_prompt(std::string_view text) {
  // Look for a string literal that opens a system turn and closes it without
  // leaving the literal: '<|im_start|>system\n...<|im_end|>'. The newline is
  // either a real one or Jinja's escape "\n".
  const std::string opening = fmt::format("{}system", kImStart);
  for (size_t at = text.find(opening); at != std::string_view::npos; at = text.find(opening, at + 1)) {
    size_t pos = at + opening.size();
    if (text.substr(pos, 1) == "\n") {
      pos += 1;
    } else if (text.substr(pos, 2) == "\\n") {
      pos += 2;
    } else {
      continue;
    }
    std::string prompt;
    bool closed = false;
    while (pos < text.size()) {
      if (text.substr(pos).starts_with(kImEnd)) {
        closed = true;
        break;
      }
      const char c = text[pos];
      if (c == '\'' || c == '"' || c == '{' || c == '}') break; // the literal ends before <|im_end|>
      if (c == '\\' && pos + 1 < text.size()) {
        const char e = text[pos + 1];
        prompt += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        pos += 2;
        continue;
      }
      prompt += c;
      ++pos;
    }
    if (closed) return prompt;
  }
  return std::nullopt;
}

std::string apply_chat_template_text(ChatTemplateKind kind, std::string_view template_text,
                                     std::span<const ChatMessage> messages, bool add_generation_prompt) {
  return kind == ChatTemplateKind::kChatML ? render_chatml(template_text, messages, add_generation_prompt)
                                           : render_llama3(template_text, messages, add_generation_prompt);
}

std::string apply_chat_template(ChatTemplateKind kind, const gguf::GgufFile& file,
                                std::span<const ChatMessage> messages, bool add_generation_prompt) {
  return apply_chat_template_text(kind, template_of(file), messages, add_generation_prompt);
}

} // namespace lathe
