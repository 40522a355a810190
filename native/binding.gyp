# The QINS native addon. Sources are collected by folder (tools/sources.cjs) so that adding a file
# needs no edit here:
#   */x86/*_avx2.cpp     -> -mavx2 -mfma -mf16c -mpclmul      (x64 only, chosen at run time)
#   */x86/*_avxvnni.cpp  -> the AVX2 flags and -mavxvnni       (x64 only, chosen at run time)
#   */x86/*_avx512.cpp   -> AVX-512 F/BW/VL/DQ/VBMI/VNNI       (x64 only, chosen at run time)
#   */arm/*.cpp          -> NEON (arm64 only; on macOS built for apple-m1, whose dot-product
#                           instructions every Apple Silicon Mac has)
#   everything else      -> the baseline flags
# The encoders (src/codecs/, area 'codecs') are built in their own libraries with
# -ffp-contract=off: every instruction set must perform the generic code's float operations
# unfused to produce the same codes. The engine keeps the compiler's default.
{
  "variables": {
    "qins_cflags": ["-O3", "-std=c++17", "-fno-exceptions", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    "avx2_flags": ["-mavx2", "-mfma", "-mf16c", "-mpclmul"],
    "avxvnni_flags": ["-mavx2", "-mfma", "-mf16c", "-mpclmul", "-mavxvnni"],
    "avx512_flags": ["-mavx2", "-mfma", "-mf16c", "-mpclmul", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx512vbmi", "-mavx512vnni"]
  },
  "target_defaults": {
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
    "cflags_cc": ["<@(qins_cflags)"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "src"],
    "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
    "xcode_settings": {
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "GCC_ENABLE_CPP_EXCEPTIONS": "NO",
      "OTHER_CPLUSPLUSFLAGS": ["-O3", "-fvisibility=hidden"],
      "MACOSX_DEPLOYMENT_TARGET": "11.0"
    },
    "conditions": [
      ["target_arch=='x64'", { "defines": ["QINS_HAVE_X86_KERNELS=1"] }],
      ["target_arch=='arm64'", { "defines": ["QINS_HAVE_NEON_KERNELS=1"] }]
    ]
  },
  "targets": [
    {
      "target_name": "qins",
      "sources": ["<!@(node -p \"require('./tools/sources.cjs').baseline('engine').join(' ')\")"],
      "dependencies": ["qins_codecs"],
      "libraries": ["-lpthread"],
      "conditions": [
        ["target_arch=='x64'", {
          "dependencies": ["qins_avx2", "qins_avxvnni", "qins_avx512", "qins_codecs_avx2", "qins_codecs_avx512"]
        }],
        ["target_arch=='arm64'", {
          "sources": ["<!@(node -p \"require('./tools/sources.cjs').arm('engine').join(' ')\")"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mcpu=apple-m1"] }
        }]
      ]
    },
    {
      "target_name": "qins_codecs",
      "type": "static_library",
      "sources": ["<!@(node -p \"require('./tools/sources.cjs').baseline('codecs').join(' ')\")"],
      "cflags_cc": ["-ffp-contract=off", "-fPIC"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-ffp-contract=off"] },
      "conditions": [
        ["target_arch=='arm64'", {
          "sources": ["<!@(node -p \"require('./tools/sources.cjs').arm('codecs').join(' ')\")"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mcpu=apple-m1"] }
        }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "qins_avx2",
          "type": "static_library",
          "sources": ["<!@(node -p \"require('./tools/sources.cjs').x86('avx2', 'engine').join(' ')\")"],
          "cflags_cc": ["<@(avx2_flags)", "-fPIC"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["<@(avx2_flags)"] }
        },
        {
          "target_name": "qins_avxvnni",
          "type": "static_library",
          "sources": ["<!@(node -p \"require('./tools/sources.cjs').x86('avxvnni', 'engine').join(' ')\")"],
          "cflags_cc": ["<@(avxvnni_flags)", "-fPIC"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["<@(avxvnni_flags)"] }
        },
        {
          "target_name": "qins_avx512",
          "type": "static_library",
          "sources": ["<!@(node -p \"require('./tools/sources.cjs').x86('avx512', 'engine').join(' ')\")"],
          "cflags_cc": ["<@(avx512_flags)", "-fPIC"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["<@(avx512_flags)"] }
        },
        {
          "target_name": "qins_codecs_avx2",
          "type": "static_library",
          "sources": ["<!@(node -p \"require('./tools/sources.cjs').x86('avx2', 'codecs').join(' ')\")"],
          "cflags_cc": ["<@(avx2_flags)", "-ffp-contract=off", "-fPIC"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["<@(avx2_flags)", "-ffp-contract=off"] }
        },
        {
          "target_name": "qins_codecs_avx512",
          "type": "static_library",
          "sources": ["<!@(node -p \"require('./tools/sources.cjs').x86('avx512', 'codecs').join(' ')\")"],
          "cflags_cc": ["<@(avx512_flags)", "-ffp-contract=off", "-fPIC"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["<@(avx512_flags)", "-ffp-contract=off"] }
        }
      ]
    }]
  ]
}
