// The table of a scalar-only build (LATHE_ISA=scalar): the reference itself.

#include "kernels/kernel_table.h"

namespace lathe::kernels {

const KernelTable& isa_kernels() { return scalar_kernels(); }

} // namespace lathe::kernels
