// Attention over a typed KV cache (f32, f16, q8_0, q4_0), with and without a
// window and a ring of rows:
// - the row stores: f32 exact, f16 the correctly rounded half, q8_0 / q4_0
//   within one quantization step, and exact on values the block format holds;
// - the scalar kernel of each type gives bit for bit what the scalar f32
//   kernel gives on the dequantized cache (the elements are exact in float and
//   the operations the same), and a ring gives what a flat cache gives;
// - the ISA kernels against the scalar ones, with tolerances from the data,
//   over key counts that hit every block tail, head tiles, windows and rings;
// - hand-made cases with exact answers: one-hot queries through the window and
//   the wrap of the ring, on every type and both tables.

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "isa_test_data.h"
#include "kernels/dequantize.h"
#include "kernels/kernel_table.h"

namespace lathe::kernels::testing {
namespace {

constexpr KvType kTypes[] = {KvType::kF32, KvType::kF16, KvType::kQ8_0, KvType::kQ4_0};

// A cache of `rows` rows of `width` elements in `type`, and its dequantized copy.
struct TypedCache {
  std::vector<uint8_t> bytes;  // (rows, kv_row_bytes(type, width))
  std::vector<float> floats;   // (rows, width): what the kernels see
};

void dequantize_kv_row(KvType type, const void* src, float* dst, int64_t n) {
  switch (type) {
    case KvType::kF32: scalar::dequantize_row_f32(src, dst, n); break;
    case KvType::kF16: scalar::dequantize_row_f16(src, dst, n); break;
    case KvType::kQ8_0: scalar::dequantize_row_q8_0(src, dst, n); break;
    case KvType::kQ4_0: scalar::dequantize_row_q4_0(src, dst, n); break;
  }
}

TypedCache make_cache(KvType type, const std::vector<float>& x, int64_t width) {
  const int64_t rows = static_cast<int64_t>(x.size()) / width;
  const int64_t rb = kv_row_bytes(type, width);
  TypedCache c;
  c.bytes.resize(static_cast<size_t>(rows * rb));
  c.floats.resize(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    ref().kv_store(type)(x.data() + r * width, c.bytes.data() + r * rb, width);
    dequantize_kv_row(type, c.bytes.data() + r * rb, c.floats.data() + r * width, width);
  }
  return c;
}

std::string name(KvType t) { return std::string(kv_type_name(t)); }

// --- Row stores -------------------------------------------------------------

TEST(KvStoreTest, RowsRoundTripWithinOneStep) {
  Rng rng(11);
  for (const KvType type : kTypes) {
    for (const int64_t n : {32, 64, 128}) {
      const std::vector<float> x = random_floats(rng, n, 3.0f);
      for (const KernelTable* t : {&ref(), &isa()}) {
        std::vector<uint8_t> row(static_cast<size_t>(kv_row_bytes(type, n)));
        t->kv_store(type)(x.data(), row.data(), n);
        std::vector<float> back(static_cast<size_t>(n));
        dequantize_kv_row(type, row.data(), back.data(), n);
        for (int64_t b = 0; b < n; b += 32) {
          float amax = 0.0f;
          for (int64_t i = b; i < b + 32; ++i) amax = std::max(amax, std::fabs(x[i]));
          for (int64_t i = b; i < b + 32; ++i) {
            switch (type) {
              case KvType::kF32: ASSERT_EQ(back[i], x[i]); break;
              case KvType::kF16: ASSERT_EQ(back[i], f16_to_f32(f32_to_f16(x[i]))); break;
              // half a step of amax / 127 from rounding the code, plus the f16
              // rounding of the scale (2^-11 relative) times the largest code
              case KvType::kQ8_0:
                ASSERT_LE(std::fabs(back[i] - x[i]), amax / 127.0f * 0.5f + amax * 0x1p-10f) << i;
                break;
              // a step is amax / 8; the code opposite the extreme clamps at 15
              // (a full step), plus the scale's f16 rounding times up to 8 codes
              case KvType::kQ4_0:
                ASSERT_LE(std::fabs(back[i] - x[i]), amax / 8.0f + amax * 0x1p-10f) << i;
                break;
            }
          }
        }
      }
    }
  }
}

// Values each block format holds exactly: in every block of 32, element 0 is
// the extreme (127 for q8_0, so d = 1; -8 for q4_0, so d = 1), the rest small
// integers in [-7, 7].
float exact_value(KvType type, int64_t p, int64_t i) {
  if (i % 32 == 0) return type == KvType::kQ8_0 ? 127.0f : -8.0f;
  return static_cast<float>((7 * p + 3 * i) % 15 - 7);
}

TEST(KvStoreTest, ValuesTheFormatHoldsAreExact) {
  for (const KvType type : kTypes) {
    std::vector<float> x(64);
    for (int64_t i = 0; i < 64; ++i) x[i] = exact_value(type, 3, i);
    const TypedCache c = make_cache(type, x, 64);
    for (int64_t i = 0; i < 64; ++i) ASSERT_EQ(c.floats[i], x[i]) << name(type) << " i " << i;
  }
}

// --- The scalar kernel of each type is the f32 one on the dequantized cache --------

struct KvRun {
  AttentionShape s;
  std::vector<float> q;
  TypedCache k, v; // (rows, n_kv_heads * head_dim)
};

KvRun make_run(Rng& rng, KvType type, int64_t n_tokens, int64_t pos0, int64_t n_heads, int64_t n_kv_heads,
             int64_t head_dim, int64_t window, int64_t n_slots) {
  KvRun r;
  r.s.n_tokens = n_tokens;
  r.s.pos0 = pos0;
  r.s.n_heads = n_heads;
  r.s.n_kv_heads = n_kv_heads;
  r.s.head_dim = head_dim;
  r.s.scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  r.s.window = window;
  r.s.n_slots = n_slots;
  const int64_t rows = n_slots > 0 ? n_slots : pos0 + n_tokens;
  const int64_t width = n_kv_heads * head_dim;
  r.q = random_floats(rng, n_tokens * n_heads * head_dim, 2.0f);
  r.k = make_cache(type, random_floats(rng, rows * width), width);
  r.v = make_cache(type, random_floats(rng, rows * width), width);
  return r;
}

std::vector<float> attend_typed(const KernelTable& t, KvType type, const KvRun& r, int64_t h0, int64_t h1) {
  std::vector<float> out(r.q.size(), NAN);
  std::vector<float> scores(static_cast<size_t>(t.attention_scratch_floats(r.s)));
  t.attention_for(type)(r.s, r.q.data(), r.k.bytes.data(), r.v.bytes.data(), out.data(), scores.data(), h0, h1);
  return out;
}

std::vector<float> attend_dequantized(const KvRun& r) {
  std::vector<float> out(r.q.size(), NAN);
  std::vector<float> scores(static_cast<size_t>(ref().attention_scratch_floats(r.s)));
  ref().attention(r.s, r.q.data(), r.k.floats.data(), r.v.floats.data(), out.data(), scores.data(), 0, r.s.n_heads);
  return out;
}

TEST(KvAttentionScalarTest, EachTypeIsTheF32KernelOnTheDequantizedCache) {
  Rng rng(12);
  for (const KvType type : kTypes) {
    for (const int64_t head_dim : {32, 64, 128}) {
      for (const auto& [window, n_slots] : {std::pair<int64_t, int64_t>{0, 0}, {9, 0}, {9, 13}}) {
        const KvRun r = make_run(rng, type, 3, 30, 6, 2, head_dim, window, n_slots);
        const std::vector<float> got = attend_typed(ref(), type, r, 0, r.s.n_heads);
        const std::vector<float> want = attend_dequantized(r);
        for (size_t i = 0; i < got.size(); ++i) {
          ASSERT_EQ(got[i], want[i]) << name(type) << " dim " << head_dim << " window " << window << " i " << i;
        }
      }
    }
  }
}

TEST(KvAttentionScalarTest, ARingIsTheFlatCacheItHolds) {
  // Positions 0 .. 40 in a flat cache, and the last 11 of them in a ring of 11
  // rows (position p in row p % 11); a window of 8 reads only those.
  Rng rng(13);
  const int64_t width = 2 * 32;
  const int64_t n_slots = 11;
  for (const KvType type : kTypes) {
    KvRun flat = make_run(rng, type, 2, 39, 4, 2, 32, 8, 0);
    KvRun ring = flat;
    ring.s.n_slots = n_slots;
    const int64_t rb = kv_row_bytes(type, width);
    ring.k.bytes.assign(static_cast<size_t>(n_slots * rb), 0);
    ring.v.bytes.assign(static_cast<size_t>(n_slots * rb), 0);
    for (int64_t p = 41 - n_slots; p < 41; ++p) {
      std::copy_n(flat.k.bytes.begin() + p * rb, rb, ring.k.bytes.begin() + (p % n_slots) * rb);
      std::copy_n(flat.v.bytes.begin() + p * rb, rb, ring.v.bytes.begin() + (p % n_slots) * rb);
    }
    const std::vector<float> want = attend_typed(ref(), type, flat, 0, 4);
    const std::vector<float> got = attend_typed(ref(), type, ring, 0, 4);
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], want[i]) << name(type) << " i " << i;
  }
}

// --- ISA against scalar --------------------------------------------------------

void expect_isa_matches_scalar(KvType type, const KvRun& r, int64_t h0, int64_t h1) {
  const std::vector<float> got = attend_typed(isa(), type, r, h0, h1);
  const std::vector<float> want = attend_typed(ref(), type, r, h0, h1);
  const AttentionShape& s = r.s;
  const int64_t q_width = s.n_heads * s.head_dim;
  const int64_t kv_width = s.n_kv_heads * s.head_dim;
  for (int64_t t = 0; t < s.n_tokens; ++t) {
    const KeyRuns runs = key_runs(s.pos0 + t, s.window, s.n_slots);
    for (int64_t h = 0; h < s.n_heads; ++h) {
      const float* g = got.data() + t * q_width + h * s.head_dim;
      const float* w = want.data() + t * q_width + h * s.head_dim;
      if (h < h0 || h >= h1) {
        for (int64_t i = 0; i < s.head_dim; ++i) ASSERT_TRUE(std::isnan(g[i])) << "head " << h << " was written";
        continue;
      }
      // Error budget from this head's data, as in attention_simd_test.cpp, on
      // the dequantized elements (exact in float on both sides): scores within
      // (head_dim + 2) u * scale * sum |q_i k_i| of exact each, so weights
      // within e^(+-4 ds), plus (2 n_keys + 16) eps of the softmax and sums.
      const float* qh = r.q.data() + t * q_width + h * s.head_dim;
      const int64_t kv = h / (s.n_heads / s.n_kv_heads);
      double ds = 0.0;
      double v_max = 0.0;
      int64_t n_keys = 0;
      for (int run = 0; run < 2; ++run) {
        for (int64_t row = runs.row[run]; row < runs.row[run] + runs.count[run]; ++row, ++n_keys) {
          const float* kp = r.k.floats.data() + row * kv_width + kv * s.head_dim;
          const float* vp = r.v.floats.data() + row * kv_width + kv * s.head_dim;
          double abs_dot = 0.0;
          for (int64_t i = 0; i < s.head_dim; ++i) {
            abs_dot += std::fabs(static_cast<double>(qh[i]) * kp[i]);
            v_max = std::max(v_max, std::fabs(static_cast<double>(vp[i])));
          }
          ds = std::max(ds, static_cast<double>(s.head_dim + 2) * (FLT_EPSILON / 2) * abs_dot * s.scale);
        }
      }
      const double tol = v_max * (4.0 * ds + static_cast<double>(2 * n_keys + 16) * FLT_EPSILON);
      for (int64_t i = 0; i < s.head_dim; ++i) {
        ASSERT_NEAR(g[i], w[i], tol) << name(type) << " heads " << s.n_heads << "/" << s.n_kv_heads << " dim "
                                     << s.head_dim << " pos0 " << s.pos0 << " window " << s.window << " slots "
                                     << s.n_slots << " token " << t << " head " << h << " i " << i;
      }
    }
  }
}

TEST(KvAttentionIsaTest, EveryKeyCountUpToFortyKeys) {
  Rng rng(14);
  for (const KvType type : kTypes) {
    for (int64_t pos0 = 0; pos0 < 40; ++pos0) expect_isa_matches_scalar(type, make_run(rng, type, 1, pos0, 14, 2, 64, 0, 0), 0, 14);
  }
}

TEST(KvAttentionIsaTest, HeadTilesAndDimensions) {
  Rng rng(15);
  for (const KvType type : kTypes) {
    for (const int64_t group : {1, 3, 4, 7, 8, 9}) {
      for (const int64_t head_dim : {32, 64, 96, 128}) {
        const KvRun r = make_run(rng, type, 2, 37, 2 * group, 2, head_dim, 0, 0);
        expect_isa_matches_scalar(type, r, 0, 2 * group);
        expect_isa_matches_scalar(type, r, 1, 2 * group - 1);
      }
    }
  }
}

TEST(KvAttentionIsaTest, WindowsAndRings) {
  Rng rng(16);
  for (const KvType type : kTypes) {
    for (const int64_t window : {1, 5, 16, 17, 33}) {
      // a ring just large enough for the chunk's queries, and a larger one
      for (const int64_t extra : {int64_t{0}, int64_t{9}}) {
        for (const int64_t pos0 : {0, 3, 40, 101}) {
          const int64_t n_tokens = 4;
          const int64_t n_slots = window + n_tokens - 1 + extra;
          expect_isa_matches_scalar(type, make_run(rng, type, n_tokens, pos0, 4, 1, 64, window, n_slots), 0, 4);
          expect_isa_matches_scalar(type, make_run(rng, type, n_tokens, pos0, 4, 1, 64, window, 0), 0, 4);
        }
      }
    }
  }
}

TEST(KvAttentionIsaTest, LongContexts) {
  Rng rng(17);
  for (const KvType type : kTypes) {
    for (const int64_t pos0 : {255, 1000}) expect_isa_matches_scalar(type, make_run(rng, type, 1, pos0, 9, 3, 64, 0, 0), 0, 9);
  }
}

// Prefill chunks (8 or more tokens: the AVX-512 kernel's tiled path, blocks
// of 16 queries and 16 keys; 4 and 5 stay per query) over every type, with windows whose lower limit cuts
// key blocks and rings whose wrap falls inside one, GQA groups of 1, 3 and 7
// and head ranges that split a group.
TEST(KvAttentionIsaTest, PrefillChunksWindowsAndRings) {
  Rng rng(18);
  for (const KvType type : kTypes) {
    for (const int64_t n_tokens : {4, 5, 8, 16, 17, 40}) {
      for (const int64_t window : {0, 5, 16, 17, 33}) {
        for (const int64_t pos0 : {0, 3, 40, 101}) {
          expect_isa_matches_scalar(type, make_run(rng, type, n_tokens, pos0, 6, 2, 64, window, 0), 1, 5);
          if (window == 0) continue;
          for (const int64_t extra : {int64_t{0}, int64_t{9}}) {
            const int64_t n_slots = window + n_tokens - 1 + extra;
            expect_isa_matches_scalar(type, make_run(rng, type, n_tokens, pos0, 6, 2, 64, window, n_slots), 0, 6);
          }
        }
      }
    }
  }
}

TEST(KvAttentionIsaTest, PrefillGroupsAndDimensions) {
  Rng rng(19);
  for (const KvType type : kTypes) {
    for (const int64_t group : {1, 3, 7, 9}) {
      for (const int64_t head_dim : {32, 64, 96, 128}) {
        const KvRun r = make_run(rng, type, 21, 30, 2 * group, 2, head_dim, 0, 0);
        expect_isa_matches_scalar(type, r, 0, 2 * group);
        expect_isa_matches_scalar(type, r, 1, 2 * group - 1);
      }
    }
  }
}

// The tiled path's key blocks are aligned to positions, not to the call: a
// chunk of 40 tokens gives bit for bit the same outputs as the same tokens in
// two calls of 8 or more each (with and without a window and a ring).
TEST(KvAttentionIsaTest, PrefillOutputsDoNotDependOnTheSplit) {
  Rng rng(20);
  for (const KvType type : kTypes) {
    for (const auto& [window, n_slots] : {std::pair<int64_t, int64_t>{0, 0}, {21, 60}}) {
      // with the window, positions 50 .. 89 over a ring of 60 rows: the reads wrap
      const KvRun r = make_run(rng, type, 40, window > 0 ? 50 : 5, 6, 2, 64, window, n_slots);
      const std::vector<float> whole = attend_typed(isa(), type, r, 0, 6);
      for (const int64_t first : {8, 13, 32}) {
        const int64_t q_width = r.s.n_heads * r.s.head_dim;
        std::vector<float> split(r.q.size(), NAN);
        for (const auto& [t0, n] : {std::pair<int64_t, int64_t>{0, first}, {first, 40 - first}}) {
          AttentionShape s = r.s;
          s.pos0 = r.s.pos0 + t0;
          s.n_tokens = n;
          std::vector<float> scores(static_cast<size_t>(isa().attention_scratch_floats(s)));
          isa().attention_for(type)(s, r.q.data() + t0 * q_width, r.k.bytes.data(), r.v.bytes.data(),
                                    split.data() + t0 * q_width, scores.data(), 0, 6);
        }
        for (size_t i = 0; i < whole.size(); ++i) {
          ASSERT_EQ(split[i], whole[i]) << name(type) << " window " << window << " first call " << first << " i " << i;
        }
      }
    }
  }
}

// --- Exact answers ----------------------------------------------------------------

// 4 query heads on 2 KV heads, head_dim 32, a ring of 8 rows, a window of 4,
// the query at position 10: it reads positions 7, 8, 9, 10 in rows 7, 0, 1, 2
// (the wrap), never the older positions 3 .. 6 that rows 3 .. 6 still hold.
class KvExactTest : public ::testing::TestWithParam<std::tuple<KvType, bool>> {
 protected:
  KvType type() const { return std::get<0>(GetParam()); }
  const KernelTable& table() const { return std::get<1>(GetParam()) ? isa() : ref(); }
};

TEST_P(KvExactTest, OneHotQueriesThroughTheWindowAndTheWrap) {
  const int64_t hd = 32;
  const int64_t n_kv = 2;
  const int64_t n_slots = 8;
  const int64_t pos = 10;
  AttentionShape s;
  s.n_tokens = 1;
  s.pos0 = pos;
  s.n_heads = 4;
  s.n_kv_heads = n_kv;
  s.head_dim = hd;
  s.scale = 1.0f;
  s.window = 4;
  s.n_slots = n_slots;
  // Position p (p = 3 .. 10 are in the ring) has key 200 * e_(p + 10) on KV
  // head 0 and 200 * e_(p + 20) on KV head 1 (every type stores 0 exactly and
  // 200 within its step, so scores are ~200 or 0: e^-200 is 0 in float), and
  // values exact_value(10 g + p, i), which every type holds exactly.
  std::vector<float> k(n_slots * n_kv * hd, 0.0f);
  std::vector<float> v(n_slots * n_kv * hd);
  for (int64_t p = pos - n_slots + 1; p <= pos; ++p) {
    const int64_t row = p % n_slots;
    for (int64_t g = 0; g < n_kv; ++g) {
      float* kr = k.data() + (row * n_kv + g) * hd;
      kr[p + 10 * (g + 1)] = 200.0f;
      for (int64_t i = 0; i < hd; ++i) v[(row * n_kv + g) * hd + i] = exact_value(type(), 10 * g + p, i);
    }
  }
  // Heads 0, 1 (KV head 0) look for positions 8 (in row 0, past the wrap) and
  // 5 (outside the window: every score read is ~0, so the mean of the four
  // rows the window holds); heads 2, 3 (KV head 1) for positions 7 (row 7,
  // the oldest in the window) and 10 (the newest).
  const int64_t target[4] = {8, 5, 7, 10};
  std::vector<float> q(4 * hd, 0.0f);
  for (int64_t h = 0; h < 4; ++h) q[h * hd + target[h] + 10 * (h / 2 + 1)] = 1.0f;
  const TypedCache kc = make_cache(type(), k, hd * n_kv);
  const TypedCache vc = make_cache(type(), v, hd * n_kv);
  std::vector<float> out(q.size(), NAN);
  std::vector<float> scores(static_cast<size_t>(table().attention_scratch_floats(s)));
  table().attention_for(type())(s, q.data(), kc.bytes.data(), vc.bytes.data(), out.data(), scores.data(), 0, 4);
  for (int64_t h = 0; h < 4; ++h) {
    const int64_t g = h / 2;
    for (int64_t i = 0; i < hd; ++i) {
      float want = exact_value(type(), 10 * g + target[h], i);
      if (target[h] == 5) {
        // the window's positions 7..10, weights 1/4 each (q . k = 0 on every one)
        want = (exact_value(type(), 10 * g + 7, i) + exact_value(type(), 10 * g + 8, i) +
                exact_value(type(), 10 * g + 9, i) + exact_value(type(), 10 * g + 10, i)) / 4.0f;
      }
      ASSERT_EQ(out[h * hd + i], want) << table().isa << " " << name(type()) << " head " << h << " i " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(TypesAndTables, KvExactTest,
                         ::testing::Combine(::testing::ValuesIn(kTypes), ::testing::Bool()),
                         [](const ::testing::TestParamInfo<std::tuple<KvType, bool>>& info) {
                           return name(std::get<0>(info.param)) + (std::get<1>(info.param) ? "_Isa" : "_Scalar");
                         });

} // namespace
} // namespace lathe::kernels::testing
