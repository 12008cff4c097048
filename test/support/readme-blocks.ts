/**
 * The README's code blocks, in order, as a reader meets them: each with its language and, where
 * the README says so in a `<!-- readme-test: skip (why) -->` comment right before it, why it is
 * not run by the README test (the quick start's two commands: the server, and this test suite).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../../src/project-files.ts';

export interface ReadmeBlock {
  language: string;
  code: string;
  /** The line of the README the block starts on (for messages). */
  line: number;
  skip: string | undefined;
  /** The marker comment right before the block, if any (`<!-- python-direct-upload -->`). */
  marker: string | undefined;
}

export async function readmeBlocks(): Promise<ReadmeBlock[]> {
  const readme = await fs.readFile(path.join(projectRoot(), 'README.md'), 'utf8');
  const blocks: ReadmeBlock[] = [];
  for (const match of readme.matchAll(/(?:<!-- (.+?) -->\n)?```(\w*)\n([\s\S]*?)```/g)) {
    const comment = match[1];
    const skip = comment?.startsWith('readme-test: skip') ? comment.replace(/^readme-test: skip\s*/, '') : undefined;
    blocks.push({
      language: match[2] ?? '',
      code: match[3] ?? '',
      line: readme.slice(0, match.index).split('\n').length,
      skip,
      marker: skip === undefined ? comment : undefined,
    });
  }
  return blocks;
}

/** The README's examples address the local server; tests point them at theirs. */
export function atServer(code: string, baseUrl: string): string {
  return code.replaceAll('http://127.0.0.1:3000', baseUrl);
}
