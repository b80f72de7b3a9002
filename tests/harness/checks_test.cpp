// Content checks: each kind on answers that should pass and answers that
// should not.
#include "harness/eval/checks.h"

#include <gtest/gtest.h>

namespace lathe::harness {
namespace {

Check terms(CheckKind kind, std::vector<std::string> t) {
  Check c;
  c.kind = kind;
  c.terms = std::move(t);
  return c;
}

Check number(CheckKind kind, double n) {
  Check c;
  c.kind = kind;
  c.number = n;
  return c;
}

Check count(CheckKind kind, int64_t n) {
  Check c;
  c.kind = kind;
  c.count = n;
  return c;
}

TEST(Checks, ContainsIsCaseInsensitiveAndNamesWhatIsMissing) {
  const Check c = terms(CheckKind::kContains, {"Hash Function", "bucket"});
  EXPECT_TRUE(run_check(c, "A hash function picks the BUCKET.").pass);
  const CheckResult r = run_check(c, "A hash function picks a slot.");
  EXPECT_FALSE(r.pass);
  EXPECT_EQ(r.detail, "missing: bucket");
}

TEST(Checks, ContainsAnyNeedsOne) {
  const Check c = terms(CheckKind::kContainsAny, {"collision", "collide"});
  EXPECT_TRUE(run_check(c, "when two keys collide").pass);
  EXPECT_FALSE(run_check(c, "keys never meet").pass);
}

TEST(Checks, NumbersAreWholeNumbers) {
  EXPECT_EQ(numbers_in("28 boxes, 3.5 kg, 1,250 people, -4 degrees, x2"),
            (std::vector<double>{28, 3.5, 1250, -4, 2}));
  const Check c = number(CheckKind::kNumber, 28);
  EXPECT_TRUE(run_check(c, "So the answer is 28.").pass);
  EXPECT_TRUE(run_check(c, "**28 boxes**").pass);
  EXPECT_TRUE(run_check(c, "28.0").pass);
  EXPECT_FALSE(run_check(c, "It fills 280 boxes").pass);
  EXPECT_FALSE(run_check(c, "It fills 128 boxes").pass);
  EXPECT_FALSE(run_check(c, "2.8 boxes").pass);
}

TEST(Checks, LastNumberIsTheFinalAnswer) {
  const Check c = number(CheckKind::kLastNumber, 28);
  EXPECT_TRUE(run_check(c, "150 + 186 = 336, and 336 / 12 = 28.").pass);
  EXPECT_FALSE(run_check(c, "28? No: 336 / 12 = 29").pass);
  EXPECT_FALSE(run_check(c, "no numbers").pass);
}

TEST(Checks, MinLinesCountsNonBlankLines) {
  const Check c = count(CheckKind::kMinLines, 4);
  EXPECT_TRUE(run_check(c, "one\ntwo\n\nthree\nfour\n").pass);
  EXPECT_FALSE(run_check(c, "one\n\n  \ntwo\nthree").pass);
}

TEST(Checks, WordCounts) {
  EXPECT_TRUE(run_check(count(CheckKind::kMinWords, 3), "one two  three").pass);
  EXPECT_FALSE(run_check(count(CheckKind::kMinWords, 4), "one two\nthree").pass);
  EXPECT_TRUE(run_check(count(CheckKind::kMaxWords, 3), "one two three").pass);
  EXPECT_FALSE(run_check(count(CheckKind::kMaxWords, 2), "one two three").pass);
}

TEST(Checks, PythonDefNeedsAnIndentedBody) {
  Check c;
  c.kind = CheckKind::kPythonDef;
  EXPECT_TRUE(run_check(c, "```python\ndef fib(n):\n    return n\n```").pass);
  EXPECT_TRUE(run_check(c, "def fib(n: int) -> int:\n\n\treturn n").pass);
  EXPECT_TRUE(run_check(c, "class A:\n    def f(self):\n        pass\n").pass);
  EXPECT_FALSE(run_check(c, "def fib(n):\nreturn n").pass);   // body not indented
  EXPECT_FALSE(run_check(c, "def fib(n):").pass);            // no body
  EXPECT_FALSE(run_check(c, "function fib(n) {\n  return n;\n}").pass);
  EXPECT_FALSE(run_check(c, "    define(x):\n        y").pass);
}

TEST(Checks, DescribeIsReadable) {
  EXPECT_EQ(describe(terms(CheckKind::kContains, {"a", "b"})), "contains [a, b]");
  EXPECT_EQ(describe(number(CheckKind::kNumber, 28)), "number 28");
  EXPECT_EQ(describe(count(CheckKind::kMinLines, 4)), "min_lines 4");
}

} // namespace
} // namespace lathe::harness
