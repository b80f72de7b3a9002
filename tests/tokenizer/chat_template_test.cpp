// Chat template recognition and rendering on short template texts written
// here in the style of the models' templates; the expected prompts follow
// the formats' definitions (the golden test checks the real templates).
#include "engine/tokenizer/chat_template.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/tokenizer/tokenizer_error.h"

namespace lathe {
namespace {

// Qwen-style: Jinja escapes for the newlines, the default prompt in a literal,
// and earlier literals that open a system turn without closing it.
constexpr std::string_view kQwenLike =
    "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + "
    "'<|im_end|>\\n' }}{%- else %}{{- '<|im_start|>system\\nYou are Lathe, a careful helper.<|im_end|>\\n' }}"
    "{%- endif %}{%- for message in messages %}...{%- endfor %}";
// SmolLM2-style: a real newline inside the literal.
constexpr std::string_view kSmolLike =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ "
    "'<|im_start|>system\n"
    "Be brief, it\\'s fine<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}";
constexpr std::string_view kPlainChatML =
    "{% for m in messages %}{{'<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>\n'}}{% endfor "
    "%}";
constexpr std::string_view kLlama30 =
    "{% for message in messages %}{% set content = '<|start_header_id|>' + message['role'] + "
    "'<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{{ content }}{% endfor %}";
constexpr std::string_view kLlama31 =
    "{{- bos_token }}{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}{{- \"Cutting Knowledge "
    "Date: "
    "December 2023\\n\" }}{{- \"Today Date: \" + date_string + \"\\n\\n\" }}...<|eot_id|>";

std::vector<ChatMessage> conversation() {
  return {{"user", "Hi"}, {"assistant", "Hello!"}, {"user", "  Two\nlines  "}};
}

TEST(ChatTemplate, RecognisesTheFamilies) {
  EXPECT_EQ(detect_chat_template_text(kQwenLike), ChatTemplateKind::kChatML);
  EXPECT_EQ(detect_chat_template_text(kSmolLike), ChatTemplateKind::kChatML);
  EXPECT_EQ(detect_chat_template_text(kLlama30), ChatTemplateKind::kLlama3);
  EXPECT_EQ(detect_chat_template_text(kLlama31), ChatTemplateKind::kLlama3);
  EXPECT_EQ(chat_template_name(ChatTemplateKind::kLlama3), "llama3");
}

TEST(ChatTemplate, OverrideWinsAndUnknownIsAClearError) {
  EXPECT_EQ(detect_chat_template_text(kLlama30, "chatml"), ChatTemplateKind::kChatML);
  EXPECT_EQ(detect_chat_template_text("", "llama3"), ChatTemplateKind::kLlama3);
  EXPECT_THROW(detect_chat_template_text(kLlama30, "vicuna"), TokenizerError);
  EXPECT_THROW(detect_chat_template_text(""), TokenizerError);
  try {
    detect_chat_template_text("{{ '[INST] ' + message['content'] + ' [/INST]' }}");
    FAIL() << "expected TokenizerError";
  } catch (const TokenizerError& e) {
    EXPECT_NE(std::string(e.what()).find("override"), std::string::npos) << e.what();
  }
}

TEST(ChatTemplate, FindsTheDefaultSystemPrompt) {
  EXPECT_EQ(chatml_default_system_prompt(kQwenLike), "You are Lathe, a careful helper.");
  EXPECT_EQ(chatml_default_system_prompt(kSmolLike), "Be brief, it's fine");
  EXPECT_FALSE(chatml_default_system_prompt(kPlainChatML).has_value());
}

TEST(ChatTemplate, ChatMLPutsTheDefaultSystemPromptFirst) {
  const auto messages = conversation();
  EXPECT_EQ(apply_chat_template_text(ChatTemplateKind::kChatML, kQwenLike, messages, true),
            "<|im_start|>system\nYou are Lathe, a careful helper.<|im_end|>\n"
            "<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\nHello!<|im_end|>\n"
            "<|im_start|>user\n  Two\nlines  <|im_end|>\n"
            "<|im_start|>assistant\n");
}

TEST(ChatTemplate, ChatMLKeepsAGivenSystemPromptAndNoGenerationPrompt) {
  const std::vector<ChatMessage> messages = {{"system", "Be terse."}, {"user", "Hi"}};
  EXPECT_EQ(apply_chat_template_text(ChatTemplateKind::kChatML, kSmolLike, messages, false),
            "<|im_start|>system\nBe terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n");
  EXPECT_EQ(apply_chat_template_text(ChatTemplateKind::kChatML, kPlainChatML, {}, true),
            "<|im_start|>assistant\n");
}

TEST(ChatTemplate, Llama3TrimsContents) {
  EXPECT_EQ(apply_chat_template_text(ChatTemplateKind::kLlama3, kLlama30, conversation(), true),
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nTwo\nlines<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplate, Llama31AlwaysWritesTheKnowledgeCutoffSystemBlock) {
  const std::vector<ChatMessage> with_system = {{"system", " Be terse. "}, {"user", "Hi"}};
  EXPECT_EQ(apply_chat_template_text(ChatTemplateKind::kLlama3, kLlama31, with_system, true),
            "<|start_header_id|>system<|end_header_id|>\n\n"
            "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nBe terse.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  const std::vector<ChatMessage> without = {{"user", "Hi"}};
  EXPECT_EQ(apply_chat_template_text(ChatTemplateKind::kLlama3, kLlama31, without, false),
            "<|start_header_id|>system<|end_header_id|>\n\n"
            "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>");
}

TEST(ChatTemplate, UnsupportedRolesAreErrors) {
  const std::vector<ChatMessage> messages = {{"tool", "{\"ok\": true}"}};
  EXPECT_THROW(apply_chat_template_text(ChatTemplateKind::kChatML, kPlainChatML, messages, true),
               TokenizerError);
  EXPECT_THROW(apply_chat_template_text(ChatTemplateKind::kLlama3, kLlama30, messages, true), TokenizerError);
}

} // namespace
} // namespace lathe
