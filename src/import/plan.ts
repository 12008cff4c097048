/**
 * The plan of an import: every key of the source classified by the layout, grouped as it will
 * be stored (a dataset's files together, a model's versions in order), with what cannot be
 * mapped and why. Made from the listing alone: nothing is read or written to make it.
 */
import { type Classified, classify, datasetName, type Mapped } from './layout.ts';
import type { ImportSource } from './source.ts';

export type Item<K extends Mapped['kind'] = Mapped['kind']> = { key: string; size: number; target: Extract<Mapped, { kind: K }> };

/** Which model an explanation belongs to, when not its dataset's latest: by dataset or by key. */
export type ExplanationMapping = Record<string, string | { model: string; version?: number }>;

export interface ImportPlan {
  source: string;
  datasets: Map<string, Item<'dataset-file'>[]>;
  models: Item<'model'>[];
  explanations: Array<Item<'explanation'> & { model: { name: string; version?: number } | undefined }>;
  unmapped: Array<{ key: string; size: number; reason: string }>;
  totalBytes: number;
}

export async function buildPlan(source: ImportSource, mapping: ExplanationMapping = {}): Promise<ImportPlan> {
  const plan: ImportPlan = {
    source: source.description,
    datasets: new Map(),
    models: [],
    explanations: [],
    unmapped: [],
    totalBytes: 0,
  };
  const claimed = new Map<string, string>(); // where a key lands → the key that landed there first
  for await (const { key, size } of source.list()) {
    const target: Classified = classify(key);
    if (target.kind === 'unmapped') {
      plan.unmapped.push({ key, size, reason: target.reason });
      continue;
    }
    const place =
      target.kind === 'model'
        ? `model ${target.dataset}/${target.name}@${target.version}`
        : `${target.kind} ${target.dataset}/${target.path}`;
    const first = claimed.get(place);
    if (first) {
      plan.unmapped.push({ key, size, reason: `${first} already becomes ${place}` });
      continue;
    }
    claimed.set(place, key);
    plan.totalBytes += size;
    if (target.kind === 'dataset-file') {
      const files = plan.datasets.get(target.dataset) ?? [];
      files.push({ key, size, target });
      plan.datasets.set(target.dataset, files);
    } else if (target.kind === 'model') {
      plan.models.push({ key, size, target });
    } else {
      plan.explanations.push({ key, size, target, model: explainedModel(mapping, key, target.dataset) });
    }
  }
  plan.models.sort(
    (a, b) =>
      compare(a.target.dataset, b.target.dataset) || compare(a.target.name, b.target.name) || a.target.version - b.target.version,
  );
  return plan;
}

function explainedModel(
  mapping: ExplanationMapping,
  key: string,
  dataset: string,
): { name: string; version?: number } | undefined {
  const entry = mapping[key] ?? mapping[dataset];
  if (entry === undefined) return undefined;
  return typeof entry === 'string'
    ? { name: entry }
    : { name: entry.model, ...(entry.version ? { version: entry.version } : {}) };
}

/** Validates a mapping file's JSON: `{"explanations": {"<dataset or key>": "<model>" | {"model", "version"}}}`. */
export function parseMapping(json: unknown): ExplanationMapping {
  const explanations = (json as { explanations?: unknown } | null)?.explanations;
  if (explanations === undefined) return {};
  if (typeof explanations !== 'object' || explanations === null || Array.isArray(explanations)) {
    throw new Error(
      'The mapping file holds {"explanations": {"<dataset or key>": "<model name>" | {"model": …, "version": …}}}.',
    );
  }
  const mapping: ExplanationMapping = {};
  for (const [where, value] of Object.entries(explanations)) {
    const valid =
      typeof value === 'string' ||
      (typeof value === 'object' &&
        value !== null &&
        typeof (value as { model?: unknown }).model === 'string' &&
        ['undefined', 'number'].includes(typeof (value as { version?: unknown }).version));
    if (!valid) throw new Error(`The mapping of ${JSON.stringify(where)} is not a model name or {"model", "version"}.`);
    mapping[datasetName(where) ?? where] = value as ExplanationMapping[string];
  }
  return mapping;
}

export function describePlan(plan: ImportPlan): string[] {
  const lines: string[] = [];
  const count =
    [...plan.datasets.values()].reduce((n, files) => n + files.length, 0) + plan.models.length + plan.explanations.length;
  lines.push(`import from ${plan.source}: ${count} file(s), ${bytes(plan.totalBytes)}`);
  for (const [dataset, files] of plan.datasets) {
    lines.push(`dataset ${dataset}: ${files.length} file(s), ${bytes(files.reduce((n, f) => n + f.size, 0))}`);
    for (const file of files) lines.push(`  ${file.key} → ${file.target.path} (${bytes(file.size)})`);
  }
  for (const model of plan.models) {
    const { dataset, name, version } = model.target;
    lines.push(`model ${dataset}/${name} version ${version} ← ${model.key} (${bytes(model.size)})`);
  }
  for (const explanation of plan.explanations) {
    const { dataset, path, method } = explanation.target;
    const of = explanation.model
      ? `${explanation.model.name} ${explanation.model.version ? `version ${explanation.model.version}` : 'latest'}`
      : 'its latest model';
    lines.push(`explanation ${dataset}/${path} (${method}, of ${of}) ← ${explanation.key} (${bytes(explanation.size)})`);
  }
  for (const skipped of plan.unmapped) lines.push(`not imported: ${skipped.key}: ${skipped.reason}`);
  return lines;
}

export function bytes(size: number): string {
  if (size < 1024) return `${size} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
