/**
 * What a model file is, from its extension, and whether loading it can run code. Pickle-based
 * formats (pickle, joblib, PyTorch's .pt) execute code on load and Keras files can carry Lambda
 * layers; ONNX, safetensors and XGBoost's JSON/UBJSON are data only. The server never loads a model.
 */
import { extensionOf } from '../uploads/content-types.ts';

export interface ModelFormat {
  format: string;
  safeToLoad: boolean;
}

const formats: Record<string, ModelFormat> = {
  pkl: { format: 'pickle', safeToLoad: false },
  pickle: { format: 'pickle', safeToLoad: false },
  joblib: { format: 'joblib', safeToLoad: false },
  h5: { format: 'keras-h5', safeToLoad: false },
  keras: { format: 'keras', safeToLoad: false },
  pt: { format: 'pytorch', safeToLoad: false },
  pth: { format: 'pytorch', safeToLoad: false },
  onnx: { format: 'onnx', safeToLoad: true },
  safetensors: { format: 'safetensors', safeToLoad: true },
  json: { format: 'xgboost-json', safeToLoad: true },
  ubj: { format: 'xgboost-ubj', safeToLoad: true },
};

/** Called after contentTypeFor('model', …) accepted the extension, so it is always known. */
export function modelFormatOf(filename: string): ModelFormat {
  return formats[extensionOf(filename)] ?? { format: 'unknown', safeToLoad: false };
}

export const FRAMEWORKS = ['xgboost', 'sklearn', 'lightgbm', 'keras', 'pytorch', 'onnx', 'other'] as const;

/** The framework a format implies (XGBoost's own files, Keras, PyTorch, ONNX); pickles imply none. */
const impliedFrameworks: Record<string, (typeof FRAMEWORKS)[number]> = {
  'xgboost-json': 'xgboost',
  'xgboost-ubj': 'xgboost',
  keras: 'keras',
  'keras-h5': 'keras',
  pytorch: 'pytorch',
  onnx: 'onnx',
};

/** The framework given, else the one the file's format implies, else other. */
export function frameworkFor(given: string | undefined, format: string): string {
  return given ?? impliedFrameworks[format] ?? 'other';
}
