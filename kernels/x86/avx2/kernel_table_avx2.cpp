// The AVX2 kernel table: the scalar table with every entry that has an AVX2
// kernel replaced by it.

#include "kernels/kernel_table.h"

namespace lathe::kernels {
namespace {

KernelTable make_avx2_table() {
  KernelTable t = scalar_kernels();
  t.isa = "avx2";
  return t;
}

} // namespace

const KernelTable& isa_kernels() {
  static const KernelTable table = make_avx2_table();
  return table;
}

} // namespace lathe::kernels
