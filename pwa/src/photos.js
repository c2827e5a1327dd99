// Photos are shrunk on the phone before they are stored: a JPEG of at most 300 KB.

export const MAX_PHOTO_BYTES = 300 * 1024;

function toBlob(canvas, type, quality) {
  return new Promise((resolve) => canvas.toBlob(resolve, type, quality));
}

/** Compress an image file to a JPEG Blob of at most MAX_PHOTO_BYTES, lowering size and quality as needed. */
export async function compressPhoto(file, maxBytes = MAX_PHOTO_BYTES) {
  const bitmap = await createImageBitmap(file);
  let side = 1600;
  let quality = 0.82;
  for (let i = 0; i < 8; i++) {
    const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await toBlob(canvas, 'image/jpeg', quality);
    if (blob.size <= maxBytes) return blob;
    if (quality > 0.5) quality -= 0.12;
    else side = Math.round(side * 0.75);
  }
  throw new Error('photo could not be compressed enough');
}

/** Read a barcode or QR code from a photo where the browser has BarcodeDetector; null otherwise. */
export async function scanSerial(file) {
  if (!('BarcodeDetector' in globalThis)) return null;
  const codes = await new globalThis.BarcodeDetector().detect(await createImageBitmap(file));
  return codes[0]?.rawValue || null;
}
