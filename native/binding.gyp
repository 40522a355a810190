# The QINS native addon. Sources are collected by folder so that adding a file needs no edit here:
#   src/**/*.cpp except src/kernels/x86 and src/kernels/arm  -> built with the baseline flags
#   src/kernels/x86/*_avx2.cpp    -> -mavx2 -mfma -mf16c         (x64 only, chosen at run time)
#   src/kernels/x86/*_avx512.cpp  -> AVX-512 F/BW/VL/VBMI/VNNI   (x64 only, chosen at run time)
#   src/kernels/arm/*.cpp         -> NEON (arm64 only; on macOS built for apple-m1, whose dot-product
#                                    instructions every Apple Silicon Mac has)
{
  "variables": {
    "qins_cflags": ["-O3", "-std=c++17", "-fno-exceptions", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"]
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
    }
  },
  "targets": [
    {
      "target_name": "qins",
      "sources": ["<!@(node -p \"require('./tools/sources.cjs').baseline().join(' ')\")"],
      "libraries": ["-lpthread"],
      "conditions": [
        ["target_arch=='x64'", {
          "dependencies": ["qins_avx2", "qins_avx512"],
          "defines": ["QINS_HAVE_X86_KERNELS=1"]
        }],
        ["target_arch=='arm64'", {
          "sources": ["<!@(node -p \"require('./tools/sources.cjs').arm().join(' ')\")"],
          "defines": ["QINS_HAVE_NEON_KERNELS=1"],
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
          "sources": ["<!@(node -p \"require('./tools/sources.cjs').x86('avx2').join(' ')\")"],
          "cflags_cc": ["-mavx2", "-mfma", "-mf16c", "-fPIC"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mavx2", "-mfma", "-mf16c"] }
        },
        {
          "target_name": "qins_avx512",
          "type": "static_library",
          "sources": ["<!@(node -p \"require('./tools/sources.cjs').x86('avx512').join(' ')\")"],
          "cflags_cc": ["-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx512vbmi", "-mavx512vnni", "-fPIC"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx512vbmi", "-mavx512vnni"] }
        }
      ]
    }]
  ]
}
