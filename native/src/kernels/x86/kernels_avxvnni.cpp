// The avxvnni kernel set: the AVX2 kernels compiled with AVX-VNNI (vpdpbusd / vpdpwssd on 256-bit
// registers, -mavxvnni), for AVX2 CPUs that have it but not AVX-512 (Intel Alder Lake and later
// client cores; AMD Zen 5 with AVX-512 disabled). What differs is marked QINS_AVXVNNI there.
#define QINS_AVXVNNI 1
#include "kernels_avx2.cpp"
