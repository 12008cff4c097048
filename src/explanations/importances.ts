/**
 * Feature importances of explanations, as the API answers them: an explanation's, chart-ready,
 * and one model's across its versions. Computed in SQL (supabase/sql/35_importances.sql) from
 * the SHAP matrix's profile (mean |value| per column) or from the summary.
 */
import { z } from 'zod';
import { pinnedDatasetSchema } from '../datasets/schema.ts';
import type { Actor } from '../domain.ts';
import type { ExplanationRecords } from '../metadata/explanation-records.ts';

/** How many features an answer lists at most (the rest are counted). */
export const MAX_TOP = 2000;

export const importanceSourceSchema = z
  .object({
    source: z
      .enum(['matrix', 'summary'])
      .nullable()
      .describe('matrix: mean |value| per column of a SHAP matrix file; summary: the numbers of `summary`; null: none.'),
    file: z.string().optional().describe('The matrix file.'),
    rows: z.number().int().nullable().optional(),
    profiledRows: z.number().int().nullable().optional().describe('Rows the importances describe (all, unless sampled).'),
    untracked: z.number().int().optional().describe('Feature columns past PROFILE_MAX_COLUMNS: counted, not ranked.'),
    hasBaseValue: z.boolean().optional(),
    hasPrediction: z.boolean().optional(),
    reason: z.string().optional().describe('Why there are none.'),
  })
  .meta({ id: 'ImportanceSource' });

const importance = z.object({
  feature: z.string(),
  importance: z.number().describe('mean |SHAP value| (or the summary number).'),
  rank: z.number().int().describe('1 = most important.'),
});

export const explanationImportancesSchema = z
  .object({
    explanationId: z.string(),
    method: z.string(),
    model: z.object({ id: z.string(), name: z.string(), version: z.number().int() }),
    dataset: pinnedDatasetSchema,
    source: z.enum(['matrix', 'summary']).nullable(),
    reason: z.string().nullable().describe('Why there are no importances, when there are none.'),
    rows: z.number().int().nullable(),
    profiledRows: z.number().int().nullable(),
    features: z.number().int().describe('Features ranked (items holds the top ones).'),
    untracked: z.number().int(),
    items: z.array(
      importance.extend({
        mean: z.number().nullable().describe('Mean SHAP value (matrix only).'),
        min: z.number().nullable(),
        max: z.number().nullable(),
      }),
    ),
  })
  .meta({ id: 'ExplanationImportances' });

export const importanceComparisonSchema = z
  .object({
    dataset: z.object({ id: z.string(), name: z.string() }),
    model: z.string(),
    method: z.string(),
    features: z.array(z.string()).describe("Every feature in some version's top N, by name."),
    versions: z.array(
      z.object({
        version: z.number().int(),
        modelId: z.string(),
        explanationId: z.string().describe('The newest explanation of this version by the method.'),
        items: z.array(
          z.object({
            feature: z.string(),
            importance: z.number().nullable(),
            rank: z.number().int().nullable().describe('null: the feature is not ranked in this version.'),
            rankChange: z
              .number()
              .int()
              .nullable()
              .describe('Rank in the version before minus rank here: positive, it moved up; null for the first or unranked.'),
          }),
        ),
      }),
    ),
  })
  .meta({ id: 'ImportanceComparison' });

export type ExplanationImportances = z.infer<typeof explanationImportancesSchema>;
export type ImportanceComparison = z.infer<typeof importanceComparisonSchema>;

/** Reads of importances for a caller (their own explanations and models; another owner's are 404). */
export class Importances {
  readonly #records: ExplanationRecords;

  constructor(records: ExplanationRecords) {
    this.#records = records;
  }

  ofExplanation(actor: Actor, id: string, top: number): Promise<ExplanationImportances> {
    return this.#records.importances(actor.scope, id, top);
  }

  acrossVersions(
    actor: Actor,
    query: { dataset: string; name: string; method: string; top: number },
  ): Promise<ImportanceComparison> {
    return this.#records.compareImportances(actor.scope, query);
  }
}
