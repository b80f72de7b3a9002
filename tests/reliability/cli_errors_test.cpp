// The bad-input catalogue (docs/errors.md), rows seen from the command line:
// the `lathe` binary, given a bad file, value or text, prints one message on
// stderr that names what was wrong and exits non-zero.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <string>

#include "engine/model/memory_check.h"
#include "reliability/chat_model.h"

namespace lathe {
namespace {

using ::testing::AllOf;
using testing::chat_model_writer;
using ::testing::HasSubstr;
using testing::make_chat_model;
using ::testing::StartsWith;
using testing::TinyModel;

struct Outcome {
  int exit_code = -1;
  std::string out, err;
};

class CliErrorsTest : public ::testing::Test {
 protected:
  // Runs `lathe ARGS...` (each argument single-quoted for the shell).
  Outcome lathe(std::initializer_list<std::string> args) {
    const auto out = dir_.path() / "stdout", err = dir_.path() / "stderr";
    std::string command = quote(LATHE_BINARY);
    for (const std::string& a : args) command.append(" ").append(quote(a));
    command.append(" >").append(quote(out.string())).append(" 2>").append(quote(err.string()));
    command.append(" </dev/null");
    const int status = std::system(command.c_str());
    Outcome r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }

  std::string write(const TinyModel& m, const std::string& name = "model.gguf") {
    return dir_.write(name, chat_model_writer(m).build()).string();
  }
  std::string write_text(const std::string& name, const std::string& text) {
    const auto path = dir_.path() / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  // The failure every row expects: exit code 1 and one "lathe: error:" message.
  static void expect_error(const Outcome& r) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, StartsWith("lathe: error: "));
  }

  gguf::testing::TestDir dir_;

 private:
  static std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) {
      if (c == '\'') {
        q.append("'\\''");
      } else {
        q.push_back(c);
      }
    }
    q.push_back('\'');
    return q;
  }
  static std::string slurp(const std::filesystem::path& p) {
    std::ostringstream s;
    s << std::ifstream(p, std::ios::binary).rdbuf();
    return s.str();
  }
};

TEST_F(CliErrorsTest, TheTinyModelIsDescribed) {
  const Outcome r = lathe({"info", write(make_chat_model()), "--check-weights"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("weights:         all"));
}

TEST_F(CliErrorsTest, MissingModelFile) {
  const std::string path = (dir_.path() / "nowhere.gguf").string();
  const Outcome r = lathe({"info", path});
  expect_error(r);
  EXPECT_THAT(r.err, AllOf(HasSubstr(path), HasSubstr("cannot open"), HasSubstr("No such file")));
}

TEST_F(CliErrorsTest, ModelPathIsADirectory) {
  const Outcome r = lathe({"info", dir_.path().string()});
  expect_error(r);
  EXPECT_THAT(r.err, HasSubstr("not a regular file"));
}

TEST_F(CliErrorsTest, TruncatedModel) {
  gguf::testing::Bytes bytes = chat_model_writer(make_chat_model()).build();
  bytes.resize(bytes.size() / 2);
  const Outcome r = lathe({"info", dir_.write("half.gguf", bytes).string()});
  expect_error(r);
  EXPECT_THAT(r.err, AllOf(HasSubstr("half.gguf"), HasSubstr("past the end of the file")));
}

TEST_F(CliErrorsTest, NotAModelFile) {
  const Outcome r = lathe({"info", write_text("notes.gguf", "these are not weights, just a text file\n")});
  expect_error(r);
  EXPECT_THAT(r.err, AllOf(HasSubstr("notes.gguf"), HasSubstr("not a GGUF file")));
}

TEST_F(CliErrorsTest, NonFiniteWeightsWithTheCheck) {
  TinyModel m = make_chat_model();
  m.tensors["blk.0.ffn_gate.weight"][1] = std::numeric_limits<float>::quiet_NaN();
  const std::string path = write(m);
  EXPECT_EQ(lathe({"info", path}).exit_code, 0) << "without the check the file is only described";
  const Outcome r = lathe({"info", path, "--check-weights"});
  expect_error(r);
  EXPECT_THAT(r.err,
              AllOf(HasSubstr("weights that are not finite"),
                    HasSubstr("tensor 'blk.0.ffn_gate.weight' has 1 NaN and 0 Inf values (the first at "
                              "row 0, column 1)")));
}

TEST_F(CliErrorsTest, InvalidUtf8Text) {
  const std::string model = write(make_chat_model());
  const Outcome r = lathe({"tokenize", "-m", model, "-f", write_text("bad.txt", "caf\xC3")});
  expect_error(r);
  EXPECT_THAT(r.err, AllOf(HasSubstr("not valid UTF-8"), HasSubstr("offset 3")));
  const Outcome lenient = lathe(
      {"tokenize", "-m", model, "-f", write_text("bad2.txt", "caf\xC3"), "--replace-invalid-utf8", "--ids"});
  EXPECT_EQ(lenient.exit_code, 0) << lenient.err;
}

TEST_F(CliErrorsTest, EmptyPrompt) {
  const Outcome r = lathe({"generate", "-m", write(make_chat_model()), "-p", ""});
  expect_error(r);
  EXPECT_THAT(r.err, HasSubstr("the prompt is empty"));
}

TEST_F(CliErrorsTest, PromptLongerThanTheContext) {
  const std::string model = write(make_chat_model(32));
  const Outcome r = lathe({"generate", "-m", model, "-p", std::string(40, 'x')});
  expect_error(r);
  EXPECT_THAT(r.err, AllOf(HasSubstr("the prompt is 40 tokens"), HasSubstr("context of 32")));
  const Outcome truncated =
      lathe({"generate", "-m", model, "-p", std::string(40, 'x'), "--truncate", "-n", "2"});
  EXPECT_EQ(truncated.exit_code, 0) << truncated.err;
}

TEST_F(CliErrorsTest, TokenBudgetOfZero) {
  const Outcome r = lathe({"generate", "-m", write(make_chat_model()), "-p", "hello", "-n", "0"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "") << "nothing is generated";
  EXPECT_THAT(r.err, HasSubstr("token budget"));
}

TEST_F(CliErrorsTest, ModelLargerThanTheMemory) {
  const AvailableMemory available = available_memory();
  if (available.bytes == UINT64_MAX) GTEST_SKIP() << "this system reports no available memory";
  // As BadInputTest.ModelLargerThanTheMemory: a sparse file, never read.
  const uint64_t rows = 2 * available.bytes / (64 * sizeof(float)) + 1;
  gguf::testing::GgufWriter w = chat_model_writer(make_chat_model(), {"token_embd.weight"});
  w.tensor({.name = "token_embd.weight", .dims = {64, rows}, .type_id = 0, .data = {}, .offset = {}});
  gguf::testing::Layout layout;
  const auto path = dir_.write("huge.gguf", w.build(&layout));
  std::filesystem::resize_file(path,
                               layout.data_offset + layout.tensor_offsets.back() + rows * 64 * sizeof(float));
  const Outcome r = lathe({"generate", "-m", path.string(), "-p", "hello"});
  expect_error(r);
  EXPECT_THAT(r.err, AllOf(HasSubstr("huge.gguf: the model needs"), HasSubstr("GiB is available")));
}

TEST_F(CliErrorsTest, InvalidConfigValue) {
  const Outcome r = lathe({"config", "--print", "--set", "threads.count=-2"});
  expect_error(r);
  EXPECT_THAT(r.err, AllOf(HasSubstr("--set threads.count=-2"), HasSubstr("threads.count")));
  const std::string file = write_text("bad.yaml", "sampling:\n  top_p: 1.5\n");
  const Outcome f = lathe({"config", "--print", "--config", file});
  expect_error(f);
  EXPECT_THAT(f.err, AllOf(HasSubstr(file + ":2:10"), HasSubstr("sampling.top_p")));
}

TEST_F(CliErrorsTest, ConfigTheYamlParserCannotRead) {
  // yaml-cpp 0.7 used to loop forever on this (tests/fuzz/README.md).
  const std::string file = write_text("comma.yaml", "threads:\n  count: 1\n,\n");
  const Outcome r = lathe({"config", "--print", "--config", file});
  expect_error(r);
  EXPECT_THAT(r.err, HasSubstr(file + ":3:1: invalid YAML"));
}

TEST_F(CliErrorsTest, MissingConfigFile) {
  const std::string file = (dir_.path() / "absent.yaml").string();
  const Outcome r = lathe({"config", "--print", "--config", file});
  expect_error(r);
  EXPECT_THAT(r.err, HasSubstr(file + ": config file not found"));
}

} // namespace
} // namespace lathe
