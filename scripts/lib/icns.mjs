// A minimal Apple Icon Image (.icns) writer: PNG-compressed entries, which macOS reads for every
// size from 16 px up (10.7+). File layout: "icns", u32 BE total length, then entries of
// (4-byte type, u32 BE length including this 8-byte entry header, data).

/** Entry types and the pixel size each holds (@2x types hold the doubled size). */
export const ICNS_TYPES = [
  ['icp4', 16],
  ['icp5', 32],
  ['ic11', 32], // 16@2x
  ['ic12', 64], // 32@2x
  ['ic07', 128],
  ['ic13', 256], // 128@2x
  ['ic08', 256],
  ['ic14', 512], // 256@2x
  ['ic09', 512],
  ['ic10', 1024], // 512@2x
];

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height of a PNG from its IHDR chunk. */
export function pngSize(png) {
  if (png.length < 24 || !png.subarray(0, 8).equals(PNG_SIGNATURE) || png.toString('latin1', 12, 16) !== 'IHDR')
    throw new Error('not a PNG image');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/**
 * Builds an .icns file from PNG images keyed by pixel size: `pngs.get(size)` must be a square PNG
 * of that size for every size in ICNS_TYPES.
 */
export function buildIcns(pngs) {
  const entries = ICNS_TYPES.map(([type, size]) => {
    const png = pngs.get(size);
    if (!png) throw new Error(`icns: no ${size} px image`);
    const { width, height } = pngSize(png);
    if (width !== size || height !== size) throw new Error(`icns: the ${size} px image is ${width}x${height}`);
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(8 + png.length, 4);
    return Buffer.concat([head, png]);
  });
  const body = Buffer.concat(entries);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(8 + body.length, 4);
  return Buffer.concat([head, body]);
}
