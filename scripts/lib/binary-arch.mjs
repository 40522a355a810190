// Reads which CPU architecture(s) a native binary (.node, .so, .dylib, .dll) was built for, from
// its header: ELF (Linux), Mach-O thin or universal (macOS) or PE (Windows). Node's arch names.

const ELF_MACHINES = { 3: 'ia32', 40: 'arm', 62: 'x64', 183: 'arm64' };
const MACHO_CPUS = { 0x7: 'ia32', 0x01000007: 'x64', 0xc: 'arm', 0x0100000c: 'arm64' };
const PE_MACHINES = { 0x14c: 'ia32', 0x8664: 'x64', 0xaa64: 'arm64', 0x1c4: 'arm' };

const name = (table, key) => table[key] ?? `unknown(0x${key.toString(16)})`;

/**
 * @param {Buffer} buf the first bytes of the file (4 KiB is plenty)
 * @returns {{ format: 'elf' | 'macho' | 'pe', archs: string[] } | null} null when not a known binary
 */
export function binaryArch(buf) {
  if (buf.length >= 20 && buf.readUInt32BE(0) === 0x7f454c46) {
    const le = buf[5] === 1;
    const machine = le ? buf.readUInt16LE(18) : buf.readUInt16BE(18);
    return { format: 'elf', archs: [name(ELF_MACHINES, machine)] };
  }
  if (buf.length >= 8) {
    const magicLE = buf.readUInt32LE(0);
    if (magicLE === 0xfeedfacf || magicLE === 0xfeedface)
      return { format: 'macho', archs: [name(MACHO_CPUS, buf.readUInt32LE(4))] };
    if (buf.readUInt32BE(0) === 0xcafebabe) {
      const n = buf.readUInt32BE(4);
      // Java class files share the magic; a universal binary has only a handful of slices
      if (n > 0 && n < 16 && buf.length >= 8 + n * 20) {
        const archs = [];
        for (let i = 0; i < n; i++) archs.push(name(MACHO_CPUS, buf.readUInt32BE(8 + i * 20)));
        return { format: 'macho', archs };
      }
    }
  }
  if (buf.length >= 0x40 && buf.toString('latin1', 0, 2) === 'MZ') {
    const pe = buf.readUInt32LE(0x3c);
    if (pe + 6 <= buf.length && buf.toString('latin1', pe, pe + 4) === 'PE\0\0')
      return { format: 'pe', archs: [name(PE_MACHINES, buf.readUInt16LE(pe + 4))] };
  }
  return null;
}

/** The format a platform's native binaries use. */
export const formatFor = (platform) => (platform === 'darwin' ? 'macho' : platform === 'win32' ? 'pe' : 'elf');
