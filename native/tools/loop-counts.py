#!/usr/bin/env python3
"""Instructions per 32 weights in the inner loop of each decode (GEMV) kernel, from the disassembly.

Compiles every kernel file the way the addon does (-O3 and the file's instruction-set flags; the
NEON file with aarch64-linux-gnu-g++ for Apple-M1-class cores: armv8.2-a+fp16+dotprod), finds each
kernel's one-token row function, takes its hottest loop (the innermost loop holding the most of the
kernel's multiply instructions) and prints the instruction count per 32 weights. Used for the table
in native/README.md:  python3 native/tools/loop-counts.py [--markdown]
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
NATIVE = os.path.dirname(HERE)
SRC = os.path.join(NATIVE, 'src')

X86 = ['-mavx2', '-mfma', '-mf16c']
X512 = X86 + ['-mavx512f', '-mavx512bw', '-mavx512vl', '-mavx512dq', '-mavx512vbmi', '-mavx512vnni']
SETS = {
    'avx2': ('g++', 'objdump', 'x86/kernels_avx2.cpp', X86 + ['-DQINS_HAVE_X86_KERNELS=1']),
    'avxvnni': ('g++', 'objdump', 'x86/kernels_avxvnni.cpp', X86 + ['-mavxvnni', '-DQINS_HAVE_X86_KERNELS=1']),
    'avx512': ('g++', 'objdump', 'x86/kernels_avx512.cpp', X512 + ['-DQINS_HAVE_X86_KERNELS=1']),
    'neon': ('aarch64-linux-gnu-g++', 'aarch64-linux-gnu-objdump', 'arm/kernels_neon.cpp',
             ['-march=armv8.2-a+fp16+dotprod', '-DQINS_HAVE_NEON_KERNELS=1']),
}

# (codec, kernel set, demangled function prefix, multiply instruction, weights per multiply instruction)
KERNELS = [
    ('qins8', 'avx2', 'rows_cb8_seg<1>', 'vpmaddubsw', 16),
    ('q8', 'avx2', 'rows_cb8_int8<1>', 'vpmaddubsw', 32),
    ('q4', 'avx2', 'rows_cb4_t<1, (qins::(anonymous namespace)::Cb4Way)0>', 'vpmaddubsw', 32),
    ('qins4', 'avx2', 'rows_cb4_t<1, (qins::(anonymous namespace)::Cb4Way)1>', 'vpmaddubsw', 32),
    ('qins8', 'avxvnni', 'rows_cb8_seg<1>', 'vpmaddubsw', 16),
    ('q8', 'avxvnni', 'rows_cb8_int8<1>', 'vpdpbusd', 32),
    ('q4, qins4', 'avxvnni', 'rows_cb4_t<1, (qins::(anonymous namespace)::Cb4Way)2>', 'vpdpbusd', 32),
    ('qins8', 'avx512', 'rows_cb8<1, qins::(anonymous namespace)::SegPath>', 'vpmaddubsw', 32),
    ('format-1 qins8', 'avx512', 'rows_cb8<1, qins::(anonymous namespace)::Cb8Path<(qins::Cb8Form)1>', 'vpdpbusd', 32),
    ('q8', 'avx512', 'rows_cb8<1, qins::(anonymous namespace)::Cb8Path<(qins::Cb8Form)2>', 'vpdpbusd', 64),
    ('q4, qins4', 'avx512', 'rows_cb4<1>', 'vpdpbusd', 64),
    ('qins8', 'neon', 'rows_cb8_seg<1>', 'smlal', 4),
    ('q8', 'neon', 'rows_cb8<1, (qins::Cb8Form)2>', 'sdot', 16),
    ('q4, qins4', 'neon', 'rows_cb4<1>', 'sdot', 16),
]

BRANCH = re.compile(r'^(j\w+|b\.\w+|b|cbnz|cbz|tbnz|tbz)$')


def disassemble(kset, tmp):
    cxx, objdump, rel, flags = SETS[kset]
    if not shutil.which(cxx):
        return None
    obj = os.path.join(tmp, kset + '.o')
    subprocess.run([cxx, '-O3', '-std=c++17', '-I' + SRC, *flags, '-c', os.path.join(SRC, 'kernels', rel), '-o', obj], check=True)
    return subprocess.run([objdump, '-d', '--no-show-raw-insn', '-C', obj], check=True, capture_output=True, text=True).stdout


def functions(listing):
    out, name = {}, None
    for line in listing.splitlines():
        m = re.match(r'^[0-9a-f]+ <(.*)>:$', line)
        if m:
            name = m.group(1)
            out[name] = []
            continue
        m = re.match(r'\s+([0-9a-f]+):\s+(?:\{vex\}\s+)?(\S+)\s*(.*)', line)
        if m and name:
            out[name].append((int(m.group(1), 16), m.group(2), m.group(3)))
    return out


def hottest_loop(ins, mul):
    """The backward-branch loop with the most multiply instructions; ties go to the shortest."""
    index = {a: i for i, (a, _, _) in enumerate(ins)}
    best = None
    for i, (a, op, args) in enumerate(ins):
        if not BRANCH.match(op):
            continue
        m = re.search(r'\b([0-9a-f]+) <', args)
        if not m or int(m.group(1), 16) >= a or int(m.group(1), 16) not in index:
            continue
        body = ins[index[int(m.group(1), 16)]:i + 1]
        muls = sum(1 for _, o, _ in body if o.startswith(mul))
        if muls and (best is None or muls > best[0] or (muls == best[0] and len(body) < len(best[1]))):
            best = (muls, body)
    return best


def main():
    markdown = '--markdown' in sys.argv
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        listings = {k: disassemble(k, tmp) for k in SETS}
        funcs = {k: functions(v) if v else {} for k, v in listings.items()}
        for codec, kset, fn, mul, per in KERNELS:
            if listings[kset] is None:
                rows.append((codec, kset, None, None, 'compiler not installed'))
                continue
            match = [n for n in funcs[kset] if fn in n]
            if not match:
                rows.append((codec, kset, None, None, 'function not found'))
                continue
            hot = hottest_loop(funcs[kset][match[0]], mul)
            if not hot:
                rows.append((codec, kset, None, None, 'no loop found'))
                continue
            muls, body = hot
            weights = muls * per
            rows.append((codec, kset, len(body) * 32 / weights, weights, f'{len(body)} instructions per {weights} weights'))
    if markdown:
        print('| codec | kernel set | instructions per 32 weights | inner loop |')
        print('|---|---|---|---|')
        for codec, kset, per32, _, note in rows:
            print(f'| {codec} | {kset} | {per32:.1f} | {note} |' if per32 else f'| {codec} | {kset} | — | {note} |')
    else:
        for codec, kset, per32, _, note in rows:
            print(f'{codec:10} {kset:8} ' + (f'{per32:5.1f} per 32 weights ({note})' if per32 else note))


if __name__ == '__main__':
    main()
