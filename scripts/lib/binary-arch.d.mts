export interface BinaryArch {
  format: 'elf' | 'macho' | 'pe';
  archs: string[];
}
export function binaryArch(buf: Buffer): BinaryArch | null;
export function formatFor(platform: string): 'elf' | 'macho' | 'pe';
