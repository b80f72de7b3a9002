// Content checks on a generated answer: the text up to the first end-of-turn
// token. Each check is one small, explainable rule; suite.yaml lists them per
// prompt. Matching of words is case-insensitive (ASCII letters).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lathe::harness {

enum class CheckKind {
  kContains,    // every term appears
  kContainsAny, // at least one term appears
  kNumber,      // the number appears as a number of its own (not inside a longer one)
  kLastNumber,  // the last number in the text equals it
  kMinLines,    // at least `count` non-blank lines
  kMinWords,    // at least `count` words (runs of non-space characters)
  kMaxWords,    // at most `count` words
  kPythonDef,   // a `def name(...):` line followed by an indented, non-blank body line
};

struct Check {
  CheckKind kind = CheckKind::kContains;
  std::vector<std::string> terms; // kContains, kContainsAny
  double number = 0.0;            // kNumber, kLastNumber
  int64_t count = 0;              // kMinLines, kMinWords, kMaxWords
};

// The YAML key of a kind: "contains", "contains_any", "number", "last_number",
// "min_lines", "min_words", "max_words", "python_def".
std::string_view check_kind_name(CheckKind kind);

// One line, e.g. "contains [photosynthesis, chlorophyll]" or "number 42".
std::string describe(const Check& check);

struct CheckResult {
  bool pass = false;
  std::string detail; // why it failed ("missing: chlorophyll"), empty on a pass
};

CheckResult run_check(const Check& check, std::string_view text);

// The numbers in `text`, in order: optional minus sign, digits with optional
// thousands commas ("1,250"), optional decimal part. "3.5" is one number.
std::vector<double> numbers_in(std::string_view text);

} // namespace lathe::harness
