/** Query of the preview route (the profile and preview shapes: src/profiles/profile.ts). */
import { z } from 'zod';
import { PREVIEW_MAX_ROWS } from '../../src/profiles/preview.ts';

export const previewQuery = z.strictObject({
  rows: z.coerce.number().int().min(1).max(PREVIEW_MAX_ROWS).default(50).describe(`Rows to show, 1 to ${PREVIEW_MAX_ROWS}.`),
});
