// engine_setup(): every knob the engine acts on reaches the session, the
// sampler or the model loader; a value no kernel can act on is refused.
#include "harness/eval/engine_setup.h"

#include <gtest/gtest.h>

namespace lathe::harness {
namespace {

ModelConfig model_with_context(int64_t n) {
  ModelConfig m;
  m.context_length = n;
  return m;
}

TEST(EngineSetupTest, ThreadPinningAndHugePagesReachTheSession) {
  RuntimeConfig c;
  c.threads.count = 2;
  c.threads.pin = true;
  c.memory.huge_pages = true;
  const EngineSetup s = engine_setup(c, model_with_context(2048), 512);
  EXPECT_TRUE(s.session.pin_threads);
  EXPECT_TRUE(s.session.huge_pages);
  EXPECT_EQ(s.session.n_threads, 2);
  EXPECT_TRUE(s.not_applied.empty()) << s.not_applied.front();
}

TEST(EngineSetupTest, MemoryKnobsBecomeTheLoadersOptions) {
  RuntimeConfig c;
  c.memory.prefault = true;
  c.memory.mlock = true;
  const MemoryOptions m = memory_options(c);
  EXPECT_TRUE(m.prefault);
  EXPECT_TRUE(m.mlock);
  EXPECT_FALSE(m.huge_pages);
}

TEST(EngineSetupTest, ARepackedLayoutIsRefusedAsInTheCli) {
  RuntimeConfig c;
  c.kernels.matvec_layout = MatvecLayout::kRepacked;
  try {
    engine_setup(c, model_with_context(2048), 512);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("kernels.matvec_layout: repacked is not available"), std::string::npos)
        << e.what();
  }
}

} // namespace
} // namespace lathe::harness
