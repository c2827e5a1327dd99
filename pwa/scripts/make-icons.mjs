// Draw the app icons (a white door on green) as PNGs, so no image editor or download is needed.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const GREEN = [11, 110, 79];
const WHITE = [255, 255, 255];
const GOLD = [242, 183, 5];

function crc32(buf) {
  let c;
  let crc = 0xffffffff;
  for (const b of buf) {
    c = (crc ^ b) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 3 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 3 + 1)] = 0;
    for (let x = 0; x < size; x++) raw.set(pixel(x / size, y / size), y * (size * 3 + 1) + 1 + x * 3);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

// The door fills `inset`..1-`inset` of the icon; maskable icons keep it inside the 80 % safe zone.
function door(inset) {
  const s = (v) => inset + v * (1 - 2 * inset);
  return (x, y) => {
    const inDoor = x > s(0.3) && x < s(0.7) && y > s(0.2) && y < s(0.9);
    const frame = inDoor && (x < s(0.34) || x > s(0.66) || y < s(0.24));
    const knob = (x - s(0.6)) ** 2 + (y - s(0.58)) ** 2 < (0.03 * (1 - 2 * inset)) ** 2;
    if (knob) return GOLD;
    if (frame) return WHITE;
    if (inDoor) return [20, 140, 100];
    return GREEN;
  };
}

const dir = new URL('../public/icons/', import.meta.url);
writeFileSync(new URL('icon-192.png', dir), png(192, door(0)));
writeFileSync(new URL('icon-512.png', dir), png(512, door(0)));
writeFileSync(new URL('maskable-512.png', dir), png(512, door(0.1)));
console.log('icons written');
