// Reading `--answers FILE` (YAML or JSON) into raw answers.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { inputError } from '../errors.js';
import { type RawAnswers, readAnswersObject } from './answers.js';

export function readAnswersFile(path: string): RawAnswers {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw inputError([
      `Cannot read the answers file ${JSON.stringify(path)}: ` +
        `${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    ]);
  }
  // JSON is YAML; uniqueKeys rejects a key given twice instead of silently keeping one.
  const documents = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true });
  if (documents.length > 1) {
    throw inputError([
      `The answers file ${JSON.stringify(path)} holds ${documents.length} YAML documents (separated by ---): it ` +
        `must hold one mapping of inputs`,
    ]);
  }
  const [document] = documents;
  let content: unknown;
  try {
    const [problem] = document?.errors ?? [];
    if (problem) {
      throw problem;
    }
    // toJS also refuses alias bombs (an excessive alias count).
    content = document?.toJS();
  } catch (error) {
    const firstLine = (error as Error).message.split('\n')[0]?.replace(/:$/, '');
    throw inputError([`The answers file ${JSON.stringify(path)} is not valid YAML or JSON: ${firstLine}`]);
  }
  if (content === null || content === undefined) {
    throw inputError([
      `The answers file ${JSON.stringify(path)} is empty: it must be a mapping of inputs such as accountId, ` +
        `repoUrl, environments`,
    ]);
  }
  return readAnswersObject(content, `the answers file ${JSON.stringify(path)}`);
}
