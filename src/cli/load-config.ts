import { type Config, ConfigError, loadConfig } from '../config.ts';

/** For entry points: the config, or one line naming the problem (never a value) and exit 1. */
export function loadConfigOrExit(environment: NodeJS.ProcessEnv): Config {
  try {
    return loadConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
