/**
 * Aliases' rules and answers: a name for a dataset version or for a model version of
 * (dataset, model name), moved by PUT, every move kept in its history.
 */
import { z } from 'zod';

export const aliasBody = z
  .strictObject({ version: z.number().int().min(1).max(999_999_999).describe('The version the alias names from now on.') })
  .meta({ example: { version: 3 } });

export const aliasSchema = z
  .object({
    alias: z.string(),
    version: z.number().int(),
    modelId: z.string().optional().describe("A model alias: that version's id."),
    digest: z.string().optional().describe("A dataset alias: that version's digest."),
    updatedAt: z.string(),
    updatedBy: z.string(),
  })
  .meta({
    id: 'Alias',
    example: {
      alias: 'production',
      version: 3,
      modelId: '2b7e1516-28ae-4d2a-abf7-158809cf4f3c',
      updatedAt: '2026-11-28T11:02:44.512301Z',
      updatedBy: 'alice',
    },
  });

export const aliasEventSchema = z
  .object({
    version: z.number().int().nullable().describe('What the alias named from then on; null: removed.'),
    previousVersion: z.number().int().nullable(),
    by: z.string(),
    at: z.string(),
  })
  .meta({ id: 'AliasEvent' });

export type Alias = z.infer<typeof aliasSchema>;
export type AliasEvent = z.infer<typeof aliasEventSchema> & { id: number };
/** Whose alias: a dataset's (model absent) or a model name's within a dataset. */
export interface AliasOwner {
  dataset: string;
  model?: string | undefined;
}
