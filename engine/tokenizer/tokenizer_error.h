// The one exception type of engine/tokenizer: a message a user can act on
// (which file, which key, which name, what would be accepted).
#pragma once

#include <stdexcept>

namespace lathe {

class TokenizerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

} // namespace lathe
