export const ICNS_TYPES: Array<[string, number]>;
export function pngSize(png: Buffer): { width: number; height: number };
export function buildIcns(pngs: Map<number, Buffer>): Buffer;
