/**
 * Explanations: the output of an explainer (SHAP, LIME, …) run on a ready model, one or more
 * files each (SHAP values beside a summary), with a JSON summary the frontend can chart without
 * downloading a file. The upload engine and reads are the shared VersionService.
 */
import { randomUUID } from 'node:crypto';
import type { Limits } from '../config.ts';
import type { Actor, Page } from '../domain.ts';
import { fileTypeOf } from '../fields/file-types.ts';
import type { Logger } from '../logger.ts';
import type { ListExplanations } from '../metadata/explanation-records.ts';
import type { MetadataStore } from '../metadata/metadata-store.ts';
import type { ObjectStorage } from '../storage/port.ts';
import { MAX_VERSION_FILES } from '../versions/schema.ts';
import { VersionService } from '../versions/version-service.ts';
import {
  EXPLANATION_LATE_FIELDS,
  type Explanation,
  type ExplanationFieldValues,
  type ExplanationTarget,
  explanationFields,
  explanationFileTypes,
} from './schema.ts';

export interface ExplanationServiceDeps {
  metadata: MetadataStore;
  storage: ObjectStorage;
  limits: Limits;
  log: Logger;
}

/** An explanation's fields once parsed, from the form or a direct-upload target. */
type ExplanationInput = ExplanationFieldValues | ExplanationTarget;

export class ExplanationService extends VersionService<Explanation, ExplanationInput> {
  readonly #metadata: MetadataStore;

  constructor(deps: ExplanationServiceDeps) {
    const { metadata } = deps;
    super(
      { ...deps, records: metadata.explanations },
      {
        kind: 'explanation',
        form: {
          kind: 'explanation',
          fields: explanationFields,
          repeatable: ['tags'],
          late: EXPLANATION_LATE_FIELDS,
          files: { min: 1, max: MAX_VERSION_FILES },
          paths: true,
        },
        maxBytes: (limits) => limits.explanationFileBytes,
        contentTypeOf: (path) => fileTypeOf('explanation', explanationFileTypes, path).contentType,
        // The database checks the model (yours, ready).
        reserve: (owner, input, _firstPath, expectedFiles) =>
          metadata.explanations.reserve({
            owner,
            id: randomUUID(),
            modelId: input.model,
            method: input.method,
            params: input.params ?? {},
            summary: input.summary ?? {},
            description: input.description ?? null,
            tags: input.tags ?? [],
            expectedFiles,
          }),
      },
    );
    this.#metadata = metadata;
  }

  list(actor: Actor, query: ListExplanations): Promise<Page<Explanation>> {
    return this.#metadata.explanations.list(actor.scope, query);
  }

  async delete(actor: Actor, id: string): Promise<void> {
    const { deletedKeys } = await this.#metadata.explanations.delete(actor.scope, id);
    await this.deleteObjects(deletedKeys);
  }
}
