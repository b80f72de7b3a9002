#include "harness/eval/checks.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace lathe::harness {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool contains_ci(std::string_view haystack_lower, std::string_view term) {
  return haystack_lower.find(lowercase(term)) != std::string_view::npos;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text = text.substr(nl + 1);
  }
  return lines;
}

bool is_blank(std::string_view line) { return std::all_of(line.begin(), line.end(), is_space); }

size_t indent_of(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && (line[n] == ' ' || line[n] == '\t')) ++n;
  return n;
}

// "def name(...):" possibly followed by a return annotation or a comment.
bool is_def_line(std::string_view line) {
  line.remove_prefix(indent_of(line));
  if (!line.starts_with("def ")) return false;
  line.remove_prefix(4);
  size_t i = 0;
  while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_')) ++i;
  if (i == 0 || i >= line.size() || line[i] != '(') return false;
  const size_t close = line.rfind(')');
  const size_t colon = line.find(':', close == std::string_view::npos ? i : close);
  return close != std::string_view::npos && colon != std::string_view::npos;
}

bool has_python_def(std::string_view text) {
  const std::vector<std::string_view> lines = lines_of(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!is_def_line(lines[i])) continue;
    const size_t def_indent = indent_of(lines[i]);
    for (size_t j = i + 1; j < lines.size(); ++j) {
      if (is_blank(lines[j])) continue;
      if (indent_of(lines[j]) > def_indent) return true;
      break;
    }
  }
  return false;
}

int64_t count_words(std::string_view text) {
  int64_t n = 0;
  bool in_word = false;
  for (char c : text) {
    if (is_space(c)) {
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      ++n;
    }
  }
  return n;
}

// A thousands separator at text[j]: ',' followed by exactly three digits.
bool thousands_group_at(std::string_view text, size_t j) {
  return text[j] == ',' && j + 3 < text.size() && is_digit(text[j + 1]) && is_digit(text[j + 2]) &&
         is_digit(text[j + 3]) && (j + 4 == text.size() || !is_digit(text[j + 4]));
}

std::string format_number(double x) { return fmt::format("{}", x); }

} // namespace

std::string_view check_kind_name(CheckKind kind) {
  switch (kind) {
    case CheckKind::kContains: return "contains";
    case CheckKind::kContainsAny: return "contains_any";
    case CheckKind::kNumber: return "number";
    case CheckKind::kLastNumber: return "last_number";
    case CheckKind::kMinLines: return "min_lines";
    case CheckKind::kMinWords: return "min_words";
    case CheckKind::kMaxWords: return "max_words";
    case CheckKind::kPythonDef: return "python_def";
  }
  return "?";
}

std::string describe(const Check& c) {
  switch (c.kind) {
    case CheckKind::kContains:
    case CheckKind::kContainsAny: return fmt::format("{} [{}]", check_kind_name(c.kind), fmt::join(c.terms, ", "));
    case CheckKind::kNumber:
    case CheckKind::kLastNumber: return fmt::format("{} {}", check_kind_name(c.kind), format_number(c.number));
    case CheckKind::kMinLines:
    case CheckKind::kMinWords:
    case CheckKind::kMaxWords: return fmt::format("{} {}", check_kind_name(c.kind), c.count);
    case CheckKind::kPythonDef: return "python_def";
  }
  return "?";
}

std::vector<double> numbers_in(std::string_view text) {
  std::vector<double> out;
  size_t i = 0;
  while (i < text.size()) {
    if (!is_digit(text[i]) || (i > 0 && (is_digit(text[i - 1]) || text[i - 1] == '.'))) {
      ++i;
      continue;
    }
    const bool negative = i > 0 && text[i - 1] == '-' && (i == 1 || !std::isalnum(static_cast<unsigned char>(text[i - 2])));
    std::string digits;
    size_t j = i;
    while (j < text.size()) {
      if (is_digit(text[j])) {
        digits += text[j++];
      } else if (thousands_group_at(text, j)) {
        ++j; // a thousands separator: exactly three digits follow
      } else {
        break;
      }
    }
    if (j + 1 < text.size() && text[j] == '.' && is_digit(text[j + 1])) {
      digits += '.';
      ++j;
      while (j < text.size() && is_digit(text[j])) digits += text[j++];
    }
    const double v = std::strtod(digits.c_str(), nullptr);
    out.push_back(negative ? -v : v);
    i = j;
  }
  return out;
}

CheckResult run_check(const Check& c, std::string_view text) {
  CheckResult r;
  const auto fail = [&](std::string detail) {
    r.pass = false;
    r.detail = std::move(detail);
    return r;
  };
  r.pass = true;
  switch (c.kind) {
    case CheckKind::kContains: {
      const std::string low = lowercase(text);
      std::vector<std::string> missing;
      for (const std::string& t : c.terms) {
        if (!contains_ci(low, t)) missing.push_back(t);
      }
      if (!missing.empty()) return fail(fmt::format("missing: {}", fmt::join(missing, ", ")));
      return r;
    }
    case CheckKind::kContainsAny: {
      const std::string low = lowercase(text);
      for (const std::string& t : c.terms) {
        if (contains_ci(low, t)) return r;
      }
      return fail(fmt::format("none of: {}", fmt::join(c.terms, ", ")));
    }
    case CheckKind::kNumber: {
      const std::vector<double> nums = numbers_in(text);
      if (std::none_of(nums.begin(), nums.end(), [&](double x) { return x == c.number; })) {
        return fail(fmt::format("no number {}", format_number(c.number)));
      }
      return r;
    }
    case CheckKind::kLastNumber: {
      const std::vector<double> nums = numbers_in(text);
      if (nums.empty()) return fail("no number at all");
      if (nums.back() != c.number) {
        return fail(fmt::format("last number is {}, expected {}", format_number(nums.back()), format_number(c.number)));
      }
      return r;
    }
    case CheckKind::kMinLines: {
      const auto lines = lines_of(text);
      const int64_t n = std::count_if(lines.begin(), lines.end(), [](std::string_view l) { return !is_blank(l); });
      if (n < c.count) return fail(fmt::format("{} non-blank lines, expected at least {}", n, c.count));
      return r;
    }
    case CheckKind::kMinWords: {
      const int64_t n = count_words(text);
      if (n < c.count) return fail(fmt::format("{} words, expected at least {}", n, c.count));
      return r;
    }
    case CheckKind::kMaxWords: {
      const int64_t n = count_words(text);
      if (n > c.count) return fail(fmt::format("{} words, expected at most {}", n, c.count));
      return r;
    }
    case CheckKind::kPythonDef:
      if (!has_python_def(text)) return fail("no `def name(...):` line followed by an indented body");
      return r;
  }
  return fail("unknown check");
}

} // namespace lathe::harness
