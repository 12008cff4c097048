/**
 * Models: versioned per (dataset, name) by the database, each version one or more files (a
 * single model file, an MLflow folder, sharded weights), with metrics and parameters. The
 * upload engine and reads are the shared VersionService; this is what is a model's own.
 */
import type { Actor } from '../domain.ts';
import { AppError } from '../errors.ts';
import { extensionOf, fileTypeOf } from '../fields/file-types.ts';
import { basename } from '../fields/paths.ts';
import type { ModelLineage } from '../lineage/schema.ts';
import type { MetadataStore } from '../metadata/metadata-store.ts';
import type { ListModels } from '../metadata/model-records.ts';
import { versionForm } from '../versions/schema.ts';
import { type VersionKindSpec, VersionService, type VersionServiceDeps } from '../versions/version-service.ts';
import {
  MLFLOW_MODEL_FILE,
  MODEL_LATE_FIELDS,
  type Model,
  type ModelFieldValues,
  type ModelTarget,
  modelFields,
  modelFileTypes,
  modelSupportFileTypes,
} from './schema.ts';

/** A model's fields once parsed, from the form or a direct-upload target. */
type ModelInput = ModelFieldValues | ModelTarget;

export class ModelService extends VersionService<Model, ModelInput, ListModels> {
  readonly #metadata: MetadataStore;

  constructor(deps: Omit<VersionServiceDeps<Model, ListModels>, 'records'> & { metadata: MetadataStore }) {
    super({ ...deps, records: deps.metadata.models }, modelKind(deps.metadata));
    this.#metadata = deps.metadata;
  }

  /** A version of (dataset, name): `latest`, its number or an alias. */
  byRef(actor: Actor, datasetRef: string, name: string, ref: string): Promise<Model> {
    return this.#metadata.models.byRef(actor.scope, datasetRef, name, ref);
  }

  lineage(actor: Actor, id: string): Promise<ModelLineage> {
    return this.#metadata.models.lineage(actor.scope, id);
  }
}

/** What a version's files say it is: an MLflow model when it has an MLmodel file, else its first model file's format. */
function describeModelFiles(paths: readonly string[]): { format: string; safeToLoad: boolean; framework?: string } {
  const modelFiles = paths.filter((path) => Object.hasOwn(modelFileTypes, extensionOf(path)));
  const types = modelFiles.map((path) => fileTypeOf('model', modelFileTypes, path));
  const safeToLoad = types.every((type) => type.safeToLoad);
  if (paths.some((path) => basename(path) === MLFLOW_MODEL_FILE)) return { format: 'mlflow', safeToLoad };
  const [first] = types;
  if (!first) throw new AppError('unsupported_media_type', 'A model version needs at least one model file.');
  return { format: first.format, safeToLoad, ...(first.framework ? { framework: first.framework } : {}) };
}

function modelKind(metadata: MetadataStore): VersionKindSpec<ModelInput> {
  return {
    kind: 'model',
    form: versionForm('model', modelFields, MODEL_LATE_FIELDS),
    maxBytes: (limits) => limits.modelFileBytes,
    contentTypeOf(path, first) {
      // The first file says what the version is (a model file, or an MLflow folder's MLmodel);
      // later ones may also be the files that go with it (conda.yaml, requirements.txt, …).
      if (basename(path) === MLFLOW_MODEL_FILE) return 'application/yaml';
      const table = first ? modelFileTypes : { ...modelSupportFileTypes, ...modelFileTypes };
      return fileTypeOf('model', table, path).contentType;
    },
    async fields(owner, input, firstPath) {
      // Resolving the dataset authorizes the upload before a byte moves.
      const dataset = await metadata.datasets.get(owner, input.dataset);
      const described = describeModelFiles([firstPath]);
      const { name, datasetVersion, metrics, params, description, tags } = input;
      const framework = input.framework ?? described.framework;
      return { datasetId: dataset.id, datasetVersion, ...described, framework, name, metrics, params, description, tags };
    },
    describe(paths) {
      const { format, safeToLoad } = describeModelFiles(paths);
      return { format, safeToLoad };
    },
    describeAdded(path) {
      const type = Object.hasOwn(modelFileTypes, extensionOf(path)) ? modelFileTypes[extensionOf(path)] : undefined;
      return type && !type.safeToLoad ? { safeToLoad: false } : undefined;
    },
  };
}
