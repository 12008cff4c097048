/**
 * Explanations: the output of an explainer (SHAP, LIME, …) run on a ready model, one or more
 * files each (SHAP values beside a summary), with a JSON summary the frontend can chart without
 * downloading a file. The upload engine and reads are the shared VersionService; this is the
 * explanation's descriptor.
 */
import { fileTypeOf } from '../fields/file-types.ts';
import type { ListExplanations } from '../metadata/explanation-records.ts';
import type { MetadataStore } from '../metadata/metadata-store.ts';
import { versionForm } from '../versions/schema.ts';
import { VersionService, type VersionServiceDeps } from '../versions/version-service.ts';
import {
  EXPLANATION_LATE_FIELDS,
  type Explanation,
  type ExplanationFieldValues,
  type ExplanationTarget,
  explanationFields,
  explanationFileTypes,
} from './schema.ts';

export type ExplanationService = VersionService<Explanation, ExplanationFieldValues | ExplanationTarget, ListExplanations>;

export function createExplanationService(
  deps: Omit<VersionServiceDeps<Explanation, ListExplanations>, 'records'> & { metadata: MetadataStore },
): ExplanationService {
  return new VersionService(
    { ...deps, records: deps.metadata.explanations },
    {
      kind: 'explanation',
      form: versionForm('explanation', explanationFields, EXPLANATION_LATE_FIELDS),
      maxBytes: (limits) => limits.explanationFileBytes,
      contentTypeOf: (path) => fileTypeOf('explanation', explanationFileTypes, path).contentType,
      // The database checks the model (yours, ready).
      fields: async (_owner, { model, datasetVersion, datasetFile, method, params, summary, features, description, tags }) => ({
        modelId: model,
        ...{ datasetVersion, datasetFile, method, params, summary, features, description, tags },
      }),
    },
  );
}
