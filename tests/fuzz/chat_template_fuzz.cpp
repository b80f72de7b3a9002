// libFuzzer target for chat templates: any template text, override name and
// messages must either render or throw TokenizerError (an unknown or missing
// template, an unsupported role); never crash, hang or throw anything else.
// A rendered ChatML prompt holds every message's content verbatim.
//
// Input: NUL-separated fields. Field 0: one flags byte (bit 0: add the
// generation prompt) followed by the override name ("", "chatml", "llama3" or
// anything); field 1: the template text (tokenizer.chat_template); then role
// and content fields in pairs (an odd last field is a role with no content).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/chat_template.h"
#include "engine/tokenizer/tokenizer_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> fields;
  for (;;) {
    const size_t nul = input.find('\0');
    fields.push_back(input.substr(0, nul));
    if (nul == std::string_view::npos) break;
    input.remove_prefix(nul + 1);
  }
  const std::string_view head = fields[0];
  const bool add_generation_prompt = !head.empty() && (head[0] & 1);
  const std::string_view override_name = head.empty() ? head : head.substr(1);
  const std::string_view template_text = fields.size() > 1 ? fields[1] : std::string_view();
  std::vector<lathe::ChatMessage> messages;
  for (size_t i = 2; i < fields.size(); i += 2) {
    messages.push_back({std::string(fields[i]), i + 1 < fields.size() ? std::string(fields[i + 1]) : ""});
  }

  (void)lathe::chatml_default_system_prompt(template_text);
  lathe::ChatTemplateKind kind;
  try {
    kind = lathe::detect_chat_template_text(template_text, override_name);
  } catch (const lathe::TokenizerError&) {
    return 0;
  }
  std::string prompt;
  try {
    prompt = lathe::apply_chat_template_text(kind, template_text, messages, add_generation_prompt);
  } catch (const lathe::TokenizerError&) {
    return 0;
  }
  if (kind == lathe::ChatTemplateKind::kChatML) {
    for (const lathe::ChatMessage& m : messages) {
      if (prompt.find(m.content) == std::string::npos) {
        std::fprintf(stderr, "chat_template_fuzz: a message's content is missing from the ChatML prompt\n");
        std::abort();
      }
    }
  }
  return 0;
}
