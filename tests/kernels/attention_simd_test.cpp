// Decode attention of the table this build compiled in against the scalar
// reference, aimed at the seams of the x86 kernel: keys in blocks of 16 (every
// count 1..40, and long contexts), query heads that share a KV head in tiles
// of up to 8 (groups of 1, 7, 8, 9 and 16), several tokens, head ranges; and
// hand-made cases with exact answers that span several key blocks.

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <vector>

#include "isa_test_data.h"
#include "kernels/kernel_table.h"

namespace lathe::kernels::testing {
namespace {

struct AttentionRun {
  AttentionShape s;
  std::vector<float> q, k, v;
};

AttentionRun make_run(Rng& rng, int64_t n_tokens, int64_t pos0, int64_t n_heads, int64_t n_kv_heads, int64_t head_dim) {
  AttentionRun r;
  r.s.n_tokens = n_tokens;
  r.s.pos0 = pos0;
  r.s.n_heads = n_heads;
  r.s.n_kv_heads = n_kv_heads;
  r.s.head_dim = head_dim;
  r.s.scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  r.q = random_floats(rng, n_tokens * n_heads * head_dim, 2.0f);
  r.k = random_floats(rng, (pos0 + n_tokens) * n_kv_heads * head_dim);
  r.v = random_floats(rng, (pos0 + n_tokens) * n_kv_heads * head_dim);
  return r;
}

std::vector<float> attend(const KernelTable& t, const AttentionRun& r, int64_t h0, int64_t h1) {
  std::vector<float> out(r.q.size(), NAN);
  std::vector<float> scores(static_cast<size_t>(t.attention_scratch_floats(r.s)));
  t.attention(r.s, r.q.data(), r.k.data(), r.v.data(), out.data(), scores.data(), h0, h1);
  return out;
}

void expect_matches_scalar(const AttentionRun& r, int64_t h0, int64_t h1) {
  const std::vector<float> out = attend(isa(), r, h0, h1);
  const std::vector<float> expected = attend(ref(), r, h0, h1);
  const AttentionShape& s = r.s;
  const int64_t q_width = s.n_heads * s.head_dim;
  const int64_t kv_width = s.n_kv_heads * s.head_dim;
  for (int64_t t = 0; t < s.n_tokens; ++t) {
    const int64_t n_keys = s.pos0 + t + 1;
    for (int64_t h = 0; h < s.n_heads; ++h) {
      const float* got = out.data() + t * q_width + h * s.head_dim;
      const float* want = expected.data() + t * q_width + h * s.head_dim;
      if (h < h0 || h >= h1) {
        for (int64_t i = 0; i < s.head_dim; ++i) ASSERT_TRUE(std::isnan(got[i])) << "head " << h << " was written";
        continue;
      }
      // Error budget from this head's data (u = FLT_EPSILON / 2):
      // - a score is a sum of head_dim products, scaled: either side is
      //   within (head_dim + 2) u * scale * sum_i |q_i k_i| of exact; ds is
      //   the largest such bound over the keys, so the two sides' scores
      //   differ by at most 2 ds;
      // - scores shifted by at most 2 ds change each softmax weight by a
      //   factor within e^(+-4 ds), the output by at most ~4 ds * max|v|;
      // - exp (a few ulp), the running-max rescaling, the sums of n_keys
      //   weights and weighted values and the final division stay within
      //   (2 n_keys + 16) eps relative to sum_p w_p |v_p| <= max|v|.
      const float* qh = r.q.data() + t * q_width + h * s.head_dim;
      const int64_t kv = h / (s.n_heads / s.n_kv_heads);
      double ds = 0.0;
      double v_max = 0.0;
      for (int64_t p = 0; p < n_keys; ++p) {
        const float* kp = r.k.data() + p * kv_width + kv * s.head_dim;
        const float* vp = r.v.data() + p * kv_width + kv * s.head_dim;
        double abs_dot = 0.0;
        for (int64_t i = 0; i < s.head_dim; ++i) {
          abs_dot += std::fabs(static_cast<double>(qh[i]) * kp[i]);
          v_max = std::max(v_max, std::fabs(static_cast<double>(vp[i])));
        }
        ds = std::max(ds, static_cast<double>(s.head_dim + 2) * (FLT_EPSILON / 2) * abs_dot * s.scale);
      }
      const double tol = v_max * (4.0 * ds + static_cast<double>(2 * n_keys + 16) * FLT_EPSILON);
      for (int64_t i = 0; i < s.head_dim; ++i) {
        ASSERT_NEAR(got[i], want[i], tol) << "heads " << s.n_heads << "/" << s.n_kv_heads << " dim " << s.head_dim
                                          << " pos0 " << s.pos0 << " token " << t << " head " << h << " i " << i;
      }
    }
  }
}

TEST(AttentionSimdTest, EveryKeyCountUpToFortyKeys) {
  Rng rng(1);
  for (int64_t pos0 = 0; pos0 < 40; ++pos0) expect_matches_scalar(make_run(rng, 1, pos0, 14, 2, 64), 0, 14);
}

TEST(AttentionSimdTest, LongContexts) {
  Rng rng(2);
  for (const int64_t pos0 : {255, 256, 1000, 2047}) expect_matches_scalar(make_run(rng, 1, pos0, 9, 3, 64), 0, 9);
}

TEST(AttentionSimdTest, GroupSizesAroundTheHeadTile) {
  Rng rng(3);
  for (const int64_t group : {1, 7, 8, 9, 16}) {
    for (const int64_t head_dim : {16, 64, 128}) {
      const AttentionRun r = make_run(rng, 1, 37, 2 * group, 2, head_dim);
      expect_matches_scalar(r, 0, 2 * group);
      expect_matches_scalar(r, 1, 2 * group - 1); // ranges that cut both groups
    }
  }
}

TEST(AttentionSimdTest, SeveralTokensSeeTheirOwnPrefix) {
  Rng rng(4);
  for (const int64_t n_tokens : {2, 5, 17}) expect_matches_scalar(make_run(rng, n_tokens, 20, 4, 1, 64), 0, 4);
}

// Prefill chunks: from 8 query tokens on, the AVX-512 kernel takes its tiled
// path (blocks of 16 queries, one per lane, against blocks of 16 keys that end
// at the block's last query). Every token count 1..40 (partial query blocks,
// blocks of 4 rows), after a prefix that leaves the first key block partial.
TEST(AttentionSimdTest, PrefillEveryTokenCountUpToForty) {
  Rng rng(6);
  for (int64_t n_tokens = 1; n_tokens <= 40; ++n_tokens) {
    const int64_t pos0 = 1 + (7 * n_tokens) % 29;
    expect_matches_scalar(make_run(rng, n_tokens, pos0, 9, 3, 64), 0, 9);
  }
}

// GQA ratios 1, 3, 7 (and 9, past the tile of 8 heads), head sizes with and
// without a remainder modulo 64 columns, head ranges that split a KV group.
TEST(AttentionSimdTest, PrefillGroupsDimensionsAndHeadRanges) {
  Rng rng(7);
  for (const int64_t group : {1, 3, 7, 9}) {
    for (const int64_t head_dim : {16, 48, 64, 128}) {
      for (const int64_t n_tokens : {8, 33}) {
        const AttentionRun r = make_run(rng, n_tokens, 21, 2 * group, 2, head_dim);
        expect_matches_scalar(r, 0, 2 * group);
        expect_matches_scalar(r, 1, 2 * group - 1); // cuts both groups
        expect_matches_scalar(r, group, group + 1); // one head of the second group
      }
    }
  }
}

TEST(AttentionSimdTest, PrefillLongContexts) {
  Rng rng(8);
  for (const int64_t pos0 : {0, 500, 1000}) expect_matches_scalar(make_run(rng, 64, pos0, 9, 3, 64), 0, 9);
}

// The scratch a table asks for covers the keys, and is all the kernel writes:
// a canary past its end stays untouched, for decode and prefill shapes.
TEST(AttentionSimdTest, ScratchIsEnoughAndNoMore) {
  Rng rng(9);
  for (const int64_t n_tokens : {1, 3, 4, 7, 8, 40}) {
    for (const int64_t head_dim : {64, 128}) {
      const AttentionRun r = make_run(rng, n_tokens, 50, 14, 2, head_dim);
      for (const KernelTable* t : {&ref(), &isa()}) {
        const int64_t n = t->attention_scratch_floats(r.s);
        ASSERT_GE(n, attention_key_floats(r.s));
        AttentionShape fewer = r.s; // fewer tokens, earlier positions: no more scratch
        fewer.n_tokens = std::max<int64_t>(1, n_tokens - 1);
        fewer.pos0 = r.s.pos0 - 1;
        ASSERT_LE(t->attention_scratch_floats(fewer), n);
        std::vector<float> scores(static_cast<size_t>(n + 64), 12345.0f);
        std::vector<float> out(r.q.size(), NAN);
        t->attention(r.s, r.q.data(), r.k.data(), r.v.data(), out.data(), scores.data(), 0, 14);
        for (int64_t i = n; i < n + 64; ++i) ASSERT_EQ(scores[i], 12345.0f) << t->isa << " wrote past the scratch";
      }
    }
  }
}

// --- Exact answers ----------------------------------------------------------------

// One KV head shared by 9 query heads (a full tile of 8 and one more), 40
// keys (blocks of 16, 16 and 8). Key p is 200 * e_(p % 64); query head h is
// e_(3h + 1), so head h scores 200 on key 3h + 1 and 0 on every other key:
// e^-200 is 0 in float, and the output is exactly v row 3h + 1.
TEST(AttentionSimdTest, OneHotQueriesAcrossKeyBlocks) {
  AttentionShape s;
  s.n_tokens = 1;
  s.pos0 = 39;
  s.n_heads = 9;
  s.n_kv_heads = 1;
  s.head_dim = 64;
  s.scale = 1.0f;
  std::vector<float> q(9 * 64, 0.0f);
  std::vector<float> k(40 * 64, 0.0f);
  std::vector<float> v(40 * 64);
  for (int64_t h = 0; h < 9; ++h) q[h * 64 + 3 * h + 1] = 1.0f;
  for (int64_t p = 0; p < 40; ++p) {
    k[p * 64 + p % 64] = 200.0f;
    for (int64_t i = 0; i < 64; ++i) v[p * 64 + i] = static_cast<float>(100 * p + i + 1);
  }
  for (const KernelTable* t : {&ref(), &isa()}) {
    std::vector<float> out(q.size(), NAN);
    std::vector<float> scores(40);
    t->attention(s, q.data(), k.data(), v.data(), out.data(), scores.data(), 0, 9);
    for (int64_t h = 0; h < 9; ++h) {
      for (int64_t i = 0; i < 64; ++i) {
        ASSERT_EQ(out[h * 64 + i], v[(3 * h + 1) * 64 + i]) << t->isa << " head " << h << " i " << i;
      }
    }
  }
}

// Equal keys: every weight is e^0 = 1, the sum is 32 and the output the mean
// of the 32 value rows (two full key blocks). The values are small integers
// whose sums are exact, and dividing by 32 is exact.
TEST(AttentionSimdTest, EqualScoresAverageTheValuesExactly) {
  AttentionShape s;
  s.n_tokens = 1;
  s.pos0 = 31;
  s.n_heads = 7;
  s.n_kv_heads = 1;
  s.head_dim = 32;
  s.scale = 0.125f;
  Rng rng(5);
  const std::vector<float> q = random_floats(rng, 7 * 32);
  const std::vector<float> k = [] {
    std::vector<float> row(32);
    for (int64_t i = 0; i < 32; ++i) row[i] = static_cast<float>(i % 5) - 2.0f;
    std::vector<float> all;
    for (int p = 0; p < 32; ++p) all.insert(all.end(), row.begin(), row.end());
    return all;
  }();
  std::vector<float> v(32 * 32);
  for (int64_t p = 0; p < 32; ++p) {
    for (int64_t i = 0; i < 32; ++i) v[p * 32 + i] = static_cast<float>((7 * p + 3 * i) % 23 - 11);
  }
  for (const KernelTable* t : {&ref(), &isa()}) {
    std::vector<float> out(q.size(), NAN);
    std::vector<float> scores(32);
    t->attention(s, q.data(), k.data(), v.data(), out.data(), scores.data(), 0, 7);
    for (int64_t i = 0; i < 32; ++i) {
      float sum = 0.0f;
      for (int64_t p = 0; p < 32; ++p) sum += v[p * 32 + i];
      for (int64_t h = 0; h < 7; ++h) ASSERT_EQ(out[h * 32 + i], sum / 32.0f) << t->isa << " head " << h << " i " << i;
    }
  }
}

// A prefill chunk of 20 tokens at positions 19 .. 38 (two query blocks, the
// second partial), 2 query heads on one KV head. Key p is 200 * e_p (p < 64,
// so every key has its own direction). Query t of head h at position pos is
// e_target + e_(pos + 1), target = (5 t + 11 h + 3) % (pos + 1): it scores 200
// on key `target`, which it may see, and 200 on key pos + 1, which only the
// causal mask hides (the next token's key, already in the cache); 0 on every
// other key. e^-200 is 0 in float, so the output is exactly v row target (an
// unmasked key pos + 1 would make it the mean of two rows).
TEST(AttentionSimdTest, OneHotPrefillQueriesAcrossQueryAndKeyBlocks) {
  AttentionShape s;
  s.n_tokens = 20;
  s.pos0 = 19;
  s.n_heads = 2;
  s.n_kv_heads = 1;
  s.head_dim = 64;
  s.scale = 1.0f;
  const int64_t n_keys = s.pos0 + s.n_tokens;
  std::vector<float> q(20 * 2 * 64, 0.0f);
  std::vector<float> k(n_keys * 64, 0.0f);
  std::vector<float> v(n_keys * 64);
  int64_t target[20][2];
  for (int64_t t = 0; t < 20; ++t) {
    for (int64_t h = 0; h < 2; ++h) {
      target[t][h] = (5 * t + 11 * h + 3) % (s.pos0 + t + 1);
      q[(t * 2 + h) * 64 + target[t][h]] = 1.0f;
      if (s.pos0 + t + 1 < n_keys) q[(t * 2 + h) * 64 + s.pos0 + t + 1] = 1.0f;
    }
  }
  for (int64_t p = 0; p < n_keys; ++p) {
    k[p * 64 + p] = 200.0f;
    for (int64_t i = 0; i < 64; ++i) v[p * 64 + i] = static_cast<float>(100 * p + i + 1);
  }
  for (const KernelTable* t : {&ref(), &isa()}) {
    std::vector<float> out(q.size(), NAN);
    std::vector<float> scores(static_cast<size_t>(t->attention_scratch_floats(s)));
    t->attention(s, q.data(), k.data(), v.data(), out.data(), scores.data(), 0, 2);
    for (int64_t tok = 0; tok < 20; ++tok) {
      for (int64_t h = 0; h < 2; ++h) {
        for (int64_t i = 0; i < 64; ++i) {
          ASSERT_EQ(out[(tok * 2 + h) * 64 + i], v[target[tok][h] * 64 + i])
              << t->isa << " token " << tok << " head " << h << " i " << i;
        }
      }
    }
  }
}

} // namespace
} // namespace lathe::kernels::testing
