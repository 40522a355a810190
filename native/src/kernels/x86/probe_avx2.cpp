// Placeholder translation unit so the AVX2 library is never empty.
namespace qins { int avx2_unit_linked() { return 1; } }
