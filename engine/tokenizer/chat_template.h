// Chat templates, recognised rather than interpreted: the file's Jinja text
// (tokenizer.chat_template) is matched against the two families Lathe
// renders itself, ChatML and Llama 3 headers. Rendering follows what the
// models' own templates produce for system / user / assistant messages.
//
// The rendered prompt never starts with the BOS token text: encode it with
// parse_special and add_bos_eos both on, and the file's add_bos_token flag
// supplies BOS (Llama 3 sets it; Qwen2.5 and SmolLM2 do not).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "engine/gguf/gguf_file.h"

namespace lathe {

struct ChatMessage {
  std::string role; // "system", "user" or "assistant"
  std::string content;
};

enum class ChatTemplateKind {
  kChatML, // <|im_start|>role\ncontent<|im_end|>\n (Qwen2, SmolLM2)
  kLlama3, // <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>
};

std::string_view chat_template_name(ChatTemplateKind kind); // "chatml", "llama3"

// The kind of the file's template; override_name ("chatml" / "llama3") wins
// when non-empty. Throws TokenizerError when the override is unknown or the
// template is absent or not recognised (the message names the override).
ChatTemplateKind detect_chat_template(const gguf::GgufFile& file, std::string_view override_name = {});
ChatTemplateKind detect_chat_template_text(std::string_view template_text,
                                           std::string_view override_name = {});

// The prompt for `messages`; add_generation_prompt appends the opening of an
// assistant turn. The file's template supplies the details:
//   ChatML: a default system prompt written in the template (Qwen's "You are
//     Qwen, ...", SmolLM2's "You are a helpful AI assistant named SmolLM, ...")
//     is put first when the first message is not a system message;
//   Llama 3: contents are trimmed as the template does; a template that
//     writes a "Cutting Knowledge Date" header (Llama 3.1 and later) gets that
//     system block always, with the template's fixed date "26 Jul 2024".
// Throws TokenizerError for roles other than system, user and assistant
// (tool calls are not rendered).
std::string apply_chat_template(ChatTemplateKind kind, const gguf::GgufFile& file,
                                std::span<const ChatMessage> messages, bool add_generation_prompt);
std::string apply_chat_template_text(ChatTemplateKind kind, std::string_view template_text,
                                     std::span<const ChatMessage> messages, bool add_generation_prompt);

// The default system prompt a ChatML template writes when the conversation
// has none, if it has one.
std::optional<std::string> chatml_default_system_prompt(std::string_view template_text);

} // namespace lathe
