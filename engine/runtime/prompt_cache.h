// The prompt cache (prompt_cache.enabled): consecutive requests of a session
// often start alike (a chat's history, a shared system prompt). Before a
// request, the session keeps the longest prefix of it that its KV cache
// already holds and evaluates only the rest; the logits are those of a fresh
// evaluation (the kept rows are what evaluating the prefix again would write).
#pragma once

#include <cstdint>
#include <span>

#include "engine/runtime/session.h"

namespace lathe {

// Prepares `session` for `request`, a whole context from position 0: with
// reuse, rewinds it to the longest prefix of request it can keep (at most
// request.size() - 1 tokens, so that at least one is evaluated and gives
// logits); without, resets it. Returns the tokens kept: the caller then
// evaluates request[kept:].
int64_t keep_cached_prefix(Session& session, std::span<const int32_t> request, bool reuse);

} // namespace lathe
