#include "engine/runtime/prompt_cache.h"

namespace lathe {

int64_t keep_cached_prefix(Session& session, std::span<const int32_t> request, bool reuse) {
  const int64_t keep = reuse && !request.empty() ? session.reusable_prefix(request.first(request.size() - 1)) : 0;
  session.rewind(keep);
  return keep;
}

} // namespace lathe
