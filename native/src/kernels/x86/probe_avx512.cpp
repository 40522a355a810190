// Placeholder translation unit so the AVX-512 library is never empty.
namespace qins { int avx512_unit_linked() { return 1; } }
