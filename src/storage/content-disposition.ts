import { create } from 'content-disposition';

/**
 * RFC 6266 `attachment` header: an ASCII `filename` fallback plus the UTF-8 `filename*`.
 * Always `attachment`, so an uploaded HTML or SVG never renders from the bucket's origin.
 */
export function attachmentDisposition(filename: string): string {
  return create(filename, { type: 'attachment' });
}
